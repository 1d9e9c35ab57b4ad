package readers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"batch"
	"batch/cells"
)

// FuzzCSV feeds any bytes to the CSV reader, dialect and encoding
// detection included: it refuses them with a readers.Error or reads rows
// whose cells are valid UTF-8, trimmed, and found under a key column.
func FuzzCSV(f *testing.F) {
	for _, name := range []string{"coma-utf8.csv", "excel-punto-y-coma-1252.csv", "excel-csv-utf8-bom.csv", "excel-texto-unicode.txt", "barra-vertical.csv", "multilinea-crlf.csv", "libreoffice-export.csv"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("CUFE\n\"abc\n"))
	f.Add([]byte("\xff\xfeC\x00U\x00F\x00E\x00"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "f.csv")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		in, ok := openOrRefused(t, path)
		if !ok {
			return
		}
		defer in.Close()
		if len(in.Sheets()) != 1 || in.Sheets()[0].Index[batch.FieldCUFE] < 0 {
			t.Fatalf("sheets %+v", in.Sheets())
		}
		last := 0
		err := in.Each(func(r batch.Row) error {
			if r.Line <= last {
				t.Fatalf("row %d after row %d", r.Line, last)
			}
			last = r.Line
			for _, c := range r.Cells {
				if !utf8.ValidString(c) || c != CleanCell(c) {
					t.Fatalf("cell %q", c)
				}
			}
			return nil
		})
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("Each: %T %v", err, err)
			}
		}
	})
}

// FuzzHeader: any header row either is not one, or names each column once
// and points every field at a column that names it.
func FuzzHeader(f *testing.F) {
	f.Add("CUFE;Tipo Identificación;Identificación;Nombres;Apellidos")
	f.Add("cufe;CUFE ;Cufe")
	f.Add(";;NumeroFactura;MailRecepcion;;FechaFactura")
	f.Add("CUV;Número documento;;;")
	f.Fuzz(func(t *testing.T, line string) {
		header := strings.Split(line, ";")
		columns, index, ok, err := matchHeader(header, []batch.Field{batch.FieldCUFE, batch.FieldCUV, batch.FieldNumeroFactura})
		if !ok || err != nil {
			return
		}
		seen := map[string]bool{}
		for _, c := range columns {
			n := cells.NormalizeHeader(c)
			if n == "" {
				n = c
			}
			if seen[n] {
				t.Fatalf("column %q twice in %q", c, columns)
			}
			seen[n] = true
		}
		for field, i := range index {
			if got, known := cells.FieldOf(header[i]); !known || got != field {
				t.Fatalf("field %s at column %d %q", field, i, header[i])
			}
		}
	})
}

// FuzzCleanCell: cleaning is idempotent, keeps valid text valid, and
// leaves nothing blank around the value.
func FuzzCleanCell(f *testing.F) {
	for _, s := range []string{"\u00a0 abc \u200b", "\ufeffCUFE", "  ", "Peña\t", "\x00x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := CleanCell(s)
		if CleanCell(c) != c {
			t.Fatalf("not idempotent: %q → %q → %q", s, c, CleanCell(c))
		}
		if utf8.ValidString(s) && !utf8.ValidString(c) {
			t.Fatalf("%q became invalid: %q", s, c)
		}
		if c != "" && (c != strings.TrimSpace(c)) {
			t.Fatalf("%q keeps spaces: %q", s, c)
		}
		if !strings.Contains(s, c) {
			t.Fatalf("%q is not inside %q", c, s)
		}
	})
}

// openOrRefused opens a fuzzed file: an Input, or false when Open refused
// it with a readers.Error (anything else fails the test).
func openOrRefused(t *testing.T, path string) (*Input, bool) {
	t.Helper()
	in, err := Open(path, Options{})
	if err != nil {
		if _, ok := err.(*Error); !ok {
			t.Fatalf("Open: %T %v, want *readers.Error", err, err)
		}
		return nil, false
	}
	return in, true
}
