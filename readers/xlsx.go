package readers

import (
	"errors"
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"

	"batch"
)

// Unzip limits, set on purpose: a worksheet larger than xmlInMemory is
// unpacked to a temporary file instead of memory, and a workbook that
// inflates past unzipLimit is refused before it fills the disk.
const (
	unzipLimit  = 4 << 30
	xmlInMemory = 16 << 20
)

type xlsxSource struct {
	f    *excelize.File
	list []*batch.Sheet
	seen []string // each sheet's header-like row, for found
}

func (s *xlsxSource) found() string { return strings.Join(s.seen, "; ") }

func openXLSX(path string, opt Options) (source, error) {
	f, err := excelize.OpenFile(path, excelize.Options{
		Password:          opt.Password,
		ShortDatePattern:  "yyyy-mm-dd",
		UnzipSizeLimit:    unzipLimit,
		UnzipXMLSizeLimit: xmlInMemory,
	})
	if err != nil {
		return nil, xlsxOpenError(path, err, opt.Password != "")
	}
	s := &xlsxSource{f: f}
	for _, name := range f.GetSheetList() {
		sheet, err := s.findHeader(path, name, opt.Keys)
		if err != nil {
			f.Close()
			return nil, err
		}
		if sheet != nil {
			s.list = append(s.list, sheet)
		}
	}
	return s, nil
}

func xlsxOpenError(path string, err error, withPassword bool) error {
	switch {
	case errors.Is(err, excelize.ErrWorkbookPassword):
		return inputErr(path, "la contraseña dada con --clave-archivo no abre el libro")
	case errors.Is(err, excelize.ErrWorkbookFileFormat) && !withPassword:
		return inputErr(path, "no es un libro .xlsx legible: puede estar protegido con contraseña (use --clave-archivo), dañado o ser de otro formato")
	case strings.Contains(err.Error(), "zip:"):
		return inputErr(path, "el libro está dañado o incompleto (%v); vuelva a exportarlo", err)
	case strings.Contains(err.Error(), "unzip size"):
		return inputErr(path, "el libro se descomprime a más de %d GiB; no se procesa", unzipLimit>>30)
	}
	return inputErr(path, "no se pudo leer el libro: %v", err)
}

func (s *xlsxSource) sheets() []*batch.Sheet { return s.list }
func (s *xlsxSource) close() error           { return s.f.Close() }

// findHeader looks for the header row in the sheet's first rows.
func (s *xlsxSource) findHeader(path, name string, keys []batch.Field) (*batch.Sheet, error) {
	rows, err := s.f.Rows(name)
	if err != nil {
		return nil, inputErr(path, "no se pudo leer la hoja «%s»: %v", name, err)
	}
	defer rows.Close()
	var candidate headerCandidate
	defer func() {
		if candidate.n > 0 {
			s.seen = append(s.seen, fmt.Sprintf("hoja «%s»: %s", name, &candidate))
		}
	}()
	for line := 1; line <= headerScanRows && rows.Next(); line++ {
		cells, err := rows.Columns()
		if err != nil {
			return nil, inputErr(path, "hoja «%s», fila %d: %v", name, line, err)
		}
		cells, _ = cleanAll(cells)
		candidate.see(cells)
		columns, index, ok, err := matchHeader(cells, keys)
		if err != nil {
			return nil, inputErr(path, "hoja «%s», fila %d: %v", name, line, err)
		}
		if ok {
			return &batch.Sheet{File: path, Name: name, HeaderRow: line, Columns: columns, Index: index}, nil
		}
	}
	return nil, rows.Error()
}

func (s *xlsxSource) each(sheet *batch.Sheet, fn func(batch.Row) error) error {
	rows, err := s.f.Rows(sheet.Name)
	if err != nil {
		return inputErr(sheet.File, "no se pudo leer la hoja «%s»: %v", sheet.Name, err)
	}
	defer rows.Close()
	// Next also yields the rows a sparse sheet leaves out, so counting
	// calls gives the row's number as the spreadsheet shows it.
	for line := 1; rows.Next(); line++ {
		if line <= sheet.HeaderRow {
			continue
		}
		cells, err := rows.Columns()
		if err != nil {
			return inputErr(sheet.File, "hoja «%s», fila %d: %v", sheet.Name, line, err)
		}
		cells, blank := cleanAll(cells)
		if blank {
			continue
		}
		if err := fn(batch.Row{Sheet: sheet, Line: line, Cells: cells}); err != nil {
			return err
		}
	}
	if err := rows.Error(); err != nil {
		return inputErr(sheet.File, "hoja «%s»: %v", sheet.Name, err)
	}
	return nil
}
