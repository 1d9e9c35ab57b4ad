// Package testutil holds helpers the tests of several packages share:
// writing fixture spreadsheets and reading result workbooks back.
package testutil

import (
	"archive/zip"
	"bytes"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// CUFE returns a well-formed CUFE derived from n, as DIAN's are: SHA-384 hex.
func CUFE(n int) string {
	sum := sha512.Sum384([]byte(fmt.Sprintf("factura %d", n)))
	return hex.EncodeToString(sum[:])
}

// Sheet is a fixture sheet: its name and rows of cell values.
type Sheet struct {
	Name string
	Rows [][]any
}

// WriteXLSX writes sheets to path with excelize, in normal mode, as other
// programs write numbers and strings.
func WriteXLSX(t testing.TB, path string, sheets ...Sheet) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, s := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", s.Name); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.NewSheet(s.Name); err != nil {
			t.Fatal(err)
		}
		for r, row := range s.Rows {
			cell, _ := excelize.CoordinatesToCellName(1, r+1)
			if err := f.SetSheetRow(s.Name, cell, &row); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

// ReadSheet returns a sheet's data rows as maps from header to value.
func ReadSheet(t testing.TB, path, sheet string) []map[string]string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatalf("read %s!%s: %v", path, sheet, err)
	}
	if len(rows) == 0 {
		t.Fatalf("%s!%s is empty", path, sheet)
	}
	var out []map[string]string
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			if i < len(r) {
				m[h] = r[i]
			} else {
				m[h] = ""
			}
		}
		out = append(out, m)
	}
	return out
}

// Mode is a file's permission bits.
func Mode(t testing.TB, path string) os.FileMode {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}

// WriteBomb writes a workbook whose shared string of size bytes stands in
// sixty cells, by hand: Excel and excelize never write one.
func WriteBomb(t testing.TB, path string, size int) {
	t.Helper()
	f := excelize.NewFile()
	f.SetCellValue("Sheet1", "A1", "CUFE")
	f.SetCellValue("Sheet1", "B1", "Nombres")
	for r := 2; r <= 61; r++ {
		f.SetCellValue("Sheet1", fmt.Sprintf("A%d", r), strings.Repeat("a", 96))
		f.SetCellValue("Sheet1", fmt.Sprintf("B%d", r), "PLACEHOLDER")
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	zr, _ := zip.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
	out, _ := os.Create(path)
	defer out.Close()
	zw := zip.NewWriter(out)
	for _, e := range zr.File {
		r, _ := e.Open()
		data, _ := io.ReadAll(r)
		if e.Name == "xl/sharedStrings.xml" {
			data = bytes.Replace(data, []byte("PLACEHOLDER"), bytes.Repeat([]byte("A"), size), 1)
		}
		w, _ := zw.Create(e.Name)
		w.Write(data)
	}
	zw.Close()
}
