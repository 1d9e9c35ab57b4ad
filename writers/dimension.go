package writers

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"
)

// A sheet's <dimension> declares the cells it uses, and readers that read
// large workbooks in a stream (openpyxl's read-only mode, many ETL tools)
// trust it. excelize's StreamWriter writes it before the first row, when
// it is still "A1"; the workbook knows the real one only at the end, so it
// is put right on the sheet's way into the zip.

// dimensionZip is the workbook's zip writer: sheets named in refs get
// their dimension on the way in.
type dimensionZip struct {
	*zip.Writer
	refs    map[string]string    // part name (xl/worksheets/sheetN.xml) → range
	splices map[string]*rowSpool // part name → the rows to put in it
}

func (z dimensionZip) Create(name string) (io.Writer, error) {
	w, err := z.Writer.Create(name)
	if err != nil {
		return w, err
	}
	if rows, ok := z.splices[name]; ok {
		w = &spliceWriter{w: w, rows: rows}
	}
	if ref, ok := z.refs[name]; ok {
		return &dimensionWriter{w: w, ref: ref}, nil
	}
	return w, nil
}

// dimensionWriter holds back the start of a sheet until its <dimension>
// element has passed, and writes it with ref.
type dimensionWriter struct {
	w    io.Writer
	ref  string
	buf  []byte
	done bool
}

func (d *dimensionWriter) Write(p []byte) (int, error) {
	if d.done {
		return d.w.Write(p)
	}
	d.buf = append(d.buf, p...)
	out := d.buf
	if i := bytes.Index(d.buf, []byte("<dimension ")); i >= 0 {
		end := elementEnd(d.buf[i:])
		if end < 0 {
			return len(p), nil
		}
		out = append(append(append([]byte(nil), d.buf[:i]...), `<dimension ref="`+d.ref+`"/>`...), d.buf[i+end:]...)
	} else if !bytes.Contains(d.buf, []byte("<sheetData")) {
		return len(p), nil // the dimension comes before the data
	}
	d.done, d.buf = true, nil
	if _, err := d.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// elementEnd is where the element b starts with ends, written as
// <dimension .../> or <dimension ...></dimension>; -1 if not yet in b.
func elementEnd(b []byte) int {
	gt := bytes.IndexByte(b, '>')
	switch {
	case gt < 0:
		return -1
	case b[gt-1] == '/':
		return gt + 1
	}
	closing := bytes.Index(b, []byte("</dimension>"))
	if closing < 0 {
		return -1
	}
	return closing + len("</dimension>")
}

// usedRange is A1 to the last column and row written.
func usedRange(cols, rows int) string {
	end, _ := excelize.CoordinatesToCellName(max(cols, 1), max(rows, 1))
	return "A1:" + end
}

// sheetPart is where a sheet's XML lives in the zip.
func (w *Workbook) sheetPart(name string) string {
	for id, n := range w.f.GetSheetMap() {
		if n == name {
			return fmt.Sprintf("xl/worksheets/sheet%d.xml", id)
		}
	}
	return ""
}
