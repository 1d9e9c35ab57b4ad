package writers

import (
	"fmt"

	"github.com/xuri/excelize/v2"
)

// streamed is a table written row by row (Resultados, Atención) that goes
// on to a sheet of its own, "Resultados 2", when it outgrows one: a sheet
// has 1,048,576 rows.
type streamed struct {
	w      *Workbook
	name   string // the first sheet's name; the next ones add " 2", " 3"…
	table  string // the table's name, without spaces or accents
	header []string
	max    int // data rows a sheet holds
	// spooled: the rows go to a file of their own per sheet (rowSpool),
	// not through the StreamWriter.
	spooled bool

	sw     *excelize.StreamWriter // the sheet being written
	next   int                    // its next row
	sheets []filled               // the sheets written, the current one last
}

// filled is one of a table's sheets and its last row, and its rows when
// they are spooled.
type filled struct {
	name string
	last int
	rows *rowSpool
}

// open starts the table's first sheet, which exists.
func (s *streamed) open() error {
	s.sheets = []filled{{name: s.name, last: 1}}
	return s.begin(s.name)
}

func (s *streamed) begin(name string) error {
	sw, err := s.w.f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	if s.spooled {
		if s.sheets[len(s.sheets)-1].rows, err = newRowSpool(); err != nil {
			return err
		}
	}
	s.sw, s.next = sw, 2
	return s.w.startSheet(sw, s.header)
}

// row writes one row, on a new sheet when this one is full.
func (s *streamed) row(values []any) error {
	if s.next > s.max+1 {
		if err := s.close(); err != nil {
			return err
		}
		name := fmt.Sprintf("%s %d", s.name, len(s.sheets)+1)
		if _, err := s.w.f.NewSheet(name); err != nil {
			return err
		}
		if err := s.w.pageSetup(name); err != nil {
			return err
		}
		s.sheets = append(s.sheets, filled{name: name, last: 1})
		if err := s.begin(name); err != nil {
			return err
		}
	}
	var err error
	if sheet := s.sheets[len(s.sheets)-1]; sheet.rows != nil {
		err = sheet.rows.row(s.next, values)
	} else {
		cell, _ := excelize.CoordinatesToCellName(1, s.next)
		err = s.sw.SetRow(cell, values)
	}
	if err != nil {
		return fmt.Errorf("no se pudo escribir la fila %d de la hoja %s: %w", s.next, s.sheets[len(s.sheets)-1].name, err)
	}
	s.sheets[len(s.sheets)-1].last = s.next
	s.next++
	return nil
}

// empty reports whether no row was written under the header.
func (s *streamed) empty() bool { return len(s.sheets) == 1 && s.next == 2 }

// close ends the sheet being written with its table (the autofilter).
func (s *streamed) close() error {
	n := len(s.sheets)
	table := s.table
	if n > 1 {
		table += fmt.Sprint(n)
	}
	if err := addTable(s.sw, table, len(s.header), s.sheets[n-1].last); err != nil {
		return err
	}
	return s.sw.Flush()
}

// closeBare ends the sheet being written without a table.
func (s *streamed) closeBare() error { return s.sw.Flush() }

// refs are the used range of each of the table's sheets, by its part in
// the package.
func (s *streamed) refs(into map[string]string, minLast int) {
	for _, f := range s.sheets {
		into[s.w.sheetPart(f.name)] = usedRange(len(s.header), max(f.last, minLast))
	}
}

// splices are the spooled rows of each of the table's sheets, by its part
// in the package.
func (s *streamed) splices(into map[string]*rowSpool) {
	for _, f := range s.sheets {
		if f.rows != nil {
			into[s.w.sheetPart(f.name)] = f.rows
		}
	}
}

// remove deletes the spooled rows' files.
func (s *streamed) remove() {
	for _, f := range s.sheets {
		if f.rows != nil {
			f.rows.remove()
		}
	}
}
