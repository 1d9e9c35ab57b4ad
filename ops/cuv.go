package ops

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"batch"
	"batch/afacturar"
	"batch/cells"
)

// cuvSpec declares the CUV query: a CUV column asks for it. Afacturar has
// published consultar_cuv for pruebas only.
var cuvSpec = Spec{
	Name:        batch.OpCUV,
	Key:         batch.FieldCUV,
	Needs:       []batch.Field{batch.FieldCUV},
	Endpoint:    "consultar_cuv",
	Service:     batch.ServiceAfacturar,
	PruebasOnly: true,
	Repeat:      RepeatHarmless,
	New:         func(e Env) Operation { return &CUV{Client: e.Afacturar} },
}

// CUV confirms a RIPS validation code (CUV) with Afacturar's consultar_cuv.
type CUV struct {
	Client *afacturar.Client
}

func (*CUV) Name() string { return cuvSpec.Name }

// Statuses: a CUV whose answer disagrees with the row is REVISAR.
func (*CUV) Statuses() []batch.Status { return statuses(batch.StatusRevisar) }

// KeyField is the column that holds the operation's key.
func (*CUV) KeyField() batch.Field { return cuvSpec.Key }

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

// Prepare checks the row and builds its query once.
func (o *CUV) Prepare(row batch.Row) (batch.Request, string) {
	q, problem := o.build(row)
	if problem != "" {
		return batch.Request{}, problem
	}
	return restRequest(o.Client, q.CUV, afacturar.PathCUV,
		func() ([]byte, error) { return o.Client.CUVData(q) },
		func(ctx context.Context, data []byte) batch.Answer { return o.Client.SendCUV(ctx, q.CUV, data) }), ""
}

// Review checks one row against what the provider says of its CUV: the
// invoice number, its date and the obligado. Rows sharing a CUV are checked
// each against its own data; a disagreement is REVISAR, with what differs.
func (*CUV) Review(row batch.Row, res batch.Result) batch.Result {
	var notes []string
	v := res.Values
	if want := strings.TrimSpace(row.Get(batch.FieldNumeroDocumento)); want != "" {
		if got, _ := v["numeroDocumento"].(string); !strings.EqualFold(got, want) {
			notes = append(notes, fmt.Sprintf("el CUV es de la factura %s, no de %s (numero_documento de la fila)", orNone(got), want))
		}
	}
	if raw := row.Get(batch.FieldFechaDocumento); raw != "" {
		want, _ := cells.NormalizeDate(raw)
		if got, _ := v["fechaEmision"].(string); want != "" && !strings.HasPrefix(got, want) {
			notes = append(notes, fmt.Sprintf("el CUV es de una factura emitida el %s, no el %s (fecha_documento de la fila)", orNone(got[:min(len(got), 10)]), want))
		}
	}
	if want := cells.Digits(row.Get(batch.FieldNITEmisor)); want != "" {
		if got, _ := v["numDocumentoIdObligado"].(string); cells.Digits(got) != want {
			notes = append(notes, fmt.Sprintf("el CUV es del obligado %s, no de %s (NIT emisor de la fila)", orNone(got), row.Get(batch.FieldNITEmisor)))
		}
	}
	if len(notes) > 0 {
		res.Status = batch.StatusRevisar
		res.Message = joinNote(res.Message, strings.Join(notes, "; "))
	}
	return res
}

func (o *CUV) build(row batch.Row) (afacturar.CUVQuery, string) {
	cuv, problem := CheckCUV(row.Get(batch.FieldCUV))
	if problem != "" {
		return afacturar.CUVQuery{}, problem
	}
	q := afacturar.CUVQuery{CUV: cuv, NumeroDocumento: strings.TrimSpace(row.Get(batch.FieldNumeroDocumento))}
	if raw := row.Get(batch.FieldFechaDocumento); raw != "" {
		d, ok := cells.NormalizeDate(raw)
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
	case cells.IsScientific(c) || (cells.IsLongNumber(c) && n < 90):
		return "", fmt.Sprintf("CUV: «%s» fue convertido en número por la hoja de cálculo, que perdió cifras; escríbalo como texto", strings.TrimSpace(raw))
	case strings.IndexFunc(c, unicode.IsSpace) >= 0:
		return "", "CUV: contiene espacios"
	case n < 90:
		return "", fmt.Sprintf("CUV: tiene %d caracteres y debe tener al menos 90", n)
	}
	return c, ""
}

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

func orNone(s string) string {
	if s == "" {
		return "(sin número)"
	}
	return s
}
