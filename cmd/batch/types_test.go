package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// typed is a Resultados cell as stored: its kind ("" for no cell, texto,
// número, booleano), its raw value (as excelize reads it, to 15 significant
// digits) and its number format (built-in id or custom code).
type typed struct {
	kind, raw string
	format    string
}

func typedCell(t *testing.T, f *excelize.File, header string, row int) typed {
	t.Helper()
	head, _ := f.GetRows("Resultados")
	for i, h := range head[0] {
		if h != header {
			continue
		}
		cell, _ := excelize.CoordinatesToCellName(i+1, row)
		raw, _ := f.GetCellValue("Resultados", cell, excelize.Options{RawCellValue: true})
		typ, _ := f.GetCellType("Resultados", cell)
		kind := "texto"
		switch {
		case raw == "":
			kind = ""
		case typ == excelize.CellTypeBool:
			kind = "booleano"
		case typ == excelize.CellTypeNumber || typ == excelize.CellTypeUnset:
			kind = "número"
		}
		format := ""
		id, _ := f.GetCellStyle("Resultados", cell)
		if style, _ := f.GetStyle(id); style != nil && kind == "número" {
			format = fmt.Sprint(style.NumFmt)
			if style.CustomNumFmt != nil {
				format = *style.CustomNumFmt
			}
		}
		return typed{kind, raw, format}
	}
	t.Fatalf("no column %s in %v", header, head[0])
	return typed{}
}

// The result workbook keeps what the input said: a number stays a number
// with its format, a date a date, a boolean a boolean, an empty cell no
// cell, and identifiers stay text whatever they look like. Inputs written
// by openpyxl, by LibreOffice from a CSV, and a Spanish CSV typed by hand;
// LibreOffice and openpyxl then read the result back (readByOthers).
func TestInputTypesSurviveTheWorkbook(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	num := func(raw, format string) typed { return typed{"número", raw, format} }
	text := func(s string) typed { return typed{"texto", s, ""} }
	cases := []struct {
		file string
		want map[string]map[int]typed // header → row → cell
	}{
		{"openpyxl.xlsx", map[string]map[int]typed{
			"NIT emisor":     {2: text("900123456")},
			"Número factura": {2: text("SETP990000001")},
			"Fecha factura":  {2: num("46328", "dd/mm/yyyy"), 4: num("46387", "dd/mm/yyyy")},
			"Registrada":     {2: num("46328.6042245370", "yyyy-mm-dd hh:mm:ss")},
			"Valor total":    {2: num("8453536.29", "4"), 3: num("-1250.5", "4")},
			"Valor COP":      {2: num("1619176.22", "[$$-240A] #,##0.00")},
			"Pagada":         {2: {"booleano", "1", ""}, 3: {"booleano", "0", ""}},
			"Observación":    {2: text("entregada"), 3: {}},
			"Ítems":          {3: num("12", "1")},
			"Descuento":      {2: num("0.05", "10")},
			"Identificación": {2: text("0052123456")},
		}},
		{"libreoffice-desde-csv.xlsx", map[string]map[int]typed{
			"Número factura": {2: text("990000011")},
			"Fecha factura":  {2: num("46328", "mm/dd/yy")},
			"Valor total":    {2: num("1619176.22", "General"), 4: num("800", "General")},
			"Saldo":          {2: num("-250.5", "General")},
			"Notas":          {2: text("primera"), 3: {}},
		}},
		{"excel-espanol-1252.csv", map[string]map[int]typed{
			"NIT emisor":     {2: text("900123456")},
			"Número factura": {2: text("990000021")},
			"Fecha factura":  {2: num("46328", "dd/mm/yyyy")},
			"Fecha registro": {2: num("46328.6041666666", "dd/mm/yyyy hh:mm:ss"), 3: num("46341.3369097222", "dd/mm/yyyy hh:mm:ss")},
			"Valor total":    {2: num("1619176.22", "#,##0.00"), 3: num("8453536.29", "#,##0.00"), 4: num("800", "#,##0.00")},
			"Ajuste":         {2: num("-1250.5", "#,##0.00"), 3: num("-300", "#,##0.00")},
			"Referencia":     {2: text("12"), 3: text("N/A")},
			"Código postal":  {2: text("0012")},
			"Cantidad":       {3: num("12", "0")},
			"Observación":    {2: text("revisar pronto"), 3: {}},
			"Larga":          {2: text("1234567890123456789"), 4: text("987")},
		}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			out := filepath.Join(dir, strings.TrimSuffix(c.file, filepath.Ext(c.file))+"-revision.xlsx")
			code, msg := runMain(t, env(nil), "check", "--tipo-identificacion", "CC", "--identificacion", "52123456",
				"--nombres", "Ana", "--apellidos", "Gómez", "-o", out, filepath.Join("..", "..", "readers", "testdata", "tipos", c.file))
			if code > exitSomeRows {
				t.Fatalf("exit %d:\n%s", code, msg)
			}
			f, err := excelize.OpenFile(out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			for header, rows := range c.want {
				for row, want := range rows {
					if got := typedCell(t, f, header, row); got != want {
						t.Errorf("%s, row %d: %+v, want %+v", header, row, got, want)
					}
				}
			}
			readByOthers(t, out)
		})
	}
}
