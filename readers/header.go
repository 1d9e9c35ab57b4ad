package readers

import (
	"fmt"

	"batch"
	"batch/cells"
)

// matchHeader checks whether cells form a header row holding at least one of
// the key fields. It returns the sheet's columns and field index, or ok=false.
// A header naming the same column twice, or two columns that mean the same
// field ("Nombre" and "Nombres"), is an error: the tool could not tell which
// of the two the user meant, and taking either could mix two people's data.
func matchHeader(row []string, keys []batch.Field) (columns []string, index map[batch.Field]int, ok bool, err error) {
	index = map[batch.Field]int{}
	var twice error
	for i, c := range row {
		f, known := cells.FieldOf(c)
		if !known {
			continue
		}
		if j, dup := index[f]; dup {
			if twice == nil && cells.NormalizeHeader(row[j]) != cells.NormalizeHeader(c) {
				twice = fmt.Errorf("las columnas «%s» (%s) y «%s» (%s) son el mismo dato (%s); deje solo una, o cambie el nombre de la que no es ese dato",
					row[j], columnLetter(j), c, columnLetter(i), f)
			}
			continue
		}
		index[f] = i
	}
	for _, k := range keys {
		if _, has := index[k]; has {
			ok = true
		}
	}
	if !ok {
		return nil, nil, false, nil
	}
	if columns, err = headerColumns(row); err != nil {
		return nil, nil, true, err
	}
	if twice != nil {
		return nil, nil, true, twice
	}
	return columns, index, true, nil
}

// headerColumns names every column up to the last filled one, refusing a
// name written twice.
func headerColumns(row []string) ([]string, error) {
	last := len(row) - 1
	for last >= 0 && row[last] == "" {
		last--
	}
	columns := make([]string, last+1)
	seen := map[string]int{}
	for i := 0; i <= last; i++ {
		name := row[i]
		if name == "" {
			name = "Columna " + columnLetter(i)
		}
		n := cells.NormalizeHeader(name)
		if n == "" {
			n = name
		}
		if j, dup := seen[n]; dup {
			return nil, fmt.Errorf("la columna «%s» aparece dos veces en el encabezado (columnas %s y %s); deje solo una", row[i], columnLetter(j), columnLetter(i))
		}
		seen[n] = i
		columns[i] = name
	}
	return columns, nil
}

// columnLetter turns a 0-based column index into the spreadsheet's letters.
func columnLetter(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}
