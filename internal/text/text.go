// Package text holds the small string helpers for the words the tool puts
// before a person.
package text

import (
	"fmt"
	"strings"
	"time"
	"unicode"
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

// DidYouMean is ", ¿quiso decir «--X»?" for the closest of names, when one
// is close enough to be a slip of the keyboard.
func DidYouMean(got string, names []string, prefix string) string {
	best, bestD := "", 1<<30
	for _, n := range names {
		if d := distance(strings.ToLower(got), strings.ToLower(n)); d < bestD {
			best, bestD = n, d
		}
	}
	if best == "" || bestD > max(2, len(got)/3) {
		return ""
	}
	return fmt.Sprintf(", ¿quiso decir «%s%s»?", prefix, best)
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur := make([]int, len(rb)+1)
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(rb)]
}

// Printable drops the control characters of text that may quote a file (a
// header, a sheet's name), so that it cannot move the cursor, rewrite the
// screen or ring the terminal of whoever reads the log.
func Printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r) {
			return -1
		}
		return r
	}, s)
}
