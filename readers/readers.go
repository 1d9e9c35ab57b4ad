// Package readers turns the spreadsheets a back office exports (.xlsx from
// Excel, LibreOffice or an ERP; .csv as Excel in Spanish saves it) into rows,
// streaming, with each cell as the user sees it.
package readers

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"batch"
)

// headerScanRows is how far down a sheet the header row is looked for, so
// that title rows above it do not hide it.
const headerScanRows = 50

// Options says what makes a header row and how to open protected files.
type Options struct {
	// Keys are the fields of which a header row must hold at least one.
	Keys []batch.Field
	// Password opens a password-protected workbook.
	Password string
	// HiddenSheets reads the sheets a workbook hides (hidden or very
	// hidden, which Excel never shows). By default they are skipped: a
	// person checking the file before the night would not see their rows.
	HiddenSheets bool
}

// Error is a problem with an input file, worded for the person who runs the
// tool, with its kind: batch.KindInput, or batch.KindPassword for a
// protected workbook. Nothing can be sent from a file that gives one.
type Error = batch.Error

func inputErr(path, format string, args ...any) error {
	return &Error{Kind: batch.KindInput, Path: path, Msg: fmt.Sprintf(format, args...)}
}

func passwordErr(path, msg string) error {
	return &Error{Kind: batch.KindPassword, Path: path, Msg: msg}
}

// source is one file format's way to list its tables and stream their rows.
type source interface {
	sheets() []*batch.Sheet
	// found describes the header-like rows seen, for the message of a
	// file without a key column.
	found() string
	// skipped names the hidden sheets left unread.
	skipped() []string
	each(sheet *batch.Sheet, fn func(batch.Row) error) error
	close() error
}

// Input is an opened file: the sheets holding a key column, ready to stream.
type Input struct {
	Path string
	src  source
}

// Sheets lists the tables found, in file order.
func (in *Input) Sheets() []*batch.Sheet { return in.src.sheets() }

// Each calls fn for every non-blank data row of every sheet, in order.
func (in *Input) Each(fn func(batch.Row) error) error {
	for _, s := range in.src.sheets() {
		if err := in.src.each(s, fn); err != nil {
			return err
		}
	}
	return nil
}

// Skipped names the hidden sheets that were not read.
func (in *Input) Skipped() []string { return in.src.skipped() }

// Close releases the file.
func (in *Input) Close() error { return in.src.close() }

// Open detects the file's format by its content, not only its name, and finds
// the header row of each table.
func Open(path string, opt Options) (*Input, error) {
	if len(opt.Keys) == 0 {
		opt.Keys = []batch.Field{batch.FieldCUFE}
	}
	head, err := readHead(path, 512)
	if err != nil {
		return nil, err
	}
	ext := strings.ToLower(filepath.Ext(path))
	var src source
	switch {
	case ext == ".xls" && bytes.HasPrefix(head, oleMagic):
		return nil, inputErr(path, "es un libro de Excel 97-2003 (.xls), que no se puede leer. Ábralo en Excel o LibreOffice y guárdelo como .xlsx")
	case (ext == ".xlsx" || ext == ".xlsm") && bytes.HasPrefix(head, oleMagic) && opt.Password == "":
		// Excel keeps a workbook with a password in an OLE container.
		return nil, passwordErr(path, "el libro está protegido con contraseña")
	case isHTML(head):
		return nil, inputErr(path, "es una página web (HTML) con nombre de hoja de cálculo, como las que exportan algunos sistemas. Ábrala en Excel o LibreOffice y guárdela como .xlsx")
	case ext == ".xlsx" || ext == ".xlsm" || bytes.HasPrefix(head, zipMagic):
		src, err = openXLSX(path, opt)
	case ext == ".csv" || ext == ".txt" || ext == ".tsv":
		src, err = openCSV(path, opt)
	default:
		return nil, inputErr(path, "formato no reconocido (%s): use .xlsx o .csv", ext)
	}
	if err != nil {
		return nil, err
	}
	if len(src.sheets()) == 0 {
		found := src.found()
		src.close()
		return nil, noKeyColumn(path, opt.Keys, found)
	}
	return &Input{Path: path, src: src}, nil
}

// isHTML reports whether a file starts like a web page: what some ERPs
// save under a .xls name, and Excel's "página web" format.
func isHTML(head []byte) bool {
	h := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	h = bytes.ToLower(h[:min(len(h), 64)])
	for _, p := range []string{"<!doctype html", "<html", "<table", "<head", "mime-version:"} {
		if bytes.HasPrefix(h, []byte(p)) {
			return true
		}
	}
	return false
}

var (
	zipMagic = []byte("PK\x03\x04")
	oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

func readHead(path string, n int) ([]byte, error) {
	f, err := openInput(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, n)
	m, _ := f.Read(buf)
	if m == 0 {
		return nil, inputErr(path, "el archivo está vacío")
	}
	return buf[:m], nil
}

// noKeyColumn names the headers the user should have, and the ones found in
// the first rows, so they can see what is off.
func noKeyColumn(path string, keys []batch.Field, found string) error {
	var names []string
	for _, k := range keys {
		// Several operations share a key column (the CUFE of each event):
		// each column is named once.
		if n := strings.ToUpper(string(k)); !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	if found == "" {
		found = "ninguno: el archivo no tiene texto en sus primeras filas"
	}
	return inputErr(path, "no se encontró ninguna hoja con una columna %s en sus primeras %d filas; agregue esa columna al encabezado (o renombre la que tiene los códigos). Encabezados encontrados: %s",
		strings.Join(names, " o "), headerScanRows, found)
}

// headerCandidate keeps, of the rows scanned for a header, the one with the
// most filled cells: what the user most likely meant as the header.
type headerCandidate struct {
	cells []string
	n     int
}

func (c *headerCandidate) see(cells []string) {
	n := 0
	for _, v := range cells {
		if v != "" {
			n++
		}
	}
	if n > c.n {
		c.n = n
		c.cells = append([]string(nil), cells...)
	}
}

func (c *headerCandidate) String() string {
	var names []string
	for _, v := range c.cells {
		if v != "" {
			names = append(names, "«"+v+"»")
		}
	}
	if len(names) > 20 {
		names = append(names[:20], "…")
	}
	return strings.Join(names, ", ")
}
