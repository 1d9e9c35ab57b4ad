package cells

import (
	"regexp"
	"strings"
)

// IsHex reports whether s is only lowercase hexadecimal digits. (A loop:
// it runs on every row, and a regular expression costs ten times more.)
func IsHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// IsScientific reports whether s is a number in scientific notation
// ("9.99e+95"), which is what a spreadsheet makes of a long key it took
// for a number: sign, digits, an optional fraction, e, sign, digits.
func IsScientific(s string) bool {
	digits := func(i int) int {
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		return j
	}
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	j := digits(i)
	if j == i {
		return false
	}
	if i = j; i < len(s) && s[i] == '.' {
		if j = digits(i + 1); j == i+1 {
			return false
		}
		i = j
	}
	if i >= len(s) || (s[i] != 'e' && s[i] != 'E') {
		return false
	}
	if i++; i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	j = digits(i)
	return j > i && j == len(s)
}

// IsLongNumber reports whether s is only digits, more than 15 of them
// significant: what a spreadsheet keeps of a long number after Excel's 15
// digits of precision, the rest already turned into zeros.
func IsLongNumber(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == "" && len(strings.TrimLeft(s, "0")) > 15
}

// Damaged reports whether a key or number was turned into a number by a
// spreadsheet and lost digits on the way: scientific notation, or more
// than 15 significant digits.
func Damaged(s string) bool { return IsScientific(s) || IsLongNumber(s) }

// WholeNumber drops the zero decimals a number format adds to an
// identification stored as a number ("52123456.00" in a "0.00" column).
func WholeNumber(s string) string {
	i := strings.LastIndexAny(s, ".,")
	if i <= 0 || i == len(s)-1 || strings.Trim(s[i+1:], "0") != "" || strings.Trim(s[:i], "0123456789") != "" {
		return s
	}
	return s[:i]
}

var grouped = regexp.MustCompile(`^\d{1,3}([.,]\d{3})+$`)

// Grouped reports whether s is a number written with thousands separators
// ("52.123.456"), as people type identifications.
func Grouped(s string) bool { return grouped.MatchString(s) }

// Digits keeps only the digits of s: a NIT as "900.123.456-7" is compared
// as 9001234567.
func Digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}
