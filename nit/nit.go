// Package nit reads a Colombian tax identification number as people write
// it ("900.222.222-2", "900 222 222", "900222222") and gives it in the one
// form batch keeps it everywhere: its digits, without the check digit.
package nit

import (
	"fmt"
	"strings"
)

// weights are the DIAN's factors for the check digit, from the rightmost
// digit of the number leftwards.
var weights = []int{3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71}

// CheckDigit is the DIAN's check digit (dígito de verificación) of a NIT
// of digits only: the weighted sum modulo 11, and 11 less it past 1.
func CheckDigit(digits string) int {
	sum := 0
	for i := 0; i < len(digits) && i < len(weights); i++ {
		sum += int(digits[len(digits)-1-i]-'0') * weights[i]
	}
	if r := sum % 11; r > 1 {
		return 11 - r
	}
	return sum % 11
}

// Parse reads a NIT written with dots, spaces or commas between its
// digits and, after a hyphen, its check digit, which must be the DIAN's:
// it gives the digits alone. Anything else in it is an error, in Spanish.
func Parse(s string) (string, error) {
	written := strings.TrimSpace(s)
	base, dv, hasDV := strings.Cut(written, "-")
	digits := strings.Map(func(r rune) rune {
		switch {
		case r >= '0' && r <= '9':
			return r
		case r == '.' || r == ',' || r == ' ' || r == '\u00a0':
			return -1
		}
		return 'x'
	}, base)
	dv = strings.TrimSpace(dv)
	switch {
	case digits == "":
		return "", fmt.Errorf("el NIT %q no tiene dígitos", written)
	case strings.ContainsRune(digits, 'x'):
		return "", fmt.Errorf("el NIT %q tiene caracteres que no son dígitos: escríbalo como 900.123.456-7 o 900123456", written)
	case len(digits) > len(weights):
		return "", fmt.Errorf("el NIT %q tiene %d dígitos, más de los 15 que puede tener", written, len(digits))
	case !hasDV:
		return digits, nil
	case len(dv) != 1 || dv[0] < '0' || dv[0] > '9':
		return "", fmt.Errorf("el NIT %q: tras el guion va un solo dígito, el de verificación", written)
	}
	if want := CheckDigit(digits); int(dv[0]-'0') != want {
		return "", fmt.Errorf("el NIT %q tiene dígito de verificación %c, pero el de %s es %d: revise el número", written, dv[0], digits, want)
	}
	return digits, nil
}

// Canonical is s in the form batch keeps a NIT: its digits without the
// check digit when it parses, and s itself (trimmed) when it does not, so
// that what was never a NIT is not made into one.
func Canonical(s string) string {
	if n, err := Parse(s); err == nil {
		return n
	}
	if base, _, ok := strings.Cut(s, "-"); ok {
		if n, err := Parse(base); err == nil {
			return n
		}
	}
	return strings.TrimSpace(s)
}
