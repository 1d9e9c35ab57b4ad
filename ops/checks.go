package ops

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"batch/afacturar"
	"batch/cells"
)

// Person holds the recipient's fields given by flags, for files that lack
// them (usually the same person receives every invoice).
type Person struct {
	TipoIdentificacion string
	Identificacion     string
	Nombres            string
	Apellidos          string
	Cargo              string
	Area               string
}

// CheckCUFE normalises a CUFE (trimmed, lowercase) and checks its form: 96
// hexadecimal characters, nothing else.
func CheckCUFE(raw string) (string, string) {
	c := strings.ToLower(strings.TrimSpace(raw))
	switch {
	case c == "":
		return "", "CUFE: la celda está vacía"
	case cells.IsScientific(c) || (cells.IsLongNumber(c) && len(c) != 96):
		return "", fmt.Sprintf("CUFE: «%s» fue convertido en número por la hoja de cálculo, que perdió cifras; escríbalo como texto", strings.TrimSpace(raw))
	case strings.ContainsAny(c, " -\t"):
		return "", "CUFE: contiene espacios o guiones; debe ser solo 96 caracteres hexadecimales (0-9, a-f)"
	case utf8.RuneCountInString(c) != 96:
		return "", fmt.Sprintf("CUFE: tiene %d caracteres y debe tener 96", utf8.RuneCountInString(c))
	case !cells.IsHex(c):
		return "", "CUFE: tiene caracteres que no son hexadecimales (solo se admiten 0-9 y a-f)"
	}
	return c, ""
}

// tiposIdentificacion are DIAN's identification types; the initials are
// how people write them in a spreadsheet.
var tiposIdentificacion = map[string]int{
	"11": 11, "12": 12, "13": 13, "21": 21, "22": 22, "31": 31, "41": 41,
	"42": 42, "50": 50, "91": 91,
	"RC": 11, "TI": 12, "CC": 13, "TE": 21, "CE": 22, "NIT": 31, "PA": 41,
	"PAS": 41, "PP": 41, "DIE": 42, "NUIP": 91,
}

// TiposValidos are the codes Afacturar's acuse documents, for messages.
const TiposValidos = "11, 12, 13, 21, 22, 31, 41, 42, 50, 91 (o CC, CE, NIT, TI, PA...)"

// undocumented are DIAN codes that Afacturar's page does not list (47 PEP,
// 48 PPT): a row with one is refused before a request is spent on it.
var undocumented = map[string]string{"47": "47 (PEP)", "48": "48 (PPT)", "PEP": "47 (PEP)", "PPT": "48 (PPT)"}

// ParseTipoIdentificacion reads "13", "13.0", "13 - Cédula" or "CC".
func ParseTipoIdentificacion(raw string) (int, bool) {
	s := strings.ToUpper(strings.TrimSpace(raw))
	if t, ok := tiposIdentificacion[s]; ok {
		return t, true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == float64(int(f)) {
		t, ok := tiposIdentificacion[strconv.Itoa(int(f))]
		return t, ok
	}
	end := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	if end > 0 {
		if t, ok := tiposIdentificacion[s[:end]]; ok {
			return t, true
		}
	}
	if f := strings.Fields(strings.NewReplacer("-", " ", ".", " ").Replace(s)); len(f) > 0 {
		t, ok := tiposIdentificacion[f[0]]
		return t, ok
	}
	return 0, false
}

// CheckPerson checks quien_recibio_documento as the service's schema does,
// so that a row the provider would refuse is never sent.
func CheckPerson(p Person) (afacturar.Persona, string) {
	var out afacturar.Persona
	if strings.TrimSpace(p.TipoIdentificacion) == "" {
		return out, "tipo_identificacion: falta (columna del archivo o --tipo-identificacion)"
	}
	t, ok := ParseTipoIdentificacion(p.TipoIdentificacion)
	if code, known := undocumented[strings.ToUpper(strings.TrimSpace(p.TipoIdentificacion))]; known {
		return out, fmt.Sprintf("tipo_identificacion: %s es un tipo de la DIAN que Afacturar no acepta en el acuse; use uno de %s", code, TiposValidos)
	}
	if !ok {
		return out, fmt.Sprintf("tipo_identificacion: «%s» no es un código válido; use %s", p.TipoIdentificacion, TiposValidos)
	}
	id := strings.TrimSpace(p.Identificacion)
	switch {
	case id == "":
		return out, "identificacion: falta (columna del archivo o --identificacion)"
	case cells.Damaged(id):
		return out, fmt.Sprintf("identificacion: «%s» fue convertida en número por la hoja de cálculo, que perdió cifras; escríbala como texto", id)
	case cells.Grouped(id):
		id = strings.NewReplacer(".", "", ",", "").Replace(id)
	default:
		id = cells.WholeNumber(id)
	}
	out = afacturar.Persona{TipoIdentificacion: t, Identificacion: id,
		Nombres: strings.TrimSpace(p.Nombres), Apellidos: strings.TrimSpace(p.Apellidos),
		Cargo: strings.TrimSpace(p.Cargo), Area: strings.TrimSpace(p.Area)}
	for _, f := range []struct {
		name, value string
		required    bool
	}{
		{"nombres", out.Nombres, true},
		{"apellidos", out.Apellidos, true},
		{"cargo", out.Cargo, false},
		{"area", out.Area, false},
	} {
		n := utf8.RuneCountInString(f.value)
		switch {
		case n == 0 && f.required:
			return out, fmt.Sprintf("%s: falta (columna del archivo o --%s)", f.name, f.name)
		case n > 0 && n < 3:
			return out, fmt.Sprintf("%s: «%s» tiene menos de 3 caracteres", f.name, f.value)
		}
	}
	return out, ""
}

func str(v any) string {
	if v == nil {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}
