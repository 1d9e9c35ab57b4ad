package readers

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/gocarina/gocsv"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"batch"
)

// sniffSize is how much of a CSV is read to choose its delimiter.
const sniffSize = 64 << 10

// delimiters are tried in this order; the one that yields a header row with
// a key column and the most columns wins.
var delimiters = []rune{';', ',', '\t', '|'}

// Dialect is what was detected about a CSV file.
type Dialect struct {
	Encoding string // "UTF-8", "UTF-16", "Windows-1252"
	Comma    rune
}

type csvSource struct {
	path      string
	dialect   Dialect
	enc       encoding.Encoding
	bom       int
	sheet     *batch.Sheet
	candidate string       // the header-like row seen, for found
	types     []columnType // each column's type, once the file was read
}

func openCSV(path string, opt Options) (source, error) {
	f, err := openInput(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s := &csvSource{path: path}
	if err := s.detectEncoding(f); err != nil {
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, inputErr(path, "no se pudo leer: %v", err)
	}
	sample, err := io.ReadAll(io.LimitReader(s.decoded(f), sniffSize))
	if err != nil {
		return nil, inputErr(path, "no se pudo leer: %v", err)
	}
	best := -1
	var candidate headerCandidate
	for _, d := range delimiters {
		sheet, err := headerIn(path, bytes.NewReader(sample), d, opt.Keys, &candidate)
		if err != nil {
			return nil, err
		}
		if sheet != nil && len(sheet.Columns) > best {
			best = len(sheet.Columns)
			s.sheet, s.dialect.Comma = sheet, d
		}
	}
	s.candidate = candidate.String()
	return s, nil
}

// detectEncoding tells UTF-8 (with or without BOM) and UTF-16 (with BOM)
// from Windows-1252, the encoding Excel in Spanish saves "CSV" in. A file
// that is valid UTF-8 throughout is UTF-8; it is read to its end to decide,
// since an accent may first appear on its last line.
func (s *csvSource) detectEncoding(f *os.File) error {
	head := make([]byte, 4)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		// The mark promises UTF-8; a byte that breaks the promise becomes
		// U+FFFD, visible in the workbook, not invalid text in it. Text
		// with NUL bytes after it is UTF-16 under a wrong mark (a tool
		// that added one to a file already encoded): every cell would be
		// read wrong.
		if _, err := f.Seek(3, io.SeekStart); err != nil {
			return inputErr(s.path, "no se pudo leer: %v", err)
		}
		if _, binary, err := scanText(f); err != nil {
			return inputErr(s.path, "no se pudo leer: %v", err)
		} else if binary {
			return inputErr(s.path, "empieza con la marca de UTF-8, pero su texto está en UTF-16 (tiene bytes nulos entre las letras): ábralo y guárdelo de nuevo como «CSV UTF-8», o expórtelo como .xlsx")
		}
		s.dialect.Encoding, s.enc, s.bom = "UTF-8", unicode.UTF8, 3
		return nil
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		s.dialect.Encoding, s.enc = "UTF-16", unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM)
		return nil
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		s.dialect.Encoding, s.enc = "UTF-16", unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM)
		return nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return inputErr(s.path, "no se pudo leer: %v", err)
	}
	valid, binary, err := scanText(f)
	if err != nil {
		return inputErr(s.path, "no se pudo leer: %v", err)
	}
	switch {
	case binary:
		return inputErr(s.path, "no es un archivo de texto CSV (contiene bytes binarios); exporte la hoja como CSV o .xlsx")
	case valid:
		s.dialect.Encoding, s.enc = "UTF-8", encoding.Nop
	default:
		s.dialect.Encoding, s.enc = "Windows-1252", charmap.Windows1252
	}
	return nil
}

// scanText reports whether r is valid UTF-8 and whether it holds NUL bytes,
// which no text export has.
func scanText(r io.Reader) (valid, binary bool, err error) {
	valid = true
	br := bufio.NewReaderSize(r, 1<<16)
	var carry []byte
	buf := make([]byte, 1<<16)
	for {
		n, rerr := br.Read(buf)
		chunk := append(carry, buf[:n]...)
		if bytes.IndexByte(chunk, 0) >= 0 {
			return false, true, nil
		}
		// Keep an incomplete rune at the chunk's end for the next round.
		cut := len(chunk)
		for i := 1; i <= 3 && i <= len(chunk); i++ {
			if utf8.RuneStart(chunk[len(chunk)-i]) {
				if !utf8.FullRune(chunk[len(chunk)-i:]) {
					cut = len(chunk) - i
				}
				break
			}
		}
		if valid && !utf8.Valid(chunk[:cut]) {
			valid = false
		}
		carry = append(carry[:0], chunk[cut:]...)
		if rerr == io.EOF {
			if len(carry) > 0 {
				valid = false
			}
			return valid, false, nil
		}
		if rerr != nil {
			return false, false, rerr
		}
	}
}

// decoded turns the file's bytes into UTF-8 text without a byte-order mark.
func (s *csvSource) decoded(r io.Reader) io.Reader {
	if s.bom > 0 {
		io.CopyN(io.Discard, r, int64(s.bom))
	}
	return transform.NewReader(r, s.enc.NewDecoder())
}

// The limits of a CSV line: what the tool decides to hold, not what the
// file brings. An invoice export's line is a few hundred bytes.
const (
	MaxLine    = 1 << 20 // bytes between two line breaks
	MaxColumns = 1000
)

var errLongLine = errors.New("línea demasiado larga")

// lineLimit fails once MaxLine bytes pass without a line break: one field
// of 150 MB is refused after its first megabyte, never held whole.
type lineLimit struct {
	r   io.Reader
	run int
}

func (l *lineLimit) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	if first := bytes.IndexByte(p[:n], '\n'); first < 0 {
		l.run += n
	} else if l.run+first > MaxLine {
		return 0, errLongLine
	} else {
		l.run = n - 1 - bytes.LastIndexByte(p[:n], '\n') // reads are far shorter than a line's limit
	}
	if l.run > MaxLine {
		return 0, errLongLine
	}
	return n, err
}

func newCSVReader(r io.Reader, comma rune) (*csv.Reader, gocsv.SimpleDecoder) {
	cr := csv.NewReader(r)
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	return cr, gocsv.NewSimpleDecoderFromCSVReader(cr)
}

// rowCounter numbers records as a spreadsheet opening the CSV shows them:
// blank lines, which encoding/csv skips, are rows there, and a quoted field
// with line breaks stays in one row.
type rowCounter struct {
	row      int
	nextLine int // the first physical line after the previous record
}

func (c *rowCounter) next(cr *csv.Reader, rec []string) int {
	start, _ := cr.FieldPos(0)
	if c.nextLine == 0 {
		c.nextLine = 1
	}
	c.row += 1 + max(start-c.nextLine, 0)
	breaks := 0
	for _, f := range rec {
		breaks += strings.Count(f, "\n")
	}
	c.nextLine = start + breaks + 1
	return c.row
}

// headerIn parses a sample with one delimiter and returns the header found.
func headerIn(path string, sample io.Reader, comma rune, keys []batch.Field, candidate *headerCandidate) (*batch.Sheet, error) {
	cr, dec := newCSVReader(sample, comma)
	var rows rowCounter
	for n := 1; n <= headerScanRows; n++ {
		rec, err := dec.GetCSVRow()
		if err != nil {
			// A sample cut mid-record, or a delimiter that does not fit.
			return nil, nil
		}
		line := rows.next(cr, rec)
		rec, _ = cleanAll(rec)
		candidate.see(rec)
		columns, index, ok, err := matchHeader(rec, keys)
		if err != nil {
			return nil, inputErr(path, "fila %d: %v", line, err)
		}
		if ok {
			return &batch.Sheet{File: path, Name: filepath.Base(path), HeaderRow: line, Columns: columns, Index: index}, nil
		}
	}
	return nil, nil
}

// A CSV hides nothing.
func (s *csvSource) skipped() []string { return nil }

func (s *csvSource) sheets() []*batch.Sheet {
	if s.sheet == nil {
		return nil
	}
	return []*batch.Sheet{s.sheet}
}

func (s *csvSource) close() error { return nil }

func (s *csvSource) found() string { return s.candidate }

func (s *csvSource) each(sheet *batch.Sheet, fn func(batch.Row) error) error {
	// The file is read twice the first time: once to type its columns,
	// once to send.
	if s.types == nil {
		types, err := s.columnTypes(sheet)
		if err != nil {
			return err
		}
		s.types = types
	}
	return s.records(sheet, func(line int, cells []string) error {
		return fn(batch.Row{Sheet: sheet, Line: line, Cells: cells, Values: typed(cells, s.types)})
	})
}

// columnTypes reads the whole file to decide each column's type.
func (s *csvSource) columnTypes(sheet *batch.Sheet) ([]columnType, error) {
	var guesses []columnGuess
	err := s.records(sheet, func(line int, cells []string) error {
		for len(guesses) < len(cells) {
			guesses = append(guesses, columnGuess{})
		}
		for i, c := range cells {
			guesses[i].see(c)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return csvTypes(sheet, guesses, s.dialect.Comma), nil
}

// records calls fn with every non-blank record below the header, its cells
// cleaned, and its row number as a spreadsheet shows it.
func (s *csvSource) records(sheet *batch.Sheet, fn func(line int, cells []string) error) error {
	f, err := openInput(s.path)
	if err != nil {
		return err
	}
	defer f.Close()
	cr, dec := newCSVReader(bufio.NewReaderSize(&lineLimit{r: s.decoded(f)}, 1<<16), s.dialect.Comma)
	var rows rowCounter
	for {
		rec, err := dec.GetCSVRow()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if errors.Is(err, errLongLine) {
			return inputErr(s.path, "después de la fila %d hay una línea de más de %d MB: el archivo no es una exportación de facturas (el límite es %d MB por línea)", rows.row, MaxLine>>20, MaxLine>>20)
		}
		if err != nil {
			return inputErr(s.path, "después de la fila %d: el CSV está mal formado: %v", rows.row, err)
		}
		if len(rec) > MaxColumns {
			return inputErr(s.path, "la fila %d tiene %d columnas: el límite es %d", rows.row+1, len(rec), MaxColumns)
		}
		line := rows.next(cr, rec)
		if line <= sheet.HeaderRow {
			continue
		}
		cells, blank := cleanAll(rec)
		if blank {
			continue
		}
		if err := fn(line, cells); err != nil {
			return err
		}
	}
}

// DialectOf reports what was detected about a CSV input, for messages and tests.
func DialectOf(in *Input) (Dialect, bool) {
	s, ok := in.src.(*csvSource)
	if !ok {
		return Dialect{}, false
	}
	return s.dialect, true
}
