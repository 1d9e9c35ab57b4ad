package ops

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"batch"
)

func TestCorreoCheck(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "oc.pdf"), []byte("%PDF"), 0o644)
	big := filepath.Join(dir, "grande.zip")
	os.WriteFile(big, nil, 0o644)
	os.Truncate(big, MaxAdjuntos+1)
	sheet := &batch.Sheet{File: filepath.Join(dir, "emitidas.xlsx"), Index: map[batch.Field]int{
		batch.FieldPrefijo: 0, batch.FieldNumeroFactura: 1, batch.FieldFechaFactura: 2, batch.FieldMailRecepcion: 3, batch.FieldAdjuntos: 4}}
	cases := []struct {
		cells        []string
		key, problem string
	}{
		{[]string{" sett ", "1001", "2026-11-20", "a@b.co", "oc.pdf"}, "SETT 1001", ""},
		{[]string{"", "1001", "20/11/2026", "a@b.co; c@d.com.co", ""}, "1001", ""},
		{[]string{"FE", "9.9E+14", "2026-11-20", "a@b.co", ""}, "", "NumeroFactura: «9.9E+14» fue convertido en número por la hoja de cálculo, que perdió cifras; escríbalo como texto"},
		{[]string{"FE", "1234567890123456789", "2026-11-20", "a@b.co", ""}, "", "NumeroFactura: «1234567890123456789» fue convertido en número por la hoja de cálculo, que perdió cifras; escríbalo como texto"},
		{[]string{"FE", "1001.00", "46346", "a@b.co", ""}, "FE 1001", ""},
		// Prefix and number stay apart: these are two invoices.
		{[]string{"FE1", "23", "2026-11-20", "a@b.co", ""}, "FE1 23", ""},
		{[]string{"FE", "123", "2026-11-20", "a@b.co", ""}, "FE 123", ""},
		{[]string{"FE", "", "2026-11-20", "a@b.co", ""}, "", "NumeroFactura: la celda está vacía"},
		{[]string{"FE", "1", "", "a@b.co", ""}, "", "FechaFactura: la celda está vacía"},
		{[]string{"FE", "1", "mañana", "a@b.co", ""}, "", "FechaFactura: «mañana» no es una fecha; escríbala como AAAA-MM-DD"},
		{[]string{"FE", "1", "2026-11-20", "", ""}, "", "MailRecepcion: la celda está vacía; es el correo al que se envía la factura"},
		{[]string{"FE", "1", "2026-11-20", "a@b", ""}, "", "MailRecepcion: «a@b» no es un correo electrónico"},
		{[]string{"FE", "1", "2026-11-20", "Ana <a@b.co>", ""}, "", "MailRecepcion: «Ana <a@b.co>» no es un correo electrónico"},
		{[]string{"FE", "1", "2026-11-20", "a@b.co", "oc.pdf;falta.pdf"}, "", "Adjuntos: no se encuentra el archivo «falta.pdf»"},
		{[]string{"FE", "1", "2026-11-20", "a@b.co", "oc.pdf; grande.zip"}, "", "Adjuntos: pesan más de 20 MB, el máximo para un correo"},
		{[]string{"FE", "1", "2026-11-20", "a@b.co", "."}, "", "Adjuntos: «.» no es un archivo"},
	}
	o := &Correo{}
	for _, tc := range cases {
		req, problem := o.Prepare(batch.Row{Sheet: sheet, Cells: tc.cells})
		key := req.Key
		if key != tc.key || problem != tc.problem {
			t.Errorf("%q: got %q %q, want %q %q", tc.cells, key, problem, tc.key, tc.problem)
		}
	}
}

// Two invoices never share a saved file, and no name leaves the folder.
func TestFileNameIsInjective(t *testing.T) {
	seen := map[string]string{}
	for _, key := range []string{"FE1 23", "FE 123", "FE123", "SETP 990000001", "A-B 1", "A B-1", "A_2D 1", "../X 1", ".X 1", "A/B 1", "A\\B 1"} {
		name := fileName(key)
		if other, dup := seen[name]; dup {
			t.Errorf("%q and %q share the file %q", key, other, name)
		}
		seen[name] = key
		if strings.ContainsAny(name, "/\\ ") || strings.HasPrefix(name, ".") {
			t.Errorf("%q: unsafe file name %q", key, name)
		}
	}
	if got := fileName("SETP 990000001"); got != "SETP-990000001" {
		t.Errorf("fileName = %q", got)
	}
}
