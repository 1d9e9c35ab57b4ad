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
	sheet := &batch.Sheet{Index: map[batch.Field]int{batch.FieldNumeroDocumento: 0, batch.FieldNITEmisor: 1}}
	row := batch.Row{Sheet: sheet, Cells: []string{"SETT28", "888.888.88"}}
	if msg := crossCheck(row, map[string]any{"numeroDocumento": "SETT28", "numDocumentoIdObligado": "88888888"}); msg != "" {
		t.Errorf("matching invoice: %q", msg)
	}
	msg := crossCheck(row, map[string]any{"numeroDocumento": "SETT32", "numDocumentoIdObligado": "99999999"})
	if !strings.Contains(msg, "SETT32") || !strings.Contains(msg, "SETT28") || !strings.Contains(msg, "99999999") {
		t.Errorf("mismatch message: %q", msg)
	}
}
