package readers

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"batch"
	"batch/internal/testutil"
)

type readRow struct {
	sheet string
	line  int
	cells map[batch.Field]string
}

func readAll(t *testing.T, path string) (*Input, []readRow) {
	t.Helper()
	in, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { in.Close() })
	var rows []readRow
	err = in.Each(func(r batch.Row) error {
		m := map[batch.Field]string{}
		for f := range r.Sheet.Index {
			m[f] = r.Get(f)
		}
		rows = append(rows, readRow{r.Sheet.Name, r.Line, m})
		return nil
	})
	if err != nil {
		t.Fatalf("Each: %v", err)
	}
	return in, rows
}

// A workbook written by LibreOffice Calc: a cover sheet without a CUFE
// column, the data on the second sheet, identification numbers and
// identification types stored as numbers.
func TestLibreOfficeWorkbookHeaderOnSecondSheet(t *testing.T) {
	in, rows := readAll(t, "testdata/libreoffice-segunda-hoja.xlsx")
	sheets := in.Sheets()
	if len(sheets) != 1 || sheets[0].Name != "Recibidas" || sheets[0].HeaderRow != 1 {
		t.Fatalf("sheets = %+v, want only Recibidas with its header on row 1", sheets)
	}
	if len(rows) != 5 {
		t.Fatalf("read %d rows, want 5", len(rows))
	}
	first := rows[0]
	if first.line != 2 {
		t.Errorf("first data row is line %d, want 2", first.line)
	}
	want := map[batch.Field]string{
		batch.FieldCUFE:               "3270ce961e77c8d3a1d1e3ca0d5d6f0c1dcd5a2880c6c74ad1c26c1fb6e2e3b56b1a1bb7a0c1d2f9fd4c4d9a2c6fd1c5",
		batch.FieldTipoIdentificacion: "13",
		batch.FieldIdentificacion:     "1020304050",
		batch.FieldNombres:            "Jorge Iván",
		batch.FieldArea:               "Almacén",
	}
	for f, v := range want {
		if f == batch.FieldCUFE {
			if len(first.cells[f]) != 96 {
				t.Errorf("cufe = %q, want 96 hex characters", first.cells[f])
			}
			continue
		}
		if first.cells[f] != v {
			t.Errorf("%s = %q, want %q", f, first.cells[f], v)
		}
	}
}

// Numbers come back as typed, dates as ISO dates; longer numbers, which
// Excel has already damaged, are shown as Excel shows them.
func TestXLSXCellsAsTyped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "numeros.xlsx")
	testutil.WriteXLSX(t, path, testutil.Sheet{Name: "Datos", Rows: [][]any{
		{"Reporte de recibidas"},
		{},
		{"CUFE", "Identificación", "Tipo_Identificacion", "NOMBRES"},
		{testutil.CUFE(1), 100200300400, 13, "  Ana\u00a0"},
		{},
		{testutil.CUFE(2), 1234567890123456789, 31, "Luis"},
	}})
	_, rows := readAll(t, path)
	if len(rows) != 2 {
		t.Fatalf("read %d rows, want 2 (the blank row skipped)", len(rows))
	}
	if got := rows[0].cells[batch.FieldIdentificacion]; got != "100200300400" {
		t.Errorf("identificacion = %q, want 100200300400", got)
	}
	if got := rows[0].cells[batch.FieldNombres]; got != "Ana" {
		t.Errorf("nombres = %q, want spaces trimmed", got)
	}
	if rows[0].line != 4 || rows[1].line != 6 {
		t.Errorf("lines = %d, %d; want 4, 6 as the spreadsheet numbers them", rows[0].line, rows[1].line)
	}
	if got := rows[1].cells[batch.FieldIdentificacion]; !strings.Contains(got, "E+") {
		t.Errorf("a 19-digit number reads %q; want it in scientific notation so the checks refuse it", got)
	}
}

// Excel in Spanish saves "CSV" with ';' in Windows-1252.
func TestCSVSemicolonWindows1252(t *testing.T) {
	text := "Prefijo;Número;CUFE;Nombres;Área\r\nSETP;1;" + testutil.CUFE(1) + ";Peña Ñandú;Compras\r\n\r\nSETP;2;" + testutil.CUFE(2) + ";José;Almacén\r\n"
	b, err := charmap.Windows1252.NewEncoder().Bytes([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "excel.csv")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	in, rows := readAll(t, path)
	d, _ := DialectOf(in)
	if d.Comma != ';' || d.Encoding != "Windows-1252" {
		t.Errorf("dialect = %+v, want ; and Windows-1252", d)
	}
	if len(rows) != 2 {
		t.Fatalf("read %d rows, want 2", len(rows))
	}
	if rows[0].cells[batch.FieldNombres] != "Peña Ñandú" || rows[1].cells[batch.FieldArea] != "Almacén" {
		t.Errorf("accents lost: %+v", rows)
	}
	if rows[1].line != 4 {
		t.Errorf("second row is record %d, want 4", rows[1].line)
	}
	if got := in.Sheets()[0].Columns[1]; got != "Número" {
		t.Errorf("header = %q, want Número", got)
	}
}

func TestCSVUTF8(t *testing.T) {
	for name, prefix := range map[string]string{"con BOM": "\ufeff", "sin BOM": ""} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "utf8.csv")
			text := prefix + "cufe,nombres,\"cargo\"\n" + testutil.CUFE(1) + ",\"Ñusta, María\",Contadora\n"
			if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			in, rows := readAll(t, path)
			d, _ := DialectOf(in)
			if d.Comma != ',' || d.Encoding != "UTF-8" {
				t.Errorf("dialect = %+v", d)
			}
			if len(rows) != 1 || rows[0].cells[batch.FieldNombres] != "Ñusta, María" || rows[0].cells[batch.FieldCUFE] != testutil.CUFE(1) {
				t.Errorf("rows = %+v", rows)
			}
		})
	}
}

// A Windows-1252 accent that first appears far past the sample still makes
// the whole file Windows-1252.
func TestCSVLateAccentDecidesEncoding(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("CUFE;Nombres\n")
	for i := 0; i < 3000; i++ {
		sb.WriteString(testutil.CUFE(i) + ";Ana\n")
	}
	sb.WriteString(testutil.CUFE(9999) + ";Peña\n")
	b, _ := charmap.Windows1252.NewEncoder().Bytes([]byte(sb.String()))
	path := filepath.Join(t.TempDir(), "tarde.csv")
	os.WriteFile(path, b, 0o644)
	_, rows := readAll(t, path)
	if got := rows[len(rows)-1].cells[batch.FieldNombres]; got != "Peña" {
		t.Errorf("last name = %q, want Peña", got)
	}
}

func TestRefusals(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(text), 0o644)
		return p
	}
	noKey := filepath.Join(dir, "sin-cufe.xlsx")
	testutil.WriteXLSX(t, noKey, testutil.Sheet{Name: "Hoja1", Rows: [][]any{{"Factura", "Valor"}, {"SETP1", 100}}})
	cases := []struct {
		name, path, want string
	}{
		{"no key column", noKey, "Encabezados encontrados: hoja «Hoja1»: «Factura», «Valor»"},
		{"no key column in a csv", write("sin-cufe.csv", "Título del informe\n\nFactura;NIT;Valor\nSETP1;900;100\n"), "Encabezados encontrados: «Factura», «NIT», «Valor»"},
		{"duplicate column", write("doble.csv", "CUFE;Nombres;NOMBRES\nx;a;b\n"), "dos veces"},
		{"empty file", write("vacio.csv", ""), "vacío"},
		{"missing", filepath.Join(dir, "no-existe.xlsx"), "no existe"},
		{"old xls", write("viejo.xls", "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest"), "guárdelo como .xlsx"},
		{"binary csv", write("bin.csv", "CUFE\x00\x01\x02"), "no es un archivo de texto"},
		{"truncated xlsx", write("roto.xlsx", "PK\x03\x04garbage"), "libro"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Open(c.path, Options{})
			var ie *Error
			if !errors.As(err, &ie) {
				t.Fatalf("Open = %v, want a readers.Error", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("message %q does not mention %q", err, c.want)
			}
		})
	}
}

// A quoted field with a line break stays in one row, and the rows after it
// keep the numbers a spreadsheet shows.
func TestCSVMultilineFieldKeepsRowNumbers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ml.csv")
	text := "CUFE;Nombres;Nota\n" + testutil.CUFE(1) + ";Ana;\"dos\nlíneas\"\n\n" + testutil.CUFE(2) + ";Luis;x\n"
	os.WriteFile(path, []byte(text), 0o644)
	_, rows := readAll(t, path)
	if len(rows) != 2 || rows[0].line != 2 || rows[1].line != 4 {
		t.Fatalf("rows = %+v; want lines 2 and 4", rows)
	}
}

// A file without a key column is told each column once, however many
// operations share it.
func TestNoKeyColumnNamesEachColumnOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.csv")
	if err := os.WriteFile(path, []byte("Fecha;Valor\n2026-11-02;10\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Open(path, Options{Keys: []batch.Field{batch.FieldCUFE, batch.FieldCUFE, batch.FieldCUFE, batch.FieldCUV}})
	if err == nil || strings.Count(err.Error(), "CUFE") != 1 || !strings.Contains(err.Error(), "CUFE o CUV") {
		t.Errorf("%v", err)
	}
}

// A CSV with one 150 MB cell is refused after its first megabyte, naming
// the limit, without holding the cell.
func TestCSVLineLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "grande.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("CUFE;Nombres\n" + strings.Repeat("a", 96) + ";")
	chunk := bytes.Repeat([]byte("x"), 1<<20)
	for range 150 {
		f.Write(chunk)
	}
	f.WriteString("\n")
	f.Close()
	in, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	err = in.Each(func(batch.Row) error { return nil })
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "1 MB") {
		t.Errorf("err = %v", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 32<<20 {
		t.Errorf("reading allocated %d MB", grew>>20)
	}
}

// An input that is a link out of its folder, or a FIFO, is refused at once
// with why; nothing is read from it.
func TestInputsStayInTheirFolder(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "batch.env")
	os.WriteFile(outside, []byte("CUFE;AFACTURAR_TOKEN=secreto\n"), 0o600)
	link := filepath.Join(dir, "z.csv")
	os.Symlink(outside, link)
	if _, err := Open(link, Options{}); err == nil || strings.Contains(err.Error(), "secreto") || !strings.Contains(err.Error(), "fuera de su carpeta") {
		t.Errorf("a link out of the folder: %v", err)
	}
	inside := filepath.Join(dir, "a.csv")
	os.WriteFile(inside, []byte("CUFE\n"+strings.Repeat("a", 96)+"\n"), 0o600)
	os.Symlink(inside, filepath.Join(dir, "b.csv"))
	if _, err := Open(filepath.Join(dir, "b.csv"), Options{}); err != nil {
		t.Errorf("a link inside the folder: %v", err)
	}
}

// A 100 KB workbook whose one 100 MB shared string stands in sixty cells
// is refused as it opens, naming Excel's limit, in a few megabytes: the
// table is looked through a chunk at a time, never decoded.
func TestSharedStringBombIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bomba.xlsx")
	testutil.WriteBomb(t, path, 100<<20)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Open(path, Options{})
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "32767") {
		t.Errorf("err = %v", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
		t.Errorf("refusing it allocated %d MB", grew>>20)
	}
}

// A file marked UTF-8 whose text is UTF-16 (a tool added the mark to a
// file already encoded) is a file error that names the encoding, not
// rows of garbled cells; one that is UTF-16 with its own mark is read.
func TestCSVUTF8MarkOverUTF16(t *testing.T) {
	t.Parallel()
	utf16le := func(s string) []byte {
		var b []byte
		for _, r := range s {
			b = append(b, byte(r), byte(r>>8))
		}
		return b
	}
	text := "CUFE;Valor\r\n" + testutil.CUFE(1) + ";10\r\n"
	dir := t.TempDir()
	marked := filepath.Join(dir, "marcado.csv")
	os.WriteFile(marked, append([]byte{0xEF, 0xBB, 0xBF, 0xFF, 0xFE}, utf16le(text)...), 0o644)
	if _, err := Open(marked, Options{}); err == nil || !strings.Contains(err.Error(), "UTF-16") {
		t.Errorf("UTF-8's mark over UTF-16: %v", err)
	}
	own := filepath.Join(dir, "utf16.csv")
	os.WriteFile(own, append([]byte{0xFF, 0xFE}, utf16le(text)...), 0o644)
	if _, rows := readAll(t, own); len(rows) != 1 || rows[0].cells[batch.FieldCUFE] != testutil.CUFE(1) {
		t.Errorf("UTF-16 with its own mark: %+v", rows)
	}
}
