package readers

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"batch"
)

// Unzip limits, set on purpose. A worksheet larger than xmlInMemory is
// unpacked to a temporary file instead of memory. A workbook is refused
// before anything is unpacked when its parts add up to more than
// unzipLimit, or to more than maxRatio times the file's size once past
// unzipFloor: a real workbook's XML compresses 5 to 30 times, a zip bomb's
// a thousand. (excelize enforces the same bound on what it unpacks, and Go's
// zip reader refuses a part that inflates past the size it declares.)
const (
	unzipLimit  = 2 << 30
	unzipFloor  = 256 << 20
	maxRatio    = 200
	xmlInMemory = 16 << 20
)

// unzipBound is how far a workbook of this size may inflate.
func unzipBound(size int64) int64 {
	return min(unzipLimit, max(unzipFloor, size*maxRatio))
}

// checkInflation reads a zip's directory, not its content, and refuses a
// workbook that would inflate past its bound, which it returns for
// excelize to enforce on what it unpacks.
func checkInflation(path string) (int64, error) {
	bound := int64(unzipLimit)
	st, err := os.Stat(path)
	if err != nil {
		return bound, nil // excelize says what is wrong with it
	}
	bound = unzipBound(st.Size())
	z, err := zip.OpenReader(path)
	if err != nil {
		return bound, nil
	}
	defer z.Close()
	names := map[string]bool{}
	for _, f := range z.File {
		names[f.Name] = true
	}
	switch {
	case names["content.xml"] && names["mimetype"]:
		return 0, inputErr(path, "es una hoja de OpenDocument (.ods), que no se lee. Ábrala en LibreOffice y guárdela como .xlsx")
	case names["xl/workbook.bin"]:
		return 0, inputErr(path, "es un libro binario de Excel (.xlsb), que no se lee. Ábralo en Excel y guárdelo como .xlsx")
	case !names["xl/workbook.xml"] && !names["xl/workbook2.xml"] && names["[Content_Types].xml"] && (names["word/document.xml"] || names["ppt/presentation.xml"]):
		return 0, inputErr(path, "no es un libro de Excel sino otro documento de Office (Word o PowerPoint)")
	}
	var total uint64
	for _, f := range z.File {
		total += f.UncompressedSize64
	}
	if total > uint64(bound) {
		return 0, inputErr(path, "el libro se descomprime en %s, %d veces su tamaño: un libro real no crece así (parece una «bomba zip») y no se abre", sizeText(total), total/uint64(max(st.Size(), 1)))
	}
	return bound, nil
}

func sizeText(n uint64) string {
	if n >= 1<<30 {
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	}
	return fmt.Sprintf("%d MB", n>>20)
}

type xlsxSource struct {
	f      *excelize.File
	list   []*batch.Sheet
	seen   []string // each sheet's header-like row, for found
	hidden []string // the hidden sheets left unread
}

func (s *xlsxSource) found() string { return strings.Join(s.seen, "; ") }

func openXLSX(path string, opt Options) (src source, err error) {
	// A workbook no program wrote right must be refused, never crash the
	// run: excelize is trusted with well-formed parts, not with any bytes.
	defer func() {
		if p := recover(); p != nil {
			src, err = nil, inputErr(path, "el libro tiene una estructura que no se puede leer (%v); ábralo y guárdelo de nuevo como .xlsx", p)
		}
	}()
	bound, err := checkInflation(path)
	if err != nil {
		return nil, err
	}
	if err := checkSharedStrings(path); err != nil {
		return nil, err
	}
	f, err := excelize.OpenFile(path, excelize.Options{
		Password:          opt.Password,
		ShortDatePattern:  "yyyy-mm-dd",
		UnzipSizeLimit:    bound,
		UnzipXMLSizeLimit: min(xmlInMemory, bound),
	})
	if err != nil {
		return nil, xlsxOpenError(path, err, opt.Password != "")
	}
	s := &xlsxSource{f: f}
	for _, name := range f.GetSheetList() {
		if visible, _ := f.GetSheetVisible(name); !visible && !opt.HiddenSheets {
			s.hidden = append(s.hidden, name)
			continue
		}
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
		return passwordErr(path, "la contraseña dada no abre el libro")
	case errors.Is(err, excelize.ErrWorkbookFileFormat) && !withPassword:
		return passwordErr(path, "no es un libro .xlsx legible: puede estar protegido con contraseña, dañado o ser de otro formato")
	case strings.Contains(err.Error(), "zip:"):
		return inputErr(path, "el libro está dañado o incompleto (%v); vuelva a exportarlo", err)
	case strings.Contains(err.Error(), "unzip size"):
		return inputErr(path, "el libro se descomprime en más de lo que un libro real ocupa (parece una «bomba zip»); no se abre")
	}
	return inputErr(path, "no se pudo leer el libro: %v", err)
}

func (s *xlsxSource) sheets() []*batch.Sheet { return s.list }
func (s *xlsxSource) skipped() []string      { return s.hidden }
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

func (s *xlsxSource) each(sheet *batch.Sheet, fn func(batch.Row) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = inputErr(sheet.File, "hoja «%s»: el libro tiene una estructura que no se puede leer (%v)", sheet.Name, p)
		}
	}()
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
		if err := bounded(sheet, line, cells); err != nil {
			return err
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

// MaxCell is Excel's own limit on a cell's text: a longer one was not
// written by a spreadsheet, and the tool never copies it (a workbook whose
// one shared string of 100 MB stands in sixty cells would cost 6 GB).
const MaxCell = 32767

// bounded refuses a row of more columns, or a cell of more characters,
// than the tool holds.
func bounded(sheet *batch.Sheet, line int, cells []string) error {
	if len(cells) > MaxColumns {
		return inputErr(sheet.File, "hoja «%s», fila %d: %d columnas; el límite es %d", sheet.Name, line, len(cells), MaxColumns)
	}
	for i, c := range cells {
		if len(c) > MaxCell && utf8.RuneCountInString(c) > MaxCell {
			return inputErr(sheet.File, "hoja «%s», fila %d, columna %d: una celda de más de %d caracteres, el límite de Excel: el libro no es una exportación de facturas", sheet.Name, line, i+1, MaxCell)
		}
	}
	return nil
}

// maxTextBytes is the most a cell's text of MaxCell characters can take in
// XML: each character escaped as a numeric reference.
const maxTextBytes = 8 * MaxCell

// checkSharedStrings looks through the shared strings table, a chunk at a
// time, for a text longer than a cell can hold, before excelize decodes
// the table whole: one 100 MB string would cost several times its size
// there, and again in each cell that uses it.
func checkSharedStrings(path string) error {
	z, err := zip.OpenReader(path)
	if err != nil {
		return nil // excelize says what is wrong with it
	}
	defer z.Close()
	for _, f := range z.File {
		if !strings.EqualFold(f.Name, "xl/sharedStrings.xml") {
			continue
		}
		r, err := f.Open()
		if err != nil {
			return nil
		}
		defer r.Close()
		buf, run := make([]byte, 64<<10), 0
		for {
			n, err := r.Read(buf)
			for chunk := buf[:n]; ; {
				i := bytes.IndexByte(chunk, '<')
				if i < 0 {
					run += len(chunk)
					break
				}
				if run += i; run > maxTextBytes {
					break
				}
				run, chunk = 0, chunk[i+1:]
			}
			if run > maxTextBytes {
				return inputErr(path, "una celda de más de %d caracteres, el límite de Excel: el libro no es una exportación de facturas", MaxCell)
			}
			if err != nil {
				return nil
			}
		}
	}
	return nil
}
