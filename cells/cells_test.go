package cells

import (
	"regexp"
	"testing"

	"batch"
)

// The hand-written matchers agree with the patterns they replace.
func TestScientificAndHexMatchers(t *testing.T) {
	sci := regexp.MustCompile(`^[-+]?\d+(\.\d+)?[eE][-+]?\d+$`)
	hex := regexp.MustCompile(`^[0-9a-f]*$`)
	for _, s := range []string{"", "1e5", "1E+95", "-1.5e-3", "+2.e4", "1.e", "e5", "1e", "1.5", "12e3x", "1.23456789012346E+95",
		"abc", "ABC", "0123456789abcdef", "12 3", "1e+-5", ".5e3", "1..5e3", "9.99E+95 "} {
		if got, want := IsScientific(s), sci.MatchString(s); got != want {
			t.Errorf("isScientific(%q) = %v, want %v", s, got, want)
		}
		if got, want := IsHex(s), hex.MatchString(s); got != want {
			t.Errorf("isHex(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestNormalizeDate(t *testing.T) {
	for in, want := range map[string]string{"2025-01-30": "2025-01-30", "30/01/2025": "2025-01-30", "3/1/2025": "2025-01-03", "2025-01-30T11:25:00": "2025-01-30", "2025/01/30": "2025-01-30",
		"46346": "2026-11-20", "46346.75": "2026-11-20", "20-Nov-2026": "2026-11-20", "20-nov-2026": "2026-11-20", "3-ene-2026": "2026-01-03", "20-dic-26": "2026-12-20"} {
		if got, ok := NormalizeDate(in); !ok || got != want {
			t.Errorf("NormalizeDate(%q) = %q, %v", in, got, ok)
		}
	}
	for _, in := range []string{"mañana", "1234", "990000001", "32/01/2026"} {
		if got, ok := NormalizeDate(in); ok {
			t.Errorf("NormalizeDate(%q) = %q: not a date", in, got)
		}
	}
}

func TestHeaderMatching(t *testing.T) {
	cases := map[string]batch.Field{
		"CUFE":                   batch.FieldCUFE,
		"CUFE/CUDE":              batch.FieldCUFE,
		" cufe ":                 batch.FieldCUFE,
		"Tipo Identificación":    batch.FieldTipoIdentificacion,
		"TIPO_IDENTIFICACION":    batch.FieldTipoIdentificacion,
		"tipo-de-identificacion": batch.FieldTipoIdentificacion,
		"IDENTIFICACIÓN":         batch.FieldIdentificacion,
		"Nombres":                batch.FieldNombres,
		"APELLIDOS":              batch.FieldApellidos,
		"Cargo":                  batch.FieldCargo,
		"ÁREA":                   batch.FieldArea,
		"Número factura":         batch.FieldNumeroFactura,
		"NumeroFactura":          batch.FieldNumeroFactura,
		"MailRecepcion":          batch.FieldMailRecepcion,
		"Fecha de factura":       batch.FieldFechaFactura,
	}
	for header, want := range cases {
		if got, ok := FieldOf(header); !ok || got != want {
			t.Errorf("FieldOf(%q) = %q, %v; want %q", header, got, ok, want)
		}
	}
	for _, header := range []string{"Emisor", "Valor total", "server", "Clave", ""} {
		if f, ok := FieldOf(header); ok {
			t.Errorf("FieldOf(%q) = %q; want no field", header, f)
		}
	}
}
