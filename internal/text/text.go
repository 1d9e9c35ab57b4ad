// Package text holds the small string helpers the providers' clients share
// for the words they put before a person.
package text

import "strings"

// FirstNonEmpty returns the first value that is not blank, trimmed.
func FirstNonEmpty(s ...string) string {
	for _, v := range s {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// Prefixed returns p+s, or "" when s is empty.
func Prefixed(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
}
