package readers

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"batch/cells"

	"github.com/xuri/excelize/v2"

	"batch"
)

// Unzip limits, set on purpose. Sheets are read as they are unpacked,
// never unpacked whole. A workbook is refused before anything is unpacked
// when its parts add up to more than unzipLimit, or to more than maxRatio
// times the file's size once past unzipFloor: a real workbook's XML
// compresses 5 to 30 times, a zip bomb's a thousand. (Go's zip reader
// refuses a part that inflates past the size it declares.)
const (
	unzipLimit = 2 << 30
	unzipFloor = 256 << 20
	maxRatio   = 200
)

// unzipBound is how far a workbook of this size may inflate.
func unzipBound(size int64) int64 {
	return min(unzipLimit, max(unzipFloor, size*maxRatio))
}

// checkInflation reads a zip's directory, not its content, and refuses a
// workbook that would inflate past its bound, or that is another format in
// a zip. Go's zip reader refuses a part that inflates past the size it
// declares, so the directory's sizes bound what is unpacked.
func checkInflation(path string, z *zip.Reader, size int64) error {
	bound := unzipBound(size)
	names := map[string]bool{}
	for _, f := range z.File {
		names[f.Name] = true
	}
	switch {
	case names["content.xml"] && names["mimetype"]:
		return inputErr(path, "es una hoja de OpenDocument (.ods), que no se lee. Ábrala en LibreOffice y guárdela como .xlsx")
	case names["xl/workbook.bin"]:
		return inputErr(path, "es un libro binario de Excel (.xlsb), que no se lee. Ábralo en Excel y guárdelo como .xlsx")
	case !names["xl/workbook.xml"] && !names["xl/workbook2.xml"] && names["[Content_Types].xml"] && (names["word/document.xml"] || names["ppt/presentation.xml"]):
		return inputErr(path, "no es un libro de Excel sino otro documento de Office (Word o PowerPoint)")
	}
	var total uint64
	for _, f := range z.File {
		total += f.UncompressedSize64
	}
	if total > uint64(bound) {
		return inputErr(path, "el libro se descomprime en %s, %d veces su tamaño: un libro real no crece así (parece una «bomba zip») y no se abre", sizeText(total), total/uint64(max(size, 1)))
	}
	return nil
}

func sizeText(n uint64) string {
	if n >= 1<<30 {
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	}
	return fmt.Sprintf("%d MB", n>>20)
}

type xlsxSource struct {
	file   io.Closer
	book   *book
	list   []*batch.Sheet
	parts  map[*batch.Sheet]string // where each sheet's XML is
	seen   []string                // each sheet's header-like row, for found
	hidden []string                // the hidden sheets left unread
}

func (s *xlsxSource) found() string { return strings.Join(s.seen, "; ") }

// openXLSX reads the workbook with the tool's own reader of its parts
// (ooxml.go), which gives each cell's type and number format; excelize
// only decrypts a workbook with a password.
func openXLSX(path string, opt Options) (src source, err error) {
	// A workbook no program wrote right must be refused, never crash the
	// run.
	defer func() {
		if p := recover(); p != nil {
			src, err = nil, inputErr(path, "el libro tiene una estructura que no se puede leer (%v); ábralo y guárdelo de nuevo como .xlsx", p)
		}
	}()
	f, err := openInput(path)
	if err != nil {
		return nil, err
	}
	z, size, err := zipOf(path, f, opt.Password)
	if err != nil {
		f.Close()
		return nil, err
	}
	if err := checkInflation(path, z, size); err != nil {
		f.Close()
		return nil, err
	}
	b, err := openBook(z)
	if err != nil {
		f.Close()
		return nil, partErr(path, "", 0, err)
	}
	s := &xlsxSource{file: f, book: b, parts: map[*batch.Sheet]string{}}
	for _, sh := range b.sheets {
		if sh.hidden && !opt.HiddenSheets {
			s.hidden = append(s.hidden, sh.name)
			continue
		}
		sheet, err := s.findHeader(path, sh, opt.Keys)
		if err != nil {
			f.Close()
			return nil, err
		}
		if sheet != nil {
			s.list = append(s.list, sheet)
			s.parts[sheet] = sh.part
		}
	}
	return s, nil
}

// zipOf opens the workbook's zip: the file itself, or what a password
// decrypts of Excel's encrypted container.
func zipOf(path string, f *os.File, password string) (*zip.Reader, int64, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, 0, inputErr(path, "no se pudo leer: %v", err)
	}
	var r io.ReaderAt = f
	size := st.Size()
	head := make([]byte, len(oleMagic))
	n, _ := f.ReadAt(head, 0)
	head = head[:n]
	if password != "" && bytes.Equal(head, oleMagic) {
		if size > unzipFloor {
			return nil, 0, inputErr(path, "el libro cifrado pesa %s: más de lo que se descifra", sizeText(uint64(size)))
		}
		raw, err := io.ReadAll(f)
		if err != nil {
			return nil, 0, inputErr(path, "no se pudo leer: %v", err)
		}
		plain, err := excelize.Decrypt(raw, &excelize.Options{Password: password})
		if err != nil {
			return nil, 0, decryptError(path, err)
		}
		r, size = bytes.NewReader(plain), int64(len(plain))
	}
	z, err := zip.NewReader(r, size)
	switch {
	case errors.Is(err, zip.ErrFormat) && password == "" && !bytes.HasPrefix(head, zipMagic):
		return nil, 0, passwordErr(path, "no es un libro .xlsx legible: puede estar protegido con contraseña, dañado o ser de otro formato")
	case err != nil:
		return nil, 0, inputErr(path, "el libro está dañado o incompleto (zip: %v); vuelva a exportarlo", err)
	}
	return z, size, nil
}

func decryptError(path string, err error) error {
	if errors.Is(err, excelize.ErrWorkbookPassword) {
		return passwordErr(path, "la contraseña dada no abre el libro")
	}
	return inputErr(path, "no se pudo leer el libro: %v", err)
}

// partErr words a problem reading a part of the workbook.
func partErr(path, sheet string, line int, err error) error {
	where := ""
	if sheet != "" {
		where = fmt.Sprintf("hoja «%s», ", sheet)
		if line > 0 {
			where += fmt.Sprintf("fila %d: ", line)
		}
	}
	switch {
	case errors.Is(err, errTooLong), errors.Is(err, errWide), errors.As(err, new(*farCell)):
		return inputErr(path, "%s%v", where, err)
	case errors.Is(err, errBadXML), errors.Is(err, errDoctype):
		return inputErr(path, "%sel libro tiene una estructura que no se puede leer (%v); ábralo y guárdelo de nuevo como .xlsx", where, err)
	case strings.Contains(err.Error(), "zip:"), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, zip.ErrChecksum):
		return inputErr(path, "%sel libro está dañado o incompleto (%v); vuelva a exportarlo", where, err)
	}
	return inputErr(path, "%sno se pudo leer el libro: %v", where, err)
}

func (s *xlsxSource) sheets() []*batch.Sheet { return s.list }
func (s *xlsxSource) skipped() []string      { return s.hidden }
func (s *xlsxSource) close() error           { return s.file.Close() }

// findHeader looks for the header row in the sheet's first rows.
func (s *xlsxSource) findHeader(path string, sh bookSheet, keys []batch.Field) (*batch.Sheet, error) {
	rows, err := s.book.rows(sh.part)
	if err != nil {
		return nil, partErr(path, sh.name, 0, err)
	}
	defer rows.close()
	var candidate headerCandidate
	defer func() {
		if candidate.n > 0 {
			s.seen = append(s.seen, fmt.Sprintf("hoja «%s»: %s", sh.name, &candidate))
		}
	}()
	for {
		ok, err := rows.next()
		if err != nil {
			return nil, partErr(path, sh.name, rows.line, err)
		}
		if !ok || rows.line > headerScanRows {
			return nil, nil
		}
		cells, _, err := s.book.cellsOf(rows, nil)
		if err != nil {
			return nil, partErr(path, sh.name, rows.line, err)
		}
		cells, _ = cleanAll(cells)
		candidate.see(cells)
		columns, index, ok, err := matchHeader(cells, keys)
		if err != nil {
			return nil, inputErr(path, "hoja «%s», fila %d: %v", sh.name, rows.line, err)
		}
		if ok {
			return &batch.Sheet{File: path, Name: sh.name, HeaderRow: rows.line, Columns: columns, Index: index}, nil
		}
	}
}

func (s *xlsxSource) each(sheet *batch.Sheet, fn func(batch.Row) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = inputErr(sheet.File, "hoja «%s»: el libro tiene una estructura que no se puede leer (%v)", sheet.Name, p)
		}
	}()
	rows, err := s.book.rows(s.parts[sheet])
	if err != nil {
		return partErr(sheet.File, sheet.Name, 0, err)
	}
	defer rows.close()
	identifier, dated := identifiers(sheet), textDates(sheet)
	for {
		ok, err := rows.next()
		if err != nil {
			return partErr(sheet.File, sheet.Name, rows.line, err)
		}
		if !ok {
			return nil
		}
		if rows.line <= sheet.HeaderRow {
			continue
		}
		cells, values, err := s.book.cellsOf(rows, identifier)
		if err != nil {
			return partErr(sheet.File, sheet.Name, rows.line, err)
		}
		if err := bounded(sheet, rows.line, cells); err != nil {
			return err
		}
		cells, blank := cleanAll(cells)
		if blank {
			continue
		}
		for i, c := range cells {
			switch {
			case c == "":
				values[i] = batch.Value{}
			case i < len(dated) && dated[i] && values[i].Type == batch.ValueText:
				values[i] = textDate(c, values[i])
			}
		}
		if err := fn(batch.Row{Sheet: sheet, Line: rows.line, Cells: cells, Values: values}); err != nil {
			return err
		}
	}
}

// identifiers marks the columns that hold identifiers (cells.Identifier).
func identifiers(sheet *batch.Sheet) []bool {
	id := make([]bool, len(sheet.Columns))
	for i, h := range sheet.Columns {
		id[i] = cells.Identifier(h)
	}
	return id
}

// textDates marks the date columns ("Fecha Emisión", "Fecha Recepción")
// that are not identifiers: the DIAN's export writes their dates as text,
// dd-mm-aaaa [hh:mm:ss], which the result workbook gives back as dates.
func textDates(sheet *batch.Sheet) []bool {
	dated := make([]bool, len(sheet.Columns))
	for i, h := range sheet.Columns {
		dated[i] = strings.HasPrefix(cells.NormalizeHeader(h), "fecha") && !cells.Identifier(h)
	}
	return dated
}

// textDate is a text cell of a date column as a date, when it reads as one.
func textDate(text string, v batch.Value) batch.Value {
	t, withTime, slash, ok := cells.Date(text)
	if !ok {
		return v
	}
	format := "yyyy-mm-dd"
	if slash {
		format = "dd/mm/yyyy"
	}
	if withTime {
		format += " hh:mm:ss"
	}
	return batch.Value{Type: batch.ValueDate, Number: cells.Serial(t), Format: format}
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

var errWide = fmt.Errorf("una fila de más de %d columnas", MaxColumns)
