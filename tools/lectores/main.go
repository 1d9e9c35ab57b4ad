// Command lectores reads a result workbook the way three other programs
// would and says where they disagree with what batch wrote, in type and in
// value: excelize (the cells as written, each typed by its XML and its
// number format), LibreOffice (converted headless to a flat OpenDocument
// sheet, whose cells say their value type) and openpyxl in read-only mode,
// which trusts each sheet's declared dimension (as pandas and ETL jobs
// reading large workbooks do). A number must be a number in all three, a
// date a date, an empty cell empty. `make test` (through cmd/batch's tests)
// and `make capturas` run it; it exits 1 on any disagreement.
package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"batch/readers"
)

// cell is a cell's type and its value, written the same way for every
// reader: text as is, a number in Go's shortest form, a date as
// AAAA-MM-DDTHH:MM:SS, a boolean as true or false.
type cell struct {
	kind  string // "" (no cell), "texto", "número", "fecha", "booleano"
	value string
}

type book map[string][][]cell

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
		read func(string) (book, error)
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
			fmt.Printf("%s: las %d hojas coinciden celda por celda, en tipo y valor, con lo escrito (%s)\n", check.name, len(want), kinds(want))
		}
	}
	if problems > 0 {
		os.Exit(1)
	}
}

// kinds counts the cells of each type, to show what was compared.
func kinds(b book) string {
	n := map[string]int{}
	for _, rows := range b {
		for _, r := range rows {
			for _, c := range r {
				if c.kind != "" {
					n[c.kind]++
				}
			}
		}
	}
	var parts []string
	for k, v := range n {
		parts = append(parts, fmt.Sprintf("%d de %s", v, k))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// written is every sheet's cells as batch wrote them, read by excelize.
func written(path string) (book, error) {
	f, err := excelize.OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := book{}
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, err
		}
		table := make([][]cell, len(rows))
		for i, row := range rows {
			table[i] = make([]cell, len(row))
			for j, raw := range row {
				ref, _ := excelize.CoordinatesToCellName(j+1, i+1)
				table[i][j], err = excelizeCell(f, sheet, ref, raw)
				if err != nil {
					return nil, err
				}
			}
		}
		out[sheet] = table
	}
	return out, nil
}

func excelizeCell(f *excelize.File, sheet, ref, raw string) (cell, error) {
	typ, err := f.GetCellType(sheet, ref)
	if err != nil {
		return cell{}, err
	}
	switch typ {
	case excelize.CellTypeBool:
		return cell{"booleano", strconv.FormatBool(raw == "1" || raw == "TRUE")}, nil
	case excelize.CellTypeUnset, excelize.CellTypeNumber:
		if raw == "" {
			return cell{}, nil
		}
		n, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return cell{"texto", raw}, nil
		}
		id, _ := f.GetCellStyle(sheet, ref)
		if style, _ := f.GetStyle(id); style != nil {
			code := ""
			if style.CustomNumFmt != nil {
				code = *style.CustomNumFmt
			}
			if readers.DateFormat(style.NumFmt, code) {
				return cell{"fecha", serialTime(n)}, nil
			}
		}
		return cell{"número", number(n)}, nil
	}
	if raw == "" {
		return cell{}, nil
	}
	return cell{"texto", raw}, nil
}

func number(n float64) string { return strconv.FormatFloat(n, 'g', 12, 64) }

func serialTime(serial float64) string {
	t := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).Add(time.Duration(math.Round(serial*86400)) * time.Second)
	return t.Format("2006-01-02T15:04:05")
}

// libreOffice converts the workbook headless to a flat OpenDocument sheet
// (.fods) and reads each cell's value type and value from it.
func libreOffice(path string) (book, error) {
	dir, err := os.MkdirTemp("", "lectores-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	cmd := exec.Command("soffice", "--headless", "-env:UserInstallation=file://"+dir+"/perfil", "--convert-to", "fods", "--outdir", dir, path)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%v: %s", err, out)
	}
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	f, err := os.Open(filepath.Join(dir, base+".fods"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readFODS(f)
}

// openpyxlScript reads every sheet in read-only mode, which walks the rows
// the sheet's dimension declares, and prints each cell's type and value.
const openpyxlScript = `
import json, sys, datetime
import openpyxl
wb = openpyxl.load_workbook(sys.argv[1], read_only=True, data_only=True)
def cell(v):
    if v is None: return ["", ""]
    if isinstance(v, bool): return ["booleano", "true" if v else "false"]
    if isinstance(v, (int, float)): return ["número", repr(float(v))]
    if isinstance(v, datetime.datetime): return ["fecha", v.replace(microsecond=0).isoformat()]
    if isinstance(v, datetime.date): return ["fecha", v.isoformat() + "T00:00:00"]
    if isinstance(v, datetime.time): return ["fecha", "1899-12-30T" + v.replace(microsecond=0).isoformat()]
    return ["texto", str(v)]
out = {}
for ws in wb.worksheets:
    out[ws.title] = [[cell(v) for v in row] for row in ws.iter_rows(values_only=True)]
json.dump(out, sys.stdout)
`

func openpyxl(path string) (book, error) {
	out, err := exec.Command("/usr/bin/python3", "-c", openpyxlScript, path).Output()
	if err != nil {
		return nil, fmt.Errorf("%v (¿está python3-openpyxl?)", err)
	}
	var raw map[string][][][2]string
	if err := json.Unmarshal(out, &raw); err != nil {
		return nil, err
	}
	b := book{}
	for sheet, rows := range raw {
		table := make([][]cell, len(rows))
		for i, r := range rows {
			table[i] = make([]cell, len(r))
			for j, c := range r {
				table[i][j] = cell{c[0], c[1]}
				if c[0] == "número" {
					n, _ := strconv.ParseFloat(c[1], 64)
					table[i][j].value = number(n)
				}
			}
		}
		b[sheet] = table
	}
	return b, nil
}

// compare counts the cells where a reader disagrees with what was written,
// in type or in value. Trailing empty cells are not cells.
func compare(reader string, want, got book) int {
	problems := 0
	report := func(format string, args ...any) {
		if problems < 20 {
			fmt.Printf(reader+": "+format+"\n", args...)
		}
		problems++
	}
	for sheet, rows := range want {
		other, ok := got[sheet]
		if !ok {
			report("no ve la hoja %s", sheet)
			continue
		}
		rows, other = trim(rows), trim(other)
		if len(other) != len(rows) {
			report("la hoja %s tiene %d filas; se escribieron %d", sheet, len(other), len(rows))
			continue
		}
		for i := range rows {
			for j := range max(len(rows[i]), len(other[i])) {
				w, g := at(rows[i], j), at(other[i], j)
				switch {
				case w.kind != g.kind:
					report("%s!%s es %s %q; se escribió %s %q", sheet, name(j, i), kindName(g.kind), g.value, kindName(w.kind), w.value)
				case w.value != g.value:
					report("%s!%s vale %q; se escribió %q", sheet, name(j, i), g.value, w.value)
				}
			}
		}
	}
	return problems
}

func kindName(k string) string {
	if k == "" {
		return "vacía"
	}
	return k
}

func trim(rows [][]cell) [][]cell {
	out := make([][]cell, len(rows))
	for i, r := range rows {
		for len(r) > 0 && r[len(r)-1].kind == "" {
			r = r[:len(r)-1]
		}
		out[i] = r
	}
	for len(out) > 0 && len(out[len(out)-1]) == 0 {
		out = out[:len(out)-1]
	}
	return out
}

func at(row []cell, j int) cell {
	if j < len(row) {
		return row[j]
	}
	return cell{}
}

func name(col, row int) string {
	n, _ := excelize.CoordinatesToCellName(col+1, row+1)
	return n
}
