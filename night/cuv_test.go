package night

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"batch"
	"batch/internal/stands"
	"batch/internal/testutil"
	"batch/sandbox"
)

// A payer's file: rows with a CUFE and a CUV, rows with only one, CUVs the
// validator never issued, CUVs too short to send, and a CUV that belongs to
// another invoice. Both operations share the token's limit.
func TestMixedAcuseAndCUV(t *testing.T) {
	t.Parallel()
	mismatch := cuvOf(303)
	sb, url := stands.Sandbox(t, sandbox.Config{
		// 20 over any 2 s window; the client knows the window and sends
		// 14 in it (room for a pause of the server). Two limiters, one per
		// operation, would send 28.
		RatePerMinute: 20, Window: 2 * time.Second,
		// The validator's own invoices: rows 2 and 6 name theirs, row 4 another.
		CUVs: map[string]sandbox.CUV{
			mismatch:   {NumDocumentoIdObligado: "88888888", NumeroDocumento: "SETT32", FechaEmision: "2025-01-28", TotalFactura: 113814},
			cuvOf(301): {NumDocumentoIdObligado: "900123456", NumeroDocumento: "SETT10", FechaEmision: "2025-01-30", TotalFactura: 5000},
			cuvOf(305): {NumDocumentoIdObligado: "900123456", NumeroDocumento: "SETT12", FechaEmision: "2025-01-30", TotalFactura: 7000},
		},
	}, testToken)
	unknown := sandbox.UnknownPrefix + cuvOf(302)[4:]
	dir := t.TempDir()
	in := filepath.Join(dir, "rips.xlsx")
	sheet := testutil.Sheet{Name: "RIPS", Rows: [][]any{
		{"CUFE", "CUV", "Número documento", "Fecha documento", "NIT emisor", "Tipo identificación", "Identificación", "Nombres", "Apellidos"},
		{testutil.CUFE(301), cuvOf(301), "SETT10", "2025-01-30", "", 13, 1, "Ana", "Gómez"},
		{testutil.CUFE(302), unknown, "SETT11", "", "", 13, 1, "Ana", "Gómez"},
		{testutil.CUFE(303), mismatch, "SETT28", "", "888.888.88", 13, 1, "Ana", "Gómez"},
		{testutil.CUFE(304), cuvOf(304)[:60], "", "", "", 13, 1, "Ana", "Gómez"},
		{"", cuvOf(305), "", "30/01/2025", "", "", "", "", ""},
		{testutil.CUFE(306), "", "", "", "", 13, 1, "Ana", "Gómez"},
		{"", "", "SETT99", "", "", 13, 1, "Ana", "Gómez"},
		{testutil.CUFE(301), cuvOf(301), "SETT10", "2025-01-30", "", 13, 1, "Ana", "Gómez"},
	}}
	// Enough rows with both keys that two limiters would break the window.
	for i := 0; i < 20; i++ {
		sheet.Rows = append(sheet.Rows, []any{testutil.CUFE(400 + i), cuvOf(400 + i), "", "", "", 13, 1, "Ana", "Gómez"})
	}
	testutil.WriteXLSX(t, in, sheet)
	out := filepath.Join(dir, "r.xlsx")
	s := settingsFor(url, filepath.Join(dir, "j.db"), out, in)
	s.Reach[batch.ServiceAfacturar].Rate, s.Reach[batch.ServiceAfacturar].Window = 14, 2*time.Second
	if o := send(t, s); o.Verdict() != Attention {
		t.Fatalf("verdict %d: %v %v", o.Verdict(), o.Failed, o.Err)
	}
	rows := testutil.ReadSheet(t, out, "Resultados")
	want := []struct{ acuse, cuv, cuvMsg string }{
		{"OK", "OK", ""},
		{"OK", "RECHAZADO", "no se encuentra registrado"},
		{"OK", "REVISAR", "el CUV es de la factura SETT32, no de SETT28"},
		{"OK", "INVALIDO", "60 caracteres"},
		{"", "OK", ""},
		{"OK", "", ""},
		{"INVALIDO", "INVALIDO", "vacía"},
		{"OK", "OK", "mismo CUV"},
	}
	for i, w := range want {
		r := rows[i]
		if r["acuse_estado"] != w.acuse || r["cuv_estado"] != w.cuv || !strings.Contains(r["cuv_mensaje"], w.cuvMsg) {
			t.Errorf("fila %s: acuse %q cuv %q %q; want %q %q %q", r["fila"], r["acuse_estado"], r["cuv_estado"], r["cuv_mensaje"], w.acuse, w.cuv, w.cuvMsg)
		}
	}
	if sb.Attempts(cuvOf(304)[:60]) != 0 {
		t.Error("a CUV too short was sent")
	}
	if sb.Attempts(cuvOf(301)) != 1 {
		t.Errorf("a repeated CUV was sent %d times", sb.Attempts(cuvOf(301)))
	}
	if sb.RateLimited() != 0 {
		t.Errorf("the sandbox answered 429 %d times: the operations do not share the limit", sb.RateLimited())
	}
	if rows[0]["cuv_fecha_documento"] != "" || rows[0]["cuv_numero_documento"] != "SETT10" {
		t.Errorf("cuv columns: %v", rows[0])
	}

	// Amounts are numbers, dates are dates.
	f, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	header, _ := f.GetRows("Resultados")
	col := func(name string) string {
		for i, h := range header[0] {
			if h == name {
				c, _ := excelize.CoordinatesToCellName(i+1, 4)
				return c
			}
		}
		t.Fatalf("no column %s", name)
		return ""
	}
	if typ, _ := f.GetCellType("Resultados", col("cuv_total_factura")); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Errorf("cuv_total_factura is stored as %v", typ)
	}
	if v, _ := f.GetCellValue("Resultados", col("cuv_total_factura"), excelize.Options{RawCellValue: true}); v != "113814" {
		t.Errorf("cuv_total_factura = %q", v)
	}
	raw, _ := f.GetCellValue("Resultados", col("cuv_fecha_emision"), excelize.Options{RawCellValue: true})
	shown, _ := f.GetCellValue("Resultados", col("cuv_fecha_emision"))
	if !strings.Contains(raw, ".") && raw == shown || !strings.HasPrefix(shown, "2025-01-28") {
		t.Errorf("cuv_fecha_emision is not a date cell: raw %q shown %q", raw, shown)
	}
}

// The same CUV on two rows for two invoices: one answer, two checks. The
// row whose invoice is not the CUV's is REVISAR, on the Atención sheet,
// and the exit code says not everything is clean.
func TestCrossCheckRunsPerRow(t *testing.T) {
	t.Parallel()
	_, url := stands.Sandbox(t, sandbox.Config{RatePerMinute: -1,
		CUVs: map[string]sandbox.CUV{cuvOf(500): {NumDocumentoIdObligado: "900123456", NumeroDocumento: "FE100", FechaEmision: "2026-11-02"}}}, testToken)
	dir := t.TempDir()
	in := filepath.Join(dir, "rips.csv")
	writeText(t, in, "CUV;Numero documento\n"+cuvOf(500)+";FE100\n"+cuvOf(500)+";FE999\n")
	out := filepath.Join(dir, "r.xlsx")
	o := send(t, settingsFor(url, filepath.Join(dir, "j.db"), out, in))
	rows := testutil.ReadSheet(t, out, "Resultados")
	if o.Verdict() != Attention || rows[0]["cuv_estado"] != "OK" || rows[1]["cuv_estado"] != "REVISAR" || !strings.Contains(rows[1]["cuv_mensaje"], "FE100, no de FE999") {
		t.Fatalf("verdict %d, rows %v", o.Verdict(), rows)
	}
	attention := testutil.ReadSheet(t, out, "Atención")
	if len(attention) != 1 || attention[0]["fila"] != "3" || attention[0]["estado"] != "REVISAR" {
		t.Errorf("Atención: %v", attention)
	}
}

// cuvOf is the n-th well-formed CUV.
func cuvOf(n int) string { return testutil.CUFE(1_000_000 + n) }
