// Package ops holds the operations a row can ask for: what each checks
// before a request is spent, how it turns a row into a request, and which
// columns it adds to the result workbook.
package ops

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"batch"
	"batch/afacturar"
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

// Acuse registers the RADIAN acuse de recibo (event 030) of each row's CUFE.
type Acuse struct {
	Client   *afacturar.Client
	Defaults Person
}

func (*Acuse) Name() string { return "acuse" }

// KeyField is the column that holds the operation's key.
func (*Acuse) KeyField() batch.Field { return batch.FieldCUFE }

// Columns are the acuse's output columns, in workbook order.
func (*Acuse) Columns() []string {
	return []string{"acuse_estado", "acuse_cude", "acuse_numero_evento", "acuse_url_xml", "acuse_codigo", "acuse_mensaje"}
}

// Cells returns a result's values in Columns' order.
func (*Acuse) Cells(r batch.Result) []any {
	if r.Status == "" {
		return []any{"", "", "", "", "", ""}
	}
	return []any{string(r.Status), str(r.Values["cude"]), str(r.Values["numero_evento"]), str(r.Values["url_xml"]), r.Code, r.Message}
}

// Check returns the row's key (its CUFE) or why it must not be sent.
func (o *Acuse) Check(row batch.Row) (key, problem string) {
	a, problem := o.build(row)
	return a.CUFE, problem
}

// Request is what Send sends for the row, minus the token, for the journal.
func (o *Acuse) Request(row batch.Row) string {
	a, _ := o.build(row)
	data, _ := o.Client.AcuseData(a)
	return o.Client.Request(afacturar.PathAcuse, data)
}

// Send registers the row's acuse.
func (o *Acuse) Send(ctx context.Context, row batch.Row) batch.Answer {
	a, problem := o.build(row)
	if problem != "" {
		return batch.Answer{Class: batch.ClassRejected, Message: problem}
	}
	return o.Client.AcuseRecibo(ctx, a)
}

func (o *Acuse) build(row batch.Row) (afacturar.Acuse, string) {
	cufe, problem := CheckCUFE(row.Get(batch.FieldCUFE))
	if problem != "" {
		return afacturar.Acuse{}, problem
	}
	p, problem := o.person(row)
	if problem != "" {
		return afacturar.Acuse{}, problem
	}
	return afacturar.Acuse{CUFE: cufe, Recibio: p}, ""
}

func (o *Acuse) person(row batch.Row) (afacturar.Persona, string) {
	get := func(f batch.Field, def string) string {
		if v := row.Get(f); v != "" {
			return v
		}
		return def
	}
	d := o.Defaults
	return CheckPerson(Person{
		TipoIdentificacion: get(batch.FieldTipoIdentificacion, d.TipoIdentificacion),
		Identificacion:     get(batch.FieldIdentificacion, d.Identificacion),
		Nombres:            get(batch.FieldNombres, d.Nombres),
		Apellidos:          get(batch.FieldApellidos, d.Apellidos),
		Cargo:              get(batch.FieldCargo, d.Cargo),
		Area:               get(batch.FieldArea, d.Area),
	})
}

var grouped = regexp.MustCompile(`^\d{1,3}([.,]\d{3})+$`)

// isHex reports whether s is only lowercase hexadecimal digits. (A loop:
// it runs on every row, and a regular expression costs ten times more.)
func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// isScientific reports whether s is a number in scientific notation
// ("9.99e+95"), which is what a spreadsheet makes of a long key it took
// for a number: sign, digits, an optional fraction, e, sign, digits.
func isScientific(s string) bool {
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

// isLongNumber reports whether s is only digits, more than 15 of them
// significant: what a spreadsheet keeps of a long number after Excel's 15
// digits of precision, the rest already turned into zeros.
func isLongNumber(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == "" && len(strings.TrimLeft(s, "0")) > 15
}

// Damaged reports whether a key or number was turned into a number by a
// spreadsheet and lost digits on the way: scientific notation, or more
// than 15 significant digits.
func Damaged(s string) bool { return isScientific(s) || isLongNumber(s) }

// wholeNumber drops the zero decimals a number format adds to an
// identification stored as a number ("52123456.00" in a "0.00" column).
func wholeNumber(s string) string {
	i := strings.LastIndexAny(s, ".,")
	if i <= 0 || i == len(s)-1 || strings.Trim(s[i+1:], "0") != "" || strings.Trim(s[:i], "0123456789") != "" {
		return s
	}
	return s[:i]
}

// CheckCUFE normalises a CUFE (trimmed, lowercase) and checks its form: 96
// hexadecimal characters, nothing else.
func CheckCUFE(raw string) (string, string) {
	c := strings.ToLower(strings.TrimSpace(raw))
	switch {
	case c == "":
		return "", "CUFE: la celda está vacía"
	case isScientific(c) || (isLongNumber(c) && len(c) != 96):
		return "", fmt.Sprintf("CUFE: «%s» fue convertido en número por la hoja de cálculo, que perdió cifras; escríbalo como texto", strings.TrimSpace(raw))
	case strings.ContainsAny(c, " -\t"):
		return "", "CUFE: contiene espacios o guiones; debe ser solo 96 caracteres hexadecimales (0-9, a-f)"
	case utf8.RuneCountInString(c) != 96:
		return "", fmt.Sprintf("CUFE: tiene %d caracteres y debe tener 96", utf8.RuneCountInString(c))
	case !isHex(c):
		return "", "CUFE: tiene caracteres que no son hexadecimales (solo se admiten 0-9 y a-f)"
	}
	return c, ""
}

// tiposIdentificacion are DIAN's identification types; the initials are
// how people write them in a spreadsheet.
var tiposIdentificacion = map[string]int{
	"11": 11, "12": 12, "13": 13, "21": 21, "22": 22, "31": 31, "41": 41,
	"42": 42, "47": 47, "48": 48, "50": 50, "91": 91,
	"RC": 11, "TI": 12, "CC": 13, "TE": 21, "CE": 22, "NIT": 31, "PA": 41,
	"PAS": 41, "PP": 41, "DIE": 42, "PEP": 47, "PPT": 48, "NUIP": 91,
}

const tiposValidos = "11, 12, 13, 21, 22, 31, 41, 42, 47, 48, 50, 91 (o CC, CE, NIT, TI, PA...)"

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
	if !ok {
		return out, fmt.Sprintf("tipo_identificacion: «%s» no es un código válido; use %s", p.TipoIdentificacion, tiposValidos)
	}
	id := strings.TrimSpace(p.Identificacion)
	switch {
	case id == "":
		return out, "identificacion: falta (columna del archivo o --identificacion)"
	case Damaged(id):
		return out, fmt.Sprintf("identificacion: «%s» fue convertida en número por la hoja de cálculo, que perdió cifras; escríbala como texto", id)
	case grouped.MatchString(id):
		id = strings.NewReplacer(".", "", ",", "").Replace(id)
	default:
		id = wholeNumber(id)
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
