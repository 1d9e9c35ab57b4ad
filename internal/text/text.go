// Package text holds the small string helpers for the words the tool puts
// before a person.
package text

import (
	"fmt"
	"strings"
	"time"
)

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

// HumanDuration rounds a duration the way a person says it.
func HumanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Round(time.Second).Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Round(time.Minute).Minutes()))
	}
	d = d.Round(time.Minute)
	return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
}
