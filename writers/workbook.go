// Package writers writes the result workbook: one row per input row, in
// input order, streamed to disk, and put at its path only once complete.
package writers

import (
	"archive/zip"
	"compress/flate"
	"fmt"
	"io"
	"net"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"batch"
	"batch/cells"
)

// SheetResultados is the name of the results sheet.
const SheetResultados = "Resultados"

// maxCellChars is Excel's limit on a cell's text.
const maxCellChars = 32767

// Columns is what the workbook needs of an operation.
type Columns interface {
	Name() string
	KeyField() batch.Field
	Columns() []string
	Cells(batch.Result) []any
}

// MaxRows is how many rows a sheet holds under its header: a
// spreadsheet's sheet has 1,048,576 rows. Resultados and Atención go on to
// a sheet of their own past it ("Resultados 2").
const MaxRows = excelize.TotalRows - 1

// Workbook streams the Resultados sheet to a temporary file beside its
// final path.
type Workbook struct {
	path string
	tmp  *os.File
	f    *excelize.File
	ops  []Columns
	// results and attention are the Resultados and Atención tables,
	// each on as many sheets as it needs.
	results, attention *streamed

	bold           int
	date, dateTime int // cell styles for dates with and without a time of day
	status         map[batch.Status]int
	link           int

	tally *tally
	ended bool // saved or given up: nothing is left to remove

	withFile bool
	inputs   []string               // the inputs' columns, merged by name
	formats  map[numberFormat]int   // a style per input number format
	position map[*batch.Sheet][]int // a sheet's column → its place in inputs
	// sheetRows is how many data rows a sheet holds (MaxRows).
	sheetRows int
}

// Create prepares the workbook for rows from sheets, with the columns of
// ops after the input's. It fails early when path cannot be written.
func Create(path string, sheets []*batch.Sheet, ops []Columns) (*Workbook, error) {
	return create(path, sheets, ops, MaxRows)
}

// create is Create with sheets of sheetRows data rows.
func create(path string, sheets []*batch.Sheet, ops []Columns, sheetRows int) (*Workbook, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("no se puede crear la carpeta de salida %s: %w", dir, err)
	}
	tmp, err := newTemp(path)
	if err != nil {
		return nil, err
	}
	w := &Workbook{path: path, tmp: tmp, ops: ops, position: map[*batch.Sheet][]int{}, formats: map[numberFormat]int{}, tally: newTally(ops), sheetRows: sheetRows}
	files := map[string]bool{}
	byName := map[string]int{}
	for _, s := range sheets {
		files[s.File] = true
		pos := make([]int, len(s.Columns))
		for i, c := range s.Columns {
			key := columnKey(c)
			j, ok := byName[key]
			if !ok {
				j = len(w.inputs)
				byName[key] = j
				w.inputs = append(w.inputs, c)
			}
			pos[i] = j
		}
		w.position[s] = pos
	}
	w.withFile = len(files) > 1
	if err := w.start(); err != nil {
		w.Abort()
		return nil, err
	}
	return w, nil
}

// columnKey merges the columns of several sheets: by the field they name
// when the tool knows it ("CUFE/CUDE" and "cufe" are one column), else by
// their normalised name.
func columnKey(header string) string {
	if f, ok := cells.FieldOf(header); ok {
		return "field:" + string(f)
	}
	if n := cells.NormalizeHeader(header); n != "" {
		return n
	}
	return header
}

func (w *Workbook) header() []string {
	// The input's columns first, as the user knows them, then what the
	// tool found, then where the row came from.
	h := append([]string(nil), w.inputs...)
	for _, op := range w.ops {
		h = append(h, op.Columns()...)
	}
	if w.withFile {
		h = append(h, "archivo")
	}
	h = append(h, "hoja", "fila", "intentos")
	// A table's headers must differ, ignoring case: an input column named
	// like one of ours gets a number.
	seen := map[string]int{}
	for i, name := range h {
		key := strings.ToLower(name)
		if seen[key]++; seen[key] > 1 {
			h[i] = fmt.Sprintf("%s (%d)", name, seen[key])
		}
	}
	return h
}

func (w *Workbook) start() error {
	w.f = excelize.NewFile()
	if err := w.f.SetSheetName("Sheet1", SheetResultados); err != nil {
		return err
	}
	for _, name := range []string{SheetResumen, SheetAtencion} {
		if _, err := w.f.NewSheet(name); err != nil {
			return err
		}
	}
	if err := w.styles(); err != nil {
		return err
	}
	// Printed (or turned into a PDF), each sheet is landscape and as wide
	// as the page. The streamed sheets take these from their start.
	for _, name := range []string{SheetResultados, SheetResumen, SheetAtencion} {
		if err := w.pageSetup(name); err != nil {
			return err
		}
	}
	w.results = &streamed{w: w, name: SheetResultados, table: "Resultados", header: w.header(), max: w.sheetRows}
	w.attention = &streamed{w: w, name: SheetAtencion, table: "Atencion", header: w.attentionHeader(), max: w.sheetRows, spooled: true}
	if err := w.results.open(); err != nil {
		return err
	}
	return w.attention.open()
}

func (w *Workbook) pageSetup(sheet string) error {
	fit := true
	if err := w.f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	landscape, wide, tall, a4 := "landscape", 1, 0, 9
	if err := w.f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Orientation: &landscape, FitToWidth: &wide, FitToHeight: &tall, Size: &a4}); err != nil {
		return err
	}
	if sheet == SheetResumen {
		return nil
	}
	// Every printed page of a table repeats its header row.
	return w.f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: "'" + sheet + "'!$1:$1", Scope: sheet})
}

// styles makes the header's, the dates', the statuses' and the links'.
func (w *Workbook) styles() error {
	var err error
	if w.bold, err = w.f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{Vertical: "center", WrapText: true},
	}); err != nil {
		return err
	}
	for style, format := range map[*int]string{&w.date: "yyyy-mm-dd", &w.dateTime: "yyyy-mm-dd hh:mm:ss"} {
		if *style, err = w.f.NewStyle(&excelize.Style{CustomNumFmt: &format}); err != nil {
			return err
		}
	}
	w.status = map[batch.Status]int{}
	for st, c := range statusColors {
		if w.status[st], err = w.f.NewStyle(&excelize.Style{
			Font: &excelize.Font{Bold: true, Color: c[0]},
			Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{c[1]}},
		}); err != nil {
			return err
		}
	}
	w.link, err = w.f.NewStyle(&excelize.Style{Font: &excelize.Font{Color: "0563C1", Underline: "single"}})
	return err
}

// statusColors are each status's font and fill: green for done, red for
// what a person must fix, amber for what the next run sends.
var statusColors = map[batch.Status][2]string{
	batch.StatusOK:           {"006100", "C6EFCE"},
	batch.StatusYaRegistrado: {"006100", "C6EFCE"},
	batch.StatusNoAplica:     {"3F3F3F", "EDEDED"},
	batch.StatusRechazado:    {"9C0006", "FFC7CE"},
	batch.StatusInvalido:     {"9C0006", "FFC7CE"},
	batch.StatusError:        {"9C0006", "FFC7CE"},
	batch.StatusPendiente:    {"9C5700", "FFEB9C"},
	batch.StatusRevisar:      {"9C5700", "FFEB9C"},
}

// startSheet writes a streamed sheet's widths, frozen header and header.
func (w *Workbook) startSheet(sw *excelize.StreamWriter, header []string) error {
	for i, name := range header {
		if err := sw.SetColWidth(i+1, i+1, width(name)); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	cells := make([]any, len(header))
	for i, name := range header {
		cells[i] = excelize.Cell{StyleID: w.bold, Value: name}
	}
	return sw.SetRow("A1", cells, excelize.RowOpts{Height: 30})
}

// width gives each column room for what it usually holds.
func width(name string) float64 {
	switch {
	case strings.Contains(name, "cufe"), strings.Contains(name, "cude"), strings.Contains(name, "CUFE"), name == "clave":
		return 40
	case strings.Contains(name, "mensaje"), strings.Contains(name, "url"), name == "qué hacer":
		return 60
	case name == "archivo", name == "hoja":
		return 24
	case name == "fila", name == "intentos":
		return 10
	}
	return max(12, float64(utf8.RuneCountInString(name))+4)
}

// Write adds one row with its results, one per operation.
func (w *Workbook) Write(row batch.Row, results []batch.Result) error {
	out := make([]any, len(w.inputs), len(w.inputs)+16)
	pos := w.position[row.Sheet]
	for i, c := range row.Cells {
		if i < len(pos) {
			v := batch.Value{Type: batch.ValueText}
			if i < len(row.Values) {
				v = row.Values[i]
			}
			out[pos[i]] = w.input(c, v)
		}
	}
	attempts := 0
	for i, op := range w.ops {
		cells := op.Cells(results[i])
		for j, name := range op.Columns() {
			cells[j] = w.own(name, cells[j])
		}
		out = append(out, cells...)
		attempts += results[i].Attempts
		w.tally.add(i, results[i])
		if err := w.attend(row, op, results[i]); err != nil {
			return err
		}
	}
	if w.withFile {
		out = append(out, SafeText(filepath.Base(row.Sheet.File)))
	}
	out = append(out, SafeText(row.Sheet.Name), row.Line, attempts)
	return w.results.row(out)
}

// input is an input cell written as the input typed it: a number with its
// format, a date as a date, no cell for an empty one.
func (w *Workbook) input(text string, v batch.Value) any {
	switch {
	case text == "" || v.Type == batch.ValueEmpty:
		return nil
	case v.Type == batch.ValueNumber || v.Type == batch.ValueDate:
		return excelize.Cell{StyleID: w.numberStyle(v), Value: v.Number}
	case v.Type == batch.ValueBool:
		return v.Number == 1
	}
	return SafeText(text)
}

// numberStyle is the style that shows a number or date in its input's
// format, made once per format.
func (w *Workbook) numberStyle(v batch.Value) int {
	key := numberFormat{v.FormatID, v.Format}
	if v.Type == batch.ValueDate && key == (numberFormat{}) {
		return w.date
	}
	if id, ok := w.formats[key]; ok {
		return id
	}
	style := &excelize.Style{NumFmt: v.FormatID}
	if v.Format != "" {
		code := v.Format
		style = &excelize.Style{CustomNumFmt: &code}
	}
	id, err := w.f.NewStyle(style)
	if err != nil {
		id = 0 // a format excelize refuses: the number in General
	}
	w.formats[key] = id
	return id
}

type numberFormat struct {
	id   int
	code string
}

// own is one of the tool's cells: a status coloured, a link clickable, a
// date as a date, an empty value as no cell.
func (w *Workbook) own(column string, v any) any {
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		switch {
		case v == "":
			return nil
		case strings.HasSuffix(column, "_estado") && w.status[batch.Status(v)] != 0:
			return excelize.Cell{StyleID: w.status[batch.Status(v)], Value: v}
		case strings.HasSuffix(column, "_url_xml"):
			if link, ok := hyperlink(v); ok {
				return excelize.Cell{StyleID: w.link, Formula: link, Value: v}
			}
		case strings.HasSuffix(column, "_pdf") || strings.HasSuffix(column, "_xml"):
			if link, ok := fileLink(v); ok {
				return excelize.Cell{StyleID: w.link, Formula: link, Value: v}
			}
		}
		return SafeText(v)
	case time.Time:
		style := w.dateTime
		if v.Hour() == 0 && v.Minute() == 0 && v.Second() == 0 {
			style = w.date
		}
		return excelize.Cell{StyleID: style, Value: v}
	}
	return v
}

// hyperlink is the HYPERLINK formula that makes an event's address
// clickable (the stream writer has no hyperlink records), for addresses
// that are plainly web addresses and fit in a formula's string.
// Only https addresses are links (and plain http to this machine, the
// sandbox's): any other scheme, a UNC path or file: is written as text, so
// that a click never sends the user's Windows credentials to a host the
// answer names.
func hyperlink(url string) (string, bool) {
	u, err := neturl.Parse(url)
	if err != nil || len(url) > 250 || strings.ContainsAny(url, "\"\x00\r\n\\") || u.Host == "" ||
		!(u.Scheme == "https" || (u.Scheme == "http" && loopback(u.Hostname()))) {
		return "", false
	}
	return `HYPERLINK("` + url + `")`, true
}

func loopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

// fileLink is the HYPERLINK formula that opens a saved file. A relative
// path is relative to the workbook, in Excel as in LibreOffice, so the
// workbook and its folder of files can move together.
func fileLink(path string) (string, bool) {
	p := strings.ReplaceAll(path, "\\", "/")
	if path == "" || len(path) > 250 || strings.ContainsAny(path, "\"\x00\r\n:") ||
		strings.HasPrefix(path, "=") || strings.HasPrefix(p, "/") {
		return "", false // a UNC path (\\host\share), file:, an absolute path or a drive: only relative paths are links
	}
	return `HYPERLINK("` + path + `")`, true
}

// SafeText makes a value storable in a cell: characters XML cannot carry
// are dropped and the text is cut to Excel's limit.
func SafeText(s string) string {
	clean := strings.Map(func(r rune) rune {
		switch {
		case r == '\t', r == '\n', r == '\r':
			return r
		case r < 0x20, r == 0xFFFE, r == 0xFFFF, r >= 0xD800 && r <= 0xDFFF:
			return -1
		}
		return r
	}, s)
	if utf8.RuneCountInString(clean) > maxCellChars {
		clean = string([]rune(clean)[:maxCellChars-1]) + "…"
	}
	return clean
}

// Close finishes the workbook with the run's summary and moves it to its
// path in one step, so the path holds either the previous complete workbook
// or the new one, never a partial file.
func (w *Workbook) Close(run Run) error {
	if err := w.finish(run); err != nil {
		w.Abort()
		return unsaved(err, w.path, "no se pudo completar el libro de resultados")
	}
	kind := KindResultados
	if run.DryRun {
		kind = KindRevision
	}
	if err := mark(w.f, kind); err != nil {
		w.Abort()
		return err
	}
	// excelize builds the whole zip in a memory buffer unless its zip
	// writer is ours: this one writes straight to the temporary file,
	// so a million-row workbook does not cost its size in memory. The
	// buffer excelize then copies out stays empty.
	refs, splices := map[string]string{}, map[string]*rowSpool{}
	w.results.refs(refs, 1)
	w.attention.refs(refs, 2)
	w.attention.splices(splices)
	w.f.SetZipWriter(func(io.Writer) excelize.ZipWriter {
		zw := zip.NewWriter(w.tmp)
		zw.RegisterCompressor(zip.Deflate, pooledDeflate)
		return dimensionZip{Writer: zw, refs: refs, splices: splices}
	})
	if _, err := w.f.WriteTo(io.Discard); err != nil {
		w.Abort()
		return unsaved(err, w.path, "no se pudo guardar el libro de resultados")
	}
	if err := w.tmp.Sync(); err != nil {
		w.Abort()
		return unsaved(err, w.path, "no se pudo guardar el libro de resultados")
	}
	w.f.Close()
	w.attention.remove()
	w.ended = true
	if err := w.tmp.Close(); err != nil {
		os.Remove(w.tmp.Name())
		return unsaved(err, w.path, "no se pudo guardar el libro de resultados")
	}
	if err := os.Rename(w.tmp.Name(), w.path); err != nil {
		os.Remove(w.tmp.Name())
		return unsaved(err, w.path, "no se pudo poner el libro en "+w.path)
	}
	if d, err := os.Open(filepath.Dir(w.path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// deflaters keeps compressors between a workbook's parts and between
// workbooks: each costs about a megabyte to make, and a night of fifty
// companies writes a few hundred parts.
var deflaters sync.Pool

// pooledDeflate compresses one zip part with a compressor from the pool,
// given back when the part is closed.
func pooledDeflate(out io.Writer) (io.WriteCloser, error) {
	if fw, ok := deflaters.Get().(*flate.Writer); ok {
		fw.Reset(out)
		return &pooledWriter{fw}, nil
	}
	fw, err := flate.NewWriter(out, flate.BestSpeed)
	if err != nil {
		return nil, err
	}
	return &pooledWriter{fw}, nil
}

type pooledWriter struct{ *flate.Writer }

func (p *pooledWriter) Close() error {
	err := p.Writer.Close()
	deflaters.Put(p.Writer)
	p.Writer = nil
	return err
}

// TempPath is where the unfinished workbook is being written.
func (w *Workbook) TempPath() string { return w.tmp.Name() }

// Abort drops the unfinished workbook.
func (w *Workbook) Abort() {
	if w.ended {
		return
	}
	w.ended = true
	if w.f != nil {
		w.f.Close()
	}
	if w.attention != nil {
		w.attention.remove()
	}
	w.tmp.Close()
	os.Remove(w.tmp.Name())
}
