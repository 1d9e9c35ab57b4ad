// Command lectores reads a result workbook the way three other programs
// would and says where they disagree with what batch wrote: excelize (the
// cells as written), LibreOffice (converted headless to one CSV a sheet,
// compared cell by cell), and openpyxl in read-only mode, which trusts each
// sheet's declared dimension (as pandas and ETL jobs reading large
// workbooks do). `make capturas` runs it; it exits 1 on any disagreement.
package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/xuri/excelize/v2"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "uso: lectores LIBRO.xlsx")
		os.Exit(2)
	}
	path := os.Args[1]
	want, err := written(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lectores:", err)
		os.Exit(2)
	}
	problems := 0
	for _, check := range []struct {
		name string
		read func(string) (map[string][][]string, error)
	}{{"LibreOffice", libreOffice}, {"openpyxl (solo lectura)", openpyxl}} {
		got, err := check.read(path)
		if err != nil {
			fmt.Printf("%s: no se pudo leer: %v\n", check.name, err)
			problems++
			continue
		}
		n := compare(check.name, want, got)
		problems += n
		if n == 0 {
			fmt.Printf("%s: las %d hojas coinciden celda por celda con lo escrito\n", check.name, len(want))
		}
	}
	if problems > 0 {
		os.Exit(1)
	}
}

// written is every sheet's cells as batch wrote them, read by excelize.
func written(path string) (map[string][][]string, error) {
	f, err := excelize.OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string][][]string{}
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet)
		if err != nil {
			return nil, err
		}
		out[sheet] = rows
	}
	return out, nil
}

// libreOffice converts the workbook headless, every sheet to its own CSV
// (UTF-8, comma, as shown).
func libreOffice(path string) (map[string][][]string, error) {
	dir, err := os.MkdirTemp("", "lectores-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	filter := `csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1`
	cmd := exec.Command("soffice", "--headless", "-env:UserInstallation=file://"+dir+"/perfil", "--convert-to", filter, "--outdir", dir, path)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%v: %s", err, out)
	}
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	files, _ := filepath.Glob(filepath.Join(dir, base+"-*.csv"))
	out := map[string][][]string{}
	for _, file := range files {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		r := csv.NewReader(f)
		r.FieldsPerRecord = -1
		rows, err := r.ReadAll()
		f.Close()
		if err != nil {
			return nil, err
		}
		out[strings.TrimSuffix(strings.TrimPrefix(filepath.Base(file), base+"-"), ".csv")] = rows
	}
	return out, nil
}

// openpyxlScript reads every sheet in read-only mode, which walks the rows
// the sheet's dimension declares, and prints them as JSON.
const openpyxlScript = `
import json, sys, datetime
import openpyxl
wb = openpyxl.load_workbook(sys.argv[1], read_only=True, data_only=True)
out = {}
for ws in wb.worksheets:
    rows = []
    for row in ws.iter_rows(values_only=True):
        rows.append(["" if v is None else (v.isoformat(sep=" ") if isinstance(v, datetime.datetime) else str(v)) for v in row])
    out[ws.title] = rows
json.dump(out, sys.stdout)
`

func openpyxl(path string) (map[string][][]string, error) {
	out, err := exec.Command("/usr/bin/python3", "-c", openpyxlScript, path).Output()
	if err != nil {
		return nil, fmt.Errorf("%v (¿está python3-openpyxl?)", err)
	}
	var rows map[string][][]string
	return rows, json.Unmarshal(out, &rows)
}

// compare counts the cells where a reader disagrees with what was written:
// a text as written, a number or a date as its value. Trailing empty cells
// are not cells.
func compare(reader string, want, got map[string][][]string) int {
	problems := 0
	for sheet, rows := range want {
		other, ok := got[sheet]
		if !ok {
			fmt.Printf("%s: no ve la hoja %s\n", reader, sheet)
			problems++
			continue
		}
		other = trim(other)
		if len(other) != len(trim(rows)) {
			fmt.Printf("%s: la hoja %s tiene %d filas; se escribieron %d\n", reader, sheet, len(other), len(trim(rows)))
			problems++
			continue
		}
		for i, row := range trim(rows) {
			for j, cell := range row {
				if v := at(other[i], j); !same(cell, v) {
					if problems < 20 {
						fmt.Printf("%s: %s!%s vale %q; se escribió %q\n", reader, sheet, name(j, i), v, cell)
					}
					problems++
				}
			}
		}
	}
	return problems
}

func trim(rows [][]string) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		for len(r) > 0 && r[len(r)-1] == "" {
			r = r[:len(r)-1]
		}
		out[i] = r
	}
	for len(out) > 0 && len(out[len(out)-1]) == 0 {
		out = out[:len(out)-1]
	}
	return out
}

func at(row []string, j int) string {
	if j < len(row) {
		return row[j]
	}
	return ""
}

// same compares a written cell with a reader's: equal, or the same number
// or the same instant written another way.
func same(a, b string) bool {
	if a == b {
		return true
	}
	var x, y float64
	if _, err := fmt.Sscan(a, &x); err == nil {
		if _, err := fmt.Sscan(b, &y); err == nil && x == y && !strings.ContainsAny(a+b, " -:") {
			return true
		}
	}
	return strings.TrimSuffix(strings.Replace(b, "T", " ", 1), " 00:00:00") == a
}

func name(col, row int) string {
	n, _ := excelize.CoordinatesToCellName(col+1, row+1)
	return n
}
