package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"batch/internal/stands"
	"batch/internal/testutil"
	"batch/sandbox"
)

// Every broken file of the readers' corpus, given to a real run against a
// sandbox: exit 2, one message, no request, no workbook.
func TestBrokenFilesSendNothing(t *testing.T) {
	t.Parallel()
	sb, url := stands.Sandbox(t, sandbox.Config{RatePerMinute: -1}, token)
	files, err := filepath.Glob(filepath.Join("..", "..", "readers", "testdata", "rotos", "*"))
	if err != nil || len(files) < 10 {
		t.Fatalf("corpus: %v, %d files", err, len(files))
	}
	files = append(files, filepath.Join("..", "..", "readers", "testdata", "protegido.xlsx"))
	vars := env(map[string]string{"AFACTURAR_TOKEN": token, "AFACTURAR_OBLIGADO": "900123456"})
	for _, in := range files {
		name := filepath.Base(in)
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "resultados.xlsx")
			code, msg := runMain(t, vars, "run", "--url", url, "--nombres", "Ana", "--apellidos", "Gómez", "--tipo-identificacion", "CC", "--identificacion", "1", "-o", out, in)
			if name == "solo-encabezado.csv" || name == "solo-encabezado.xlsx" {
				if code != exitOK || !strings.Contains(msg, "no hay filas de datos debajo del encabezado") {
					t.Errorf("exit %d:\n%s", code, msg)
				}
				return
			}
			lines := strings.Split(strings.TrimSpace(msg), "\n")
			if code != exitNothing || len(lines) != 1 || !strings.HasPrefix(lines[0], "batch: ") {
				t.Errorf("exit %d, %d lines:\n%s", code, len(lines), msg)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("a workbook was written for a file that cannot be read")
			}
		})
	}
	if n := sb.Requests(); n != 0 {
		t.Errorf("%d requests reached the provider", n)
	}
}

// What a spreadsheet does to cells, through a check: damaged keys and
// numbers are INVALIDO with the reason, the rest would be sent with their
// keys lowered; hostile values stay text in the workbook.
func TestCorpusCellsThroughCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "revision.xlsx")
	code, msg := runMain(t, env(nil), "check", "-o", out, filepath.Join("..", "..", "readers", "testdata", "excel-titulos-formulas.xlsx"))
	if code != exitSomeRows {
		t.Fatalf("exit %d:\n%s", code, msg)
	}
	rows := testutil.ReadSheet(t, out, "Resultados")
	want := []struct{ fila, estado, mensaje string }{
		{"5", "PENDIENTE", "se enviaría"},
		{"6", "PENDIENTE", "se enviaría"},
		{"8", "PENDIENTE", "se enviaría"},
		{"9", "INVALIDO", "CUFE: «9.99E+95» fue convertido en número por la hoja de cálculo"},
		{"10", "INVALIDO", "identificacion: «1.23456789012346E+19» fue convertida en número"},
		{"11", "PENDIENTE", "se enviaría"},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for i, w := range want {
		r := rows[i]
		if r["fila"] != w.fila || r["acuse_estado"] != w.estado || !strings.Contains(r["acuse_mensaje"], w.mensaje) {
			t.Errorf("row %d: fila %s %s %q, want fila %s %s %q", i, r["fila"], r["acuse_estado"], r["acuse_mensaje"], w.fila, w.estado, w.mensaje)
		}
	}
	// The input's date (a serial with Excel's short date format) stays a
	// date: the same serial, the same format.
	book, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	defer book.Close()
	if got := typedCell(t, book, "Fecha documento", 2); got != (typed{"número", "46346", "14"}) {
		t.Errorf("the input's date written as %+v, want the serial 46346 (2026-11-20) with format 14", got)
	}

	for _, file := range []string{"valores-hostiles.csv", "valores-hostiles.xlsx"} {
		t.Run(file, func(t *testing.T) {
			out := filepath.Join(dir, file+".xlsx")
			code, msg := runMain(t, env(nil), "check", "--tipo-identificacion", "CC", "-o", out, filepath.Join("..", "..", "readers", "testdata", file))
			if code > exitSomeRows {
				t.Fatalf("exit %d:\n%s", code, msg)
			}
			f, err := excelize.OpenFile(out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rows, _ := f.GetRows("Resultados")
			formulas := 0
			for r := range rows {
				for c := range rows[r] {
					cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
					if fo, _ := f.GetCellFormula("Resultados", cell); fo != "" {
						formulas++
					}
					if strings.ContainsAny(rows[r][c], "\a\x1b") {
						t.Errorf("%s holds a control character", cell)
					}
				}
			}
			joined := ""
			for _, r := range rows {
				joined += strings.Join(r, "|") + "\n"
			}
			for _, text := range []string{"|=1+1|", "@SUMA(A1)"} {
				if !strings.Contains(joined, text) {
					t.Errorf("%q is not in the workbook as text", text)
				}
			}
			if formulas != 0 {
				t.Errorf("%d formulas in Resultados", formulas)
			}
			if file == "valores-hostiles.csv" && !strings.Contains(joined, strings.Repeat("A", 32000)) {
				t.Errorf("the 32,000-character cell did not reach the workbook whole")
			}
		})
	}
}

// A sheet that only shares a column with the invoices (a sales report with
// the invoice number) is no operation's: its rows are not in the workbook.
func TestSheetsNoOperationIsForAreLeftOut(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := filepath.Join(dir, "libro.xlsx")
	testutil.WriteXLSX(t, in,
		testutil.Sheet{Name: "Ventas", Rows: [][]any{{"Número factura", "Valor"}, {"FE1", 100}, {"FE2", 200}}},
		testutil.Sheet{Name: "Recibidas", Rows: [][]any{{"CUFE", "Nombres", "Apellidos"}, {testutil.CUFE(1), "Ana", "Gómez"}}})
	out := filepath.Join(dir, "revision.xlsx")
	code, msg := runMain(t, env(nil), "check", "--tipo-identificacion", "CC", "--identificacion", "1", "-o", out, in)
	rows := testutil.ReadSheet(t, out, "Resultados")
	if code != exitOK || len(rows) != 1 || rows[0]["hoja"] != "Recibidas" {
		t.Errorf("exit %d, rows %v:\n%s", code, rows, msg)
	}
}
