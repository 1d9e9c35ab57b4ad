package readers

import (
	"strings"

	"batch"
	"batch/cells"
)

// A CSV has no types: every cell is text. The result workbook writes a
// column as numbers when every value in it is a number in the file's own
// convention, as dates when every value is a date, and as text otherwise,
// never half and half. Identifier columns are text whatever they hold.

// columnGuess is what a column's values have been so far.
type columnGuess struct {
	values int
	comma  numberFit // every value a number with a decimal comma
	point  numberFit // every value a number with a decimal point
	date   bool
	time   bool // some date has a time of day
	slash  bool // the dates are day first, with slashes
}

type numberFit struct {
	ok       bool
	decimals int
	grouped  bool
}

func (f *numberFit) see(s string, c cells.Convention) {
	if !f.ok {
		return
	}
	_, d, g, ok := cells.Number(s, c)
	f.ok, f.decimals, f.grouped = ok, max(f.decimals, d), f.grouped || g
}

func (g *columnGuess) see(s string) {
	if s == "" {
		return
	}
	if g.values == 0 {
		g.comma.ok, g.point.ok, g.date = true, true, true
	}
	g.values++
	g.comma.see(s, cells.DecimalComma)
	g.point.see(s, cells.DecimalPoint)
	if g.date {
		_, withTime, slash, ok := cells.Date(s)
		g.date, g.time = ok, g.time || withTime
		if g.values == 1 {
			g.slash = slash
		}
	}
}

// columnType is how a column is written back.
type columnType struct {
	kind       batch.ValueType
	convention cells.Convention
	format     string
}

// csvTypes decides each column's type once the whole file was seen. An
// ambiguous column (1.619 is a thousand and more with a decimal comma, one
// and a bit with a decimal point) follows the file: the convention that
// other columns alone fit, else the delimiter's (a semicolon is Excel in
// Spanish, decimal comma; a comma, decimal point).
func csvTypes(sheet *batch.Sheet, guesses []columnGuess, comma rune) []columnType {
	commaOnly, pointOnly := 0, 0
	for _, g := range guesses {
		switch {
		case g.values == 0 || g.date:
		case g.comma.ok && !g.point.ok:
			commaOnly++
		case g.point.ok && !g.comma.ok:
			pointOnly++
		}
	}
	file := cells.DecimalComma
	if pointOnly > commaOnly || (pointOnly == commaOnly && comma == ',') {
		file = cells.DecimalPoint
	}
	types := make([]columnType, len(guesses))
	for i, g := range guesses {
		if i < len(sheet.Columns) && cells.Identifier(sheet.Columns[i]) || g.values == 0 {
			types[i] = columnType{kind: batch.ValueText}
			continue
		}
		switch {
		case g.date:
			format := "yyyy-mm-dd"
			if g.slash {
				format = "dd/mm/yyyy"
			}
			if g.time {
				format += " hh:mm:ss"
			}
			types[i] = columnType{kind: batch.ValueDate, format: format}
		case g.comma.ok && (file == cells.DecimalComma || !g.point.ok):
			types[i] = columnType{kind: batch.ValueNumber, convention: cells.DecimalComma, format: numberFormat(g.comma)}
		case g.point.ok:
			types[i] = columnType{kind: batch.ValueNumber, convention: cells.DecimalPoint, format: numberFormat(g.point)}
		default:
			types[i] = columnType{kind: batch.ValueText}
		}
	}
	return types
}

// numberFormat shows a column's numbers as the file did: with thousands
// separators if any had them, with as many decimals as the most precise.
func numberFormat(f numberFit) string {
	format := "0"
	if f.grouped {
		format = "#,##0"
	}
	if f.decimals > 0 {
		format += "." + strings.Repeat("0", min(f.decimals, 6))
	}
	return format
}

// values types a row's cells by their columns.
func typed(cellsText []string, types []columnType) []batch.Value {
	out := make([]batch.Value, len(cellsText))
	for i, s := range cellsText {
		if s == "" {
			continue
		}
		out[i] = batch.Value{Type: batch.ValueText}
		if i >= len(types) {
			continue
		}
		switch t := types[i]; t.kind {
		case batch.ValueNumber:
			if n, _, _, ok := cells.Number(s, t.convention); ok {
				out[i] = batch.Value{Type: batch.ValueNumber, Number: n, Format: t.format}
			}
		case batch.ValueDate:
			if d, _, _, ok := cells.Date(s); ok {
				out[i] = batch.Value{Type: batch.ValueDate, Number: cells.Serial(d), Format: t.format}
			}
		}
	}
	return out
}
