package ops

import (
	"strings"
	"testing"

	"batch/internal/testutil"
)

func TestCheckCUFE(t *testing.T) {
	good := testutil.CUFE(1)
	cases := []struct{ in, want, problem string }{
		{good, good, ""},
		{"  " + strings.ToUpper(good) + " ", good, ""},
		{"", "", "vacía"},
		{good[:95], "", "95 caracteres"},
		{good[:40] + "-" + good[41:], "", "guiones"},
		{good[:40] + " " + good[41:], "", "espacios"},
		{good[:95] + "g", "", "hexadecimales"},
		{"1.23456789012346E+95", "", "convertido en número"},
	}
	for _, c := range cases {
		got, problem := CheckCUFE(c.in)
		if got != c.want || !strings.Contains(problem, c.problem) || (c.problem == "") != (problem == "") {
			t.Errorf("CheckCUFE(%q) = %q, %q; want %q, %q", c.in, got, problem, c.want, c.problem)
		}
	}
}

func TestParseTipoIdentificacion(t *testing.T) {
	for in, want := range map[string]int{"13": 13, "13.0": 13, "31 - NIT": 31, "CC": 13, "nit": 31, "50": 50, "91": 91} {
		if got, ok := ParseTipoIdentificacion(in); !ok || got != want {
			t.Errorf("ParseTipoIdentificacion(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	// 47 and 48 are DIAN's, but not on Afacturar's list.
	for _, in := range []string{"", "99", "X", "14", "1.5", "47", "48", "PEP", "PPT"} {
		if got, ok := ParseTipoIdentificacion(in); ok {
			t.Errorf("ParseTipoIdentificacion(%q) = %d; want refused", in, got)
		}
	}
}

func TestCheckPerson(t *testing.T) {
	ok := Person{TipoIdentificacion: "13", Identificacion: "52.123.456", Nombres: "Ana", Apellidos: "Gómez", Cargo: "Auxiliar"}
	p, problem := CheckPerson(ok)
	if problem != "" || p.Identificacion != "52123456" || p.TipoIdentificacion != 13 || p.Area != "" {
		t.Errorf("CheckPerson(ok) = %+v, %q", p, problem)
	}
	for in, want := range map[string]string{"52123456.00": "52123456", "52123456,0": "52123456", "0052123456": "0052123456", "AB123.00": "AB123.00", "123456789012345": "123456789012345"} {
		q := ok
		q.Identificacion = in
		if p, problem := CheckPerson(q); problem != "" || p.Identificacion != want {
			t.Errorf("identificacion %q read as %q (%q), want %q", in, p.Identificacion, problem, want)
		}
	}
	cases := map[string]func(*Person){
		"tipo_identificacion: falta":                      func(p *Person) { p.TipoIdentificacion = "" },
		"no es un código válido":                          func(p *Person) { p.TipoIdentificacion = "77" },
		"identificacion: falta":                           func(p *Person) { p.Identificacion = "" },
		"«1.00200300400501E+15» fue convertida en número": func(p *Person) { p.Identificacion = "1.00200300400501E+15" },
		"«12345678901234567000» fue convertida en número": func(p *Person) { p.Identificacion = "12345678901234567000" },
		"nombres: «Al» tiene menos de 3":                  func(p *Person) { p.Nombres = "Al" },
		"apellidos: falta":                                func(p *Person) { p.Apellidos = " " },
		"cargo: «TI» tiene menos de 3":                    func(p *Person) { p.Cargo = "TI" },
		"area: «RH» tiene menos de 3":                     func(p *Person) { p.Area = "RH" },
	}
	for want, mutate := range cases {
		p := ok
		mutate(&p)
		if _, problem := CheckPerson(p); !strings.Contains(problem, want) {
			t.Errorf("problem %q, want %q", problem, want)
		}
	}
}

// 47 (PEP) and 48 (PPT) are DIAN's codes but not on Afacturar's list: the
// row is refused before sending, saying why.
func TestUndocumentedTiposAreRefused(t *testing.T) {
	for _, tipo := range []string{"47", "48", "PEP", "ppt"} {
		_, problem := CheckPerson(Person{TipoIdentificacion: tipo, Identificacion: "1", Nombres: "Ana", Apellidos: "Gómez"})
		if !strings.Contains(problem, "Afacturar no acepta") {
			t.Errorf("%s: %q", tipo, problem)
		}
	}
}
