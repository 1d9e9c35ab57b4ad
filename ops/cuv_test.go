package ops

import (
	"strings"
	"testing"

	"batch"
)

func TestCheckCUV(t *testing.T) {
	long := strings.Repeat("ab", 48)
	cases := []struct{ in, want, problem string }{
		{long, long, ""},
		{" " + strings.ToUpper(long) + " ", long, ""},
		{long[:89], "", "89 caracteres"},
		{"", "", "vacía"},
		{long[:50] + " " + long[51:], "", "espacios"},
	}
	for _, c := range cases {
		got, problem := CheckCUV(c.in)
		if got != c.want || !strings.Contains(problem, c.problem) || (c.problem == "") != (problem == "") {
			t.Errorf("CheckCUV(%q) = %q, %q", c.in, got, problem)
		}
	}
}

func TestCUVColumnsAndCrossCheck(t *testing.T) {
	cols := (&CUV{}).Columns()
	for _, want := range []string{"cuv_fecha_validacion", "cuv_num_documento_id_obligado", "cuv_numero_documento", "cuv_total_factura", "cuv_identificacion_adquiriente", "cuv_num_documento_referenciado"} {
		found := false
		for _, c := range cols {
			found = found || c == want
		}
		if !found {
			t.Errorf("no column %s in %v", want, cols)
		}
	}
	sheet := &batch.Sheet{Index: map[batch.Field]int{batch.FieldNumeroDocumento: 0, batch.FieldNITEmisor: 1, batch.FieldFechaDocumento: 2}}
	ok := batch.Result{Status: batch.StatusOK, Values: map[string]any{"numeroDocumento": "SETT28", "numDocumentoIdObligado": "88888888", "fechaEmision": "2025-01-28T11:25:00"}}
	row := batch.Row{Sheet: sheet, Cells: []string{"SETT28", "888.888.88", "28/01/2025"}}
	if got := (&CUV{}).Review(row, ok); got.Status != batch.StatusOK || got.Message != "" {
		t.Errorf("matching invoice: %+v", got)
	}
	row = batch.Row{Sheet: sheet, Cells: []string{"SETT32", "99999999", "2025-01-29"}}
	got := (&CUV{}).Review(row, ok)
	for _, want := range []string{"SETT32", "SETT28", "99999999", "2025-01-28", "2025-01-29"} {
		if got.Status != batch.StatusRevisar || !strings.Contains(got.Message, want) {
			t.Errorf("mismatch: %s %q, want REVISAR naming %s", got.Status, got.Message, want)
		}
	}
}
