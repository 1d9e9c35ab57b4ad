package ops

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"batch"
	"batch/afacturar"
)

// CUV confirms a RIPS validation code (CUV) with Afacturar's consultar_cuv.
type CUV struct {
	Client *afacturar.Client
}

func (*CUV) Name() string { return "cuv" }

// KeyField is the column that holds the operation's key.
func (*CUV) KeyField() batch.Field { return batch.FieldCUV }

// Columns are the CUV's output columns: its status, code and message, then
// every resultado field in snake case.
func (*CUV) Columns() []string {
	cols := []string{"cuv_estado", "cuv_codigo", "cuv_mensaje"}
	for _, f := range afacturar.CUVFields {
		cols = append(cols, "cuv_"+snake(f))
	}
	return cols
}

// Cells returns a result in Columns' order: amounts and counts as numbers,
// dates as dates.
func (*CUV) Cells(r batch.Result) []any {
	cells := []any{string(r.Status), r.Code, r.Message}
	for _, f := range afacturar.CUVFields {
		v := r.Values[f]
		if s, ok := v.(string); ok && strings.HasPrefix(f, "fecha") {
			if t, ok := parseISO(s); ok {
				v = t
			}
		}
		if v == nil {
			v = ""
		}
		cells = append(cells, v)
	}
	return cells
}

// Check returns the row's CUV or why it must not be sent.
func (o *CUV) Check(row batch.Row) (string, string) {
	q, problem := o.build(row)
	return q.CUV, problem
}

// Request is what Send sends for the row, minus the token.
func (o *CUV) Request(row batch.Row) string {
	q, _ := o.build(row)
	data, _ := o.Client.CUVData(q)
	return o.Client.Request(afacturar.PathCUV, data)
}

// Send queries the CUV and, when it is valid, checks that it belongs to the
// row's invoice.
func (o *CUV) Send(ctx context.Context, row batch.Row) batch.Answer {
	q, problem := o.build(row)
	if problem != "" {
		return batch.Answer{Class: batch.ClassRejected, Message: problem}
	}
	ans := o.Client.ConsultarCUV(ctx, q)
	if ans.Class == batch.ClassOK {
		ans.Message = crossCheck(row, ans.Values)
	}
	return ans
}

// crossCheck tells the payer when the RIPS validated under this CUV is not
// the invoice the row names.
func crossCheck(row batch.Row, v map[string]any) string {
	var notes []string
	if want := strings.TrimSpace(row.Get(batch.FieldNumeroDocumento)); want != "" {
		if got, _ := v["numeroDocumento"].(string); !strings.EqualFold(got, want) {
			notes = append(notes, fmt.Sprintf("el CUV es de la factura %s, no de %s (numero_documento de la fila)", orNone(got), want))
		}
	}
	if want := digits(row.Get(batch.FieldNITEmisor)); want != "" {
		if got, _ := v["numDocumentoIdObligado"].(string); digits(got) != want {
			notes = append(notes, fmt.Sprintf("el CUV es del obligado %s, no de %s (NIT emisor de la fila)", orNone(got), row.Get(batch.FieldNITEmisor)))
		}
	}
	if len(notes) == 0 {
		return ""
	}
	return "ATENCIÓN: " + strings.Join(notes, "; ")
}

func (o *CUV) build(row batch.Row) (afacturar.CUVQuery, string) {
	cuv, problem := CheckCUV(row.Get(batch.FieldCUV))
	if problem != "" {
		return afacturar.CUVQuery{}, problem
	}
	q := afacturar.CUVQuery{CUV: cuv, NumeroDocumento: strings.TrimSpace(row.Get(batch.FieldNumeroDocumento))}
	if raw := row.Get(batch.FieldFechaDocumento); raw != "" {
		d, ok := NormalizeDate(raw)
		if !ok {
			return afacturar.CUVQuery{}, fmt.Sprintf("fecha_documento: «%s» no es una fecha; escríbala como AAAA-MM-DD", raw)
		}
		q.FechaDocumento = d
	}
	return q, ""
}

// CheckCUV normalises a CUV (trimmed, lowercase) and checks the seed's rule:
// at least 90 characters, and nothing a spreadsheet adds.
func CheckCUV(raw string) (string, string) {
	c := strings.ToLower(strings.TrimSpace(raw))
	n := utf8.RuneCountInString(c)
	switch {
	case c == "":
		return "", "CUV: la celda está vacía"
	case isScientific(c) || (isLongNumber(c) && n < 90):
		return "", fmt.Sprintf("CUV: «%s» fue convertido en número por la hoja de cálculo, que perdió cifras; escríbalo como texto", strings.TrimSpace(raw))
	case strings.IndexFunc(c, unicode.IsSpace) >= 0:
		return "", "CUV: contiene espacios"
	case n < 90:
		return "", fmt.Sprintf("CUV: tiene %d caracteres y debe tener al menos 90", n)
	}
	return c, ""
}

// NormalizeDate reads the dates people type or spreadsheets show
// (2025-01-30, 30/01/2025, 30-01-2025, 2025/01/30, 30-Jan-2025, 30-ene-2025)
// and the serial numbers a spreadsheet stores (45687, in days since
// 1899-12-30) as AAAA-MM-DD.
func NormalizeDate(raw string) (string, bool) {
	s := strings.TrimSpace(raw)
	if serial, err := strconv.ParseFloat(s, 64); err == nil {
		// 1982 to 2119: beyond that a number is not a date someone meant.
		if serial < 30000 || serial > 80000 {
			return "", false
		}
		return time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(serial)).Format("2006-01-02"), true
	}
	if i := strings.IndexAny(s, "T "); i == 10 {
		s = s[:10]
	}
	s = spanishMonths.Replace(strings.ToLower(s))
	for _, layout := range []string{"2006-01-02", "02/01/2006", "2/1/2006", "02-01-2006", "2006/01/02", "02-Jan-2006", "2-Jan-2006", "02-Jan-06", "2-Jan-06"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format("2006-01-02"), true
		}
	}
	return "", false
}

// spanishMonths turns the month abbreviations of a Spanish spreadsheet
// into the ones time.Parse reads (it matches month names in any case).
var spanishMonths = strings.NewReplacer("-ene-", "-jan-", "-abr-", "-apr-", "-ago-", "-aug-", "-dic-", "-dec-",
	"-jan-", "-jan-", "-feb-", "-feb-", "-mar-", "-mar-", "-apr-", "-apr-", "-may-", "-may-", "-jun-", "-jun-",
	"-jul-", "-jul-", "-aug-", "-aug-", "-sep-", "-sep-", "-oct-", "-oct-", "-nov-", "-nov-", "-dec-", "-dec-")

func parseISO(s string) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// snake turns the service's camelCase field names into the workbook's
// snake_case.
func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

func digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

func orNone(s string) string {
	if s == "" {
		return "(sin número)"
	}
	return s
}
