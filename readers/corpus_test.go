package readers

import (
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"batch"
)

// cufeN is the CUFE the files under testdata/ carry for n.
func cufeN(n int) string {
	sum := sha512.Sum384([]byte(fmt.Sprintf("cufe-%d", n)))
	return hex.EncodeToString(sum[:])
}

// Every readable file under testdata/, each made as users make it: by
// LibreOffice, by hand in the form Excel and Google Sheets write, or as
// Excel saves CSV and text.
func TestCorpusReadable(t *testing.T) {
	type want struct {
		sheet string
		line  int
		field batch.Field
		value string
	}
	cases := []struct {
		file     string
		password string
		rows     int
		cells    []want
	}{
		{"libreoffice.xlsm", "", 2, []want{{"libreoffice", 2, batch.FieldIdentificacion, "52123456"}, {"libreoffice", 3, batch.FieldIdentificacion, "100200300400"}, {"libreoffice", 3, batch.FieldApellidos, "Peña"}}},
		{"libreoffice-export.csv", "", 2, []want{{"libreoffice-export.csv", 2, batch.FieldApellidos, "Gómez Ñáñez"}, {"libreoffice-export.csv", 3, batch.FieldIdentificacion, "100200300400"}}},
		{"protegido.xlsx", "Clave-2026", 2, []want{{"libreoffice", 3, batch.FieldNombres, "Luis"}}},
		{"google-sheets.xlsx", "", 2, []want{{"Hoja 1", 3, batch.FieldCUFE, cufeN(12)}, {"Hoja 1", 2, batch.FieldIdentificacion, "52123456"}}},
		{"excel-titulos-formulas.xlsx", "", 6, []want{
			{"Recibidas", 5, batch.FieldCUFE, cufeN(1)},
			{"Recibidas", 5, batch.FieldFechaDocumento, "2026-11-20"},
			{"Recibidas", 6, batch.FieldCUFE, strings.ToUpper(cufeN(2))},
			{"Recibidas", 6, batch.FieldNombres, "Luis"},
			{"Recibidas", 6, batch.FieldFechaDocumento, "19/11/2026"},
			{"Recibidas", 8, batch.FieldCUFE, cufeN(3)},
			{"Recibidas", 8, batch.FieldIdentificacion, "1234"},
			{"Recibidas", 9, batch.FieldCUFE, "9.99E+95"},
			{"Recibidas", 11, batch.FieldIdentificacion, "0052123456"},
		}},
		{"varias-hojas.xlsx", "", 3, []want{{"Enero", 3, batch.FieldCUFE, cufeN(22)}, {"Febrero", 3, batch.FieldCUFE, cufeN(23)}}},
		{"millon-filas-vacias.xlsx", "", 2, []want{{"Hoja1", 3, batch.FieldCUFE, cufeN(32)}}},
		{"coma-utf8.csv", "", 2, []want{{"coma-utf8.csv", 2, batch.FieldApellidos, "Gómez Ñáñez"}}},
		{"excel-punto-y-coma-1252.csv", "", 2, []want{{"excel-punto-y-coma-1252.csv", 2, batch.FieldNombres, "Ana María"}}},
		{"excel-csv-utf8-bom.csv", "", 2, []want{{"excel-csv-utf8-bom.csv", 2, batch.FieldCUFE, cufeN(122)}}},
		{"excel-texto-unicode.txt", "", 2, []want{{"excel-texto-unicode.txt", 3, batch.FieldApellidos, "Peña"}}},
		{"barra-vertical.csv", "", 2, []want{{"barra-vertical.csv", 2, batch.FieldApellidos, "Gómez Ñáñez"}}},
		{"multilinea-crlf.csv", "", 2, []want{{"multilinea-crlf.csv", 2, batch.FieldNombres, "Ana\nMaría"}, {"multilinea-crlf.csv", 2, batch.FieldApellidos, `Gómez "la del norte"`}, {"multilinea-crlf.csv", 3, batch.FieldNombres, "Luis"}}},
		{"valores-hostiles.csv", "", 3, []want{{"valores-hostiles.csv", 2, batch.FieldNombres, "=1+1"}, {"valores-hostiles.csv", 3, batch.FieldApellidos, "-- Gómez\a"}, {"valores-hostiles.csv", 4, batch.FieldNombres, strings.Repeat("A", 32000)}}},
		{"valores-hostiles.xlsx", "", 2, []want{{"Hoja1", 2, batch.FieldNombres, "=1+1"}, {"Hoja1", 3, batch.FieldNombres, "@SUMA(A1)"}, {"Hoja1", 3, batch.FieldApellidos, "Gómez\a\x1b"}}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			start := time.Now()
			in, err := Open(filepath.Join("testdata", c.file), Options{Password: c.password})
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			got := map[string]string{}
			n := 0
			err = in.Each(func(r batch.Row) error {
				n++
				for f := range r.Sheet.Index {
					got[fmt.Sprintf("%s/%d/%s", r.Sheet.Name, r.Line, f)] = r.Get(f)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if n != c.rows {
				t.Errorf("%d data rows, want %d", n, c.rows)
			}
			for _, w := range c.cells {
				if v := got[fmt.Sprintf("%s/%d/%s", w.sheet, w.line, w.field)]; v != w.value {
					t.Errorf("%s row %d %s = %.80q, want %.80q", w.sheet, w.line, w.field, v, w.value)
				}
			}
			t.Logf("%s read in %s", c.file, time.Since(start).Round(time.Millisecond))
		})
	}
}

// Every broken file under testdata/rotos is refused with one readers.Error
// whose message says what to do, and nothing panics.
func TestCorpusRefused(t *testing.T) {
	cases := map[string]string{
		"vacio.csv":              "el archivo está vacío",
		"vacio.xlsx":             "el archivo está vacío",
		"imagen.csv":             "no es un archivo de texto",
		"pagina-web.xls":         "es una página web (HTML)",
		"viejo.xls":              "guárdelo como .xlsx",
		"truncado.xlsx":          "el libro está dañado o incompleto",
		"bomba.xlsx":             "el libro se descomprime en 300 MB",
		"bomba-declarada.xlsx":   "el libro se descomprime en 3.6 GB",
		"sin-columna-clave.xlsx": "Encabezados encontrados: hoja «libreoffice-sin-clave»: «Factura», «NIT», «Valor»",
		"columna-doble.xlsx":     "la columna «NOMBRES» aparece dos veces en el encabezado (columnas B y C)",
	}
	for file, want := range cases {
		t.Run(file, func(t *testing.T) {
			start := time.Now()
			_, err := Open(filepath.Join("testdata", "rotos", file), Options{})
			var ie *Error
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), want) {
				t.Errorf("Open = %v\nwant a readers.Error saying %q", err, want)
			}
			if d := time.Since(start); strings.HasPrefix(file, "bomba") && d > 2*time.Second {
				t.Errorf("the bomb took %s to refuse", d)
			}
		})
	}
	t.Run("protegido.xlsx without its password", func(t *testing.T) {
		_, err := Open(filepath.Join("testdata", "protegido.xlsx"), Options{})
		var ie *Error
		if !errors.As(err, &ie) || ie.Kind != batch.KindPassword || !strings.Contains(err.Error(), "contraseña") {
			t.Errorf("Open = %v", err)
		}
	})
	t.Run("solo-encabezado.xlsx has a header and no rows", func(t *testing.T) {
		in, err := Open(filepath.Join("testdata", "rotos", "solo-encabezado.xlsx"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer in.Close()
		n := 0
		in.Each(func(batch.Row) error { n++; return nil })
		if n != 0 || len(in.Sheets()) != 1 {
			t.Errorf("%d rows, %d sheets", n, len(in.Sheets()))
		}
	})
}
