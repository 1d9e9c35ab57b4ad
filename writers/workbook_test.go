package writers

import (
	"archive/zip"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"batch/internal/testutil"

	"github.com/xuri/excelize/v2"

	"batch"
)

// op is a hand-written operation with the acuse's shape of columns.
type op struct{}

func (op) Name() string          { return "acuse" }
func (op) KeyField() batch.Field { return batch.FieldCUFE }
func (op) Columns() []string {
	return []string{"acuse_estado", "acuse_cude", "acuse_url_xml", "acuse_codigo", "acuse_mensaje"}
}
func (op) Cells(r batch.Result) []any {
	url, _ := r.Values["url_xml"].(string)
	return []any{string(r.Status), "", url, r.Code, r.Message}
}

func TestWorkbookSheetsTableChartAndCounts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "resultados.xlsx")
	sheet := &batch.Sheet{File: "recibidas.xlsx", Name: "Hoja1", Columns: []string{"CUFE", "Fila"}, Index: map[batch.Field]int{batch.FieldCUFE: 0}}
	w, err := Create(path, []*batch.Sheet{sheet}, []Columns{op{}})
	if err != nil {
		t.Fatal(err)
	}
	results := []batch.Result{
		{Status: batch.StatusOK, Values: map[string]any{"url_xml": "https://ejemplo.test/eventos/a.xml"}},
		{Status: batch.StatusOK},
		{Status: batch.StatusYaRegistrado, Code: "15", Message: "LGC01: ya registrado"},
		{Status: batch.StatusRechazado, Code: "15", Message: "DOC01: documento no existe"},
		{Status: batch.StatusRechazado, Code: "15", Message: "DOC01: documento no existe — mismo CUFE que la hoja «Hoja1», fila 5: se envió una sola vez"},
		{Status: batch.StatusInvalido, Code: "VALIDACION", Message: "CUFE: tiene 60 caracteres y debe tener 96"},
		{Status: batch.StatusPendiente, Code: "500", Message: "se agotaron los reintentos"},
		{Status: batch.StatusError, Code: "77", Message: "código desconocido"},
		{Status: batch.StatusPendiente, Code: "SIN_ENVIAR", Message: "se enviaría"},
	}
	for i, r := range results {
		row := batch.Row{Sheet: sheet, Line: i + 2, Cells: []string{"cufe" + strconv.Itoa(i), "=1+1"}}
		if err := w.Write(row, []batch.Result{r}); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Date(2026, 11, 21, 2, 0, 0, 0, time.UTC)
	run := Run{Inputs: []string{"/datos/recibidas.xlsx"}, Summary: batch.Summary{Started: start, Ended: start.Add(2 * time.Minute), Rows: 9, Requests: 7, Attempts: 8, Duplicates: 1}, Limit: 120}
	if err := w.Close(run); err != nil {
		t.Fatal(err)
	}

	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := strings.Join(f.GetSheetList(), ","); got != "Resultados,Resumen,Atención" {
		t.Fatalf("sheets = %s", got)
	}
	// Frozen header, and a table over all the data (its autofilter).
	panes, err := f.GetPanes(SheetResultados)
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("panes = %+v, %v", panes, err)
	}
	tables, err := f.GetTables(SheetResultados)
	if err != nil || len(tables) != 1 || tables[0].Range != "A1:J10" {
		t.Errorf("tables = %+v, %v; want one over A1:J10", tables, err)
	}
	rows, err := f.GetRows(SheetResultados)
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	// Status cells coloured by status; the event's address is a link; a
	// formula-looking input stays text.
	for i, want := range map[int]string{1: "C6EFCE", 4: "FFC7CE", 6: "FFC7CE", 7: "FFEB9C"} {
		cell, _ := excelize.CoordinatesToCellName(col["acuse_estado"]+1, i+1)
		if got := fill(t, f, SheetResultados, cell); got != want {
			t.Errorf("%s (%s) fill = %s, want %s", cell, rows[i][col["acuse_estado"]], got, want)
		}
	}
	link, _ := excelize.CoordinatesToCellName(col["acuse_url_xml"]+1, 2)
	if formula, _ := f.GetCellFormula(SheetResultados, link); formula != `HYPERLINK("https://ejemplo.test/eventos/a.xml")` {
		t.Errorf("url cell formula = %q", formula)
	}
	fila, _ := excelize.CoordinatesToCellName(col["Fila (2)"]+1, 2)
	if formula, _ := f.GetCellFormula(SheetResultados, fila); formula != "" {
		t.Errorf("an input cell became the formula %q", formula)
	}

	// Resumen's counts are Resultados' statuses.
	counted := map[string]int{}
	for _, r := range rows[1:] {
		counted[r[col["acuse_estado"]]]++
	}
	resumen, err := f.GetRows(SheetResumen)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]int{}
	values := map[string]string{}
	inStatuses := false
	for _, r := range resumen {
		if len(r) >= 2 {
			values[r[0]] = r[1]
		}
		switch {
		case len(r) > 0 && r[0] == "Operación" && r[1] == "Estado" && len(r) > 2 && r[2] == "Filas":
			inStatuses = true
		case inStatuses && len(r) >= 3 && r[0] == "acuse":
			n, _ := strconv.Atoi(strings.ReplaceAll(r[2], ",", ""))
			listed[r[1]] = n
		default:
			inStatuses = false
		}
	}
	for _, st := range batch.Statuses {
		if listed[string(st)] != counted[string(st)] {
			t.Errorf("Resumen says %s %d, Resultados has %d", st, listed[string(st)], counted[string(st)])
		}
	}
	if values["Filas leídas"] != "9" || values["Filas repetidas en el archivo (se enviaron una vez)"] != "1" || values["Ritmo efectivo (solicitudes por minuto)"] != "4.00" {
		t.Errorf("run figures: %v", values)
	}
	// The top reason merges the two DOC01 rows despite the note on one.
	var doc01 []string
	for _, r := range resumen {
		if len(r) >= 5 && strings.HasPrefix(r[3], "DOC01") {
			doc01 = r
		}
	}
	if len(doc01) < 5 || doc01[4] != "2" {
		t.Errorf("DOC01 reason row = %v, want a count of 2", doc01)
	}
	// A chart of the statuses, drawn on Resumen from its table.
	if chart := zipped(t, path, "xl/charts/chart1.xml"); !strings.Contains(chart, "Resumen!$C$") {
		t.Errorf("no chart of Resumen's counts: %.300s", chart)
	}
	if rels := zipped(t, path, "xl/worksheets/_rels/sheet2.xml.rels"); !strings.Contains(rels, "drawing") {
		t.Errorf("Resumen has no drawing: %s", rels)
	}

	// Atención: the rows a person must act on, each with what to do; not
	// the OK ones, not a dry run's "would be sent".
	att, err := f.GetRows(SheetAtencion)
	if err != nil {
		t.Fatal(err)
	}
	var statuses []string
	for _, r := range att[1:] {
		statuses = append(statuses, r[4])
		if len(r) < 8 || r[7] == "" {
			t.Errorf("row without what to do: %v", r)
		}
	}
	if got := strings.Join(statuses, ","); got != "RECHAZADO,RECHAZADO,INVALIDO,PENDIENTE,ERROR" {
		t.Errorf("Atención statuses = %s", got)
	}
	if att[1][3] != "cufe3" || att[1][1] != "5" {
		t.Errorf("Atención row = %v; want the key and the input's row number", att[1])
	}
	if tables, _ := f.GetTables(SheetAtencion); len(tables) != 1 {
		t.Errorf("Atención tables = %+v", tables)
	}
}

func fill(t *testing.T, f *excelize.File, sheet, cell string) string {
	t.Helper()
	id, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Fill.Color) == 0 {
		return ""
	}
	return strings.TrimPrefix(strings.ToUpper(st.Fill.Color[0]), "#")
}

func zipped(t *testing.T, path, name string) string {
	t.Helper()
	z, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	for _, f := range z.File {
		if f.Name == name {
			r, _ := f.Open()
			b, _ := io.ReadAll(r)
			return string(b)
		}
	}
	return ""
}

// A run where every row is fine says so on Atención rather than leaving
// an empty sheet.
func TestAtencionEmptySaysSo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.xlsx")
	sheet := &batch.Sheet{Name: "Hoja1", Columns: []string{"CUFE"}, Index: map[batch.Field]int{batch.FieldCUFE: 0}}
	w, err := Create(path, []*batch.Sheet{sheet}, []Columns{op{}})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(batch.Row{Sheet: sheet, Line: 2, Cells: []string{"x"}}, []batch.Result{{Status: batch.StatusOK}})
	if err := w.Close(Run{Summary: batch.Summary{Rows: 1}}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if v, _ := f.GetCellValue(SheetAtencion, "A2"); v != "Ninguna fila necesita atención." {
		t.Errorf("Atención A2 = %q", v)
	}
}

// Every workbook batch writes carries its mark, read back without reading
// its sheets; a workbook someone else wrote has none.
func TestWorkbooksCarryTheirMark(t *testing.T) {
	dir := t.TempDir()
	night, pend := filepath.Join(dir, "noche.xlsx"), filepath.Join(dir, "p.xlsx")
	if err := WriteNight(night, []NightRow{{NIT: "900111111"}}); err != nil {
		t.Fatal(err)
	}
	if err := WritePending(pend, nil); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "otro.xlsx")
	f := excelize.NewFile()
	if err := f.SaveAs(other); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{night: KindNoche, pend: KindPendientes, other: ""} {
		if got := Written(path); got != want {
			t.Errorf("%s: %q, want %q", filepath.Base(path), got, want)
		}
	}
}

// The night's summary reads as the results do: bold header, frozen, with
// a filter and widths, identifiers as text, rows and requests apart.
func TestNightSummaryIsATable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "noche.xlsx")
	sum := batch.Summary{Rows: 10, Requests: 7, Attempts: 9, Statuses: map[string]map[batch.Status]int{"acuse": {batch.StatusOK: 10}, "cuv": {batch.StatusOK: 4}}}
	if err := WriteNight(path, []NightRow{{NIT: "0900111111", Nombre: "ACME", Summary: sum}}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	panes, _ := f.GetPanes("Noche")
	tables, _ := f.GetTables("Noche")
	typ, _ := f.GetCellType("Noche", "A2")
	nit, _ := f.GetCellValue("Noche", "A2")
	width, _ := f.GetColWidth("Noche", "E")
	if !panes.Freeze || len(tables) != 1 || typ != excelize.CellTypeInlineString || nit != "0900111111" || width < 20 {
		t.Errorf("panes %+v, tables %d, A2 %v %q, width %v", panes, len(tables), typ, nit, width)
	}
	rows := testutil.ReadSheet(t, path, "Noche")
	if rows[0]["filas"] != "10" || rows[0]["solicitudes"] != "7" || rows[0]["intentos"] != "9" || rows[0]["resultados OK"] != "14" {
		t.Errorf("row %v", rows[0])
	}
}

// Only https addresses (and http to this machine) are links; a UNC path,
// file: or another host over http is text. Only relative file paths are
// links to saved files.
func TestLinksAreOnlyWhatIsSafeToClick(t *testing.T) {
	for url, want := range map[string]bool{
		"https://afacturar.example/x.xml": true, "http://127.0.0.1:8080/eventos/a.xml": true, "http://localhost/x": true,
		"http://evil.example/x.xml": false, "file://host/share/x.xml": false, `\\host\share\x.xml`: false, "javascript:alert(1)": false,
	} {
		if _, ok := hyperlink(url); ok != want {
			t.Errorf("hyperlink(%q) = %v", url, ok)
		}
	}
	for path, want := range map[string]bool{
		"r-adjuntos/SETT-1.pdf": true, `r-adjuntos\SETT-1.pdf`: true, `\\host\share\SETT-1.pdf`: false, "//host/share/x.pdf": false,
		"/etc/passwd": false, "C:/datos/x.pdf": false, "file:x.pdf": false,
	} {
		if _, ok := fileLink(path); ok != want {
			t.Errorf("fileLink(%q) = %v", path, ok)
		}
	}
}

// Rows past what a sheet holds go on to a sheet of their own: Resultados
// and Atención each continue on "Resultados 2", "Atención 2"…, every sheet
// with its header and its table, and no row is lost.
func TestTablesGoOnToAnotherSheet(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "resultados.xlsx")
	sheet := &batch.Sheet{File: "recibidas.csv", Name: "recibidas", Columns: []string{"CUFE"}, Index: map[batch.Field]int{batch.FieldCUFE: 0}}
	w, err := create(path, []*batch.Sheet{sheet}, []Columns{op{}}, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 7 {
		res := batch.Result{Status: batch.StatusPendiente, Code: batch.CodeLimite, Message: "límite"}
		if i%2 == 0 {
			res = batch.Result{Status: batch.StatusOK}
		}
		if err := w.Write(batch.Row{Sheet: sheet, Line: i + 2, Cells: []string{"cufe" + strconv.Itoa(i)}}, []batch.Result{res}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(Run{Summary: batch.Summary{Rows: 7}}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string][]string{"Resultados": {"cufe0", "cufe1", "cufe2"}, "Resultados 2": {"cufe3", "cufe4", "cufe5"}, "Resultados 3": {"cufe6"},
		"Atención": {"cufe1", "cufe3", "cufe5"}}
	for name, keys := range want {
		rows, err := f.GetRows(name)
		if err != nil || len(rows) != len(keys)+1 {
			t.Errorf("%s: %d rows, %v", name, len(rows), err)
			continue
		}
		for i, k := range keys {
			if !strings.Contains(strings.Join(rows[i+1], "|"), k) {
				t.Errorf("%s row %d: %v, want %s", name, i+2, rows[i+1], k)
			}
		}
		if tables, err := f.GetTables(name); err != nil || len(tables) != 1 {
			t.Errorf("%s: tables %+v, %v", name, tables, err)
		}
	}
	if _, err := f.GetRows("Atención 2"); err == nil {
		t.Error("a second Atención sheet for 3 rows")
	}
}
