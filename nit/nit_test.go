package nit

import (
	"strings"
	"testing"
)

// NITs as they are written on invoices are read to their digits, and a
// check digit that is not the DIAN's is refused.
func TestParse(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"900.222.222-6": "900222222", " 900 222 222 - 6 ": "900222222", "900222222": "900222222",
		"860.069.804-2": "860069804", "800197268-4": "800197268", "830.114.921-1": "830114921",
		"79.123.456": "79123456",
	} {
		if got, err := Parse(in); err != nil || got != want {
			t.Errorf("Parse(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"900.222.222-2": "el de 900222222 es 6", "NIT 900222222": "no son dígitos", "": "no tiene dígitos",
		"900222222-22": "un solo dígito", "1234567890123456": "más de los 15",
	} {
		if _, err := Parse(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v; want %q", in, err, want)
		}
	}
	if got := Canonical("900.222.222-3"); got != "900222222" {
		t.Errorf("Canonical of a wrong check digit = %q", got)
	}
}
