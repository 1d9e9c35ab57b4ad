package writers

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// excelize's StreamWriter holds up to 16 MB of each sheet it writes in
// memory before it moves them to its temporary file, and keeps that room
// until the workbook is saved. Resultados pays it once; the rows of
// Atención are written as SpreadsheetML to a file of their own instead,
// and put in their sheet as the workbook goes into its zip: a night whose
// million rows all need a person costs no more memory than one whose rows
// are all OK.

// rowSpool is a sheet's rows, as SpreadsheetML, in a temporary file.
type rowSpool struct {
	f *os.File
	w *bufio.Writer
}

func newRowSpool() (*rowSpool, error) {
	f, err := os.CreateTemp("", "batch-filas-*.xml")
	if err != nil {
		return nil, err
	}
	return &rowSpool{f: f, w: bufio.NewWriterSize(f, 64<<10)}, nil
}

// row writes row n with values: strings (inline), ints, and
// excelize.Cells of a string with a style.
func (s *rowSpool) row(n int, values []any) error {
	fmt.Fprintf(s.w, `<row r="%d">`, n)
	for i, v := range values {
		ref, _ := excelize.CoordinatesToCellName(i+1, n)
		style := 0
		if c, ok := v.(excelize.Cell); ok {
			style, v = c.StyleID, c.Value
		}
		attrs := `<c r="` + ref + `"`
		if style != 0 {
			attrs += ` s="` + strconv.Itoa(style) + `"`
		}
		switch v := v.(type) {
		case nil:
		case int:
			fmt.Fprintf(s.w, `%s><v>%d</v></c>`, attrs, v)
		case string:
			if v == "" && style == 0 {
				continue
			}
			space := ""
			if len(v) > 0 && (isSpace(v[0]) || isSpace(v[len(v)-1])) {
				space = ` xml:space="preserve"`
			}
			fmt.Fprintf(s.w, `%s t="inlineStr"><is><t%s>`, attrs, space)
			xml.EscapeText(s.w, []byte(SafeText(v)))
			s.w.WriteString(`</t></is></c>`)
		default:
			return fmt.Errorf("una celda de tipo %T en la hoja Atención", v)
		}
	}
	_, err := s.w.WriteString(`</row>`)
	return err
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

// reader is the rows written, from the first.
func (s *rowSpool) reader() (io.Reader, error) {
	if err := s.w.Flush(); err != nil {
		return nil, err
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return bufio.NewReaderSize(s.f, 64<<10), nil
}

func (s *rowSpool) remove() {
	s.f.Close()
	os.Remove(s.f.Name())
}

// spliceWriter passes a sheet's XML on, with the spooled rows put in
// before its </sheetData>.
type spliceWriter struct {
	w    io.Writer
	rows *rowSpool
	held []byte // the end of what came, which may be the tag's start
	done bool
}

var endData = []byte("</sheetData>")

func (s *spliceWriter) Write(p []byte) (int, error) {
	if s.done {
		return s.w.Write(p)
	}
	s.held = append(s.held, p...)
	i := bytes.Index(s.held, endData)
	if i < 0 {
		keep := min(len(s.held), len(endData)-1)
		if _, err := s.w.Write(s.held[:len(s.held)-keep]); err != nil {
			return 0, err
		}
		s.held = append(s.held[:0], s.held[len(s.held)-keep:]...)
		return len(p), nil
	}
	if _, err := s.w.Write(s.held[:i]); err != nil {
		return 0, err
	}
	rows, err := s.rows.reader()
	if err == nil {
		_, err = io.Copy(s.w, rows)
	}
	if err == nil {
		_, err = s.w.Write(s.held[i:])
	}
	if err != nil {
		return 0, err
	}
	s.done, s.held = true, nil
	return len(p), nil
}
