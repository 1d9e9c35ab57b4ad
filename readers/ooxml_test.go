package readers

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"batch"
	"batch/internal/testutil"
)

// A date cell reads as its format shows it, and a time's minutes are not
// taken for months.
func TestDateShownByItsFormat(t *testing.T) {
	const serial = 46345.5 // 2026-11-19 12:00
	for code, want := range map[string]string{
		"dd/mm/yyyy":            "19/11/2026",
		"mm/dd/yy":              "11/19/26",
		"d-mmm-yy":              "19-nov-26",
		`dddd d "de" mmmm`:      "jueves 19 de noviembre",
		"yyyy-mm-dd hh:mm":      "2026-11-19 12:00",
		"[$-240A]dd/mm/yyyy":    "19/11/2026",
		"hh:mm:ss":              "12:00:00",
		"dd/mm/yyyy h:mm AM/PM": "2026-11-19 12:00:00",
	} {
		if got := dateShown(serial, code); got != want {
			t.Errorf("dateShown(%q) = %q, want %q", code, got, want)
		}
	}
	for code, date := range map[string]bool{"dd/mm/yyyy": true, "#,##0.00": false, `0.00 "días"`: false, "[h]:mm": true, "General": false, `[Red]#,##0;[Blue]-#,##0`: false} {
		if DateFormat(0, code) != date {
			t.Errorf("DateFormat(%q) = %v", code, !date)
		}
	}
}

// A cell far to the right of the data, at Excel's last column: a format
// left there is no data and the sheet is read; a stray value is named by
// its reference, not taken for a row of thousands of columns.
func TestAFarCellIsWhatItIs(t *testing.T) {
	t.Parallel()
	for _, value := range []bool{false, true} {
		f := excelize.NewFile()
		f.SetSheetRow("Sheet1", "A1", &[]any{"CUFE", "Valor"})
		f.SetSheetRow("Sheet1", "A2", &[]any{testutil.CUFE(1), 10})
		style, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
		f.SetCellStyle("Sheet1", "XFD1048576", "XFD1048576", style)
		if value {
			f.SetCellValue("Sheet1", "XFD1048576", "x")
		}
		path := filepath.Join(t.TempDir(), "lejos.xlsx")
		if err := f.SaveAs(path); err != nil {
			t.Fatal(err)
		}
		in, err := Open(path, Options{})
		if err == nil {
			n := 0
			err = in.Each(func(batch.Row) error { n++; return nil })
			in.Close()
			if !value && (err != nil || n != 1) {
				t.Errorf("a format far away: %d rows, %v", n, err)
			}
		}
		if value && (err == nil || !strings.Contains(err.Error(), "la celda XFD1048576 tiene un valor") || strings.Contains(err.Error(), "columnas")) {
			t.Errorf("a value far away: %v", err)
		}
	}
}
