package readers

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"

	"batch"
	"batch/cells"
)

// book is an .xlsx's zip with what every sheet needs: where the sheets
// are, the shared strings and the cells' number formats.
type book struct {
	zip      *zip.Reader
	parts    map[string]*zip.File // by lowercase name
	sheets   []bookSheet
	strings  []string
	formats  []cellFormat // by the cell's style index
	date1904 bool
}

type bookSheet struct {
	name, part string
	hidden     bool
}

// cellFormat is a cell style's number format.
type cellFormat struct {
	id   int    // a built-in format, or 0
	code string // a custom format's code
	date bool
}

// maxPart bounds the parts read whole (workbook, relationships, styles).
const maxPart = 64 << 20

func (b *book) part(name string) *zip.File { return b.parts[strings.ToLower(name)] }

// readPart decodes a small part with encoding/xml; missing is not an error.
func (b *book) readPart(name string, v any) error {
	f := b.part(name)
	if f == nil {
		return nil
	}
	if f.UncompressedSize64 > maxPart {
		return errBadXML
	}
	r, err := f.Open()
	if err != nil {
		return err
	}
	defer r.Close()
	return xml.NewDecoder(io.LimitReader(r, maxPart)).Decode(v)
}

type relationships struct {
	Rels []struct {
		ID     string `xml:"Id,attr"`
		Type   string `xml:"Type,attr"`
		Target string `xml:"Target,attr"`
	} `xml:"Relationship"`
}

// target resolves a relationship's target against the part it is from.
func target(from, t string) string {
	if strings.HasPrefix(t, "/") {
		return strings.TrimPrefix(t, "/")
	}
	return path.Join(path.Dir(from), t)
}

func openBook(z *zip.Reader) (*book, error) {
	b := &book{zip: z, parts: map[string]*zip.File{}}
	for _, f := range z.File {
		b.parts[strings.ToLower(f.Name)] = f
	}
	main := "xl/workbook.xml"
	var root relationships
	if err := b.readPart("_rels/.rels", &root); err != nil {
		return nil, err
	}
	for _, r := range root.Rels {
		if strings.HasSuffix(r.Type, "/officeDocument") {
			main = target("", r.Target)
		}
	}
	var wb struct {
		Props struct {
			Date1904 string `xml:"date1904,attr"`
		} `xml:"workbookPr"`
		Sheets []struct {
			Name  string `xml:"name,attr"`
			State string `xml:"state,attr"`
			RID   string `xml:"id,attr"`
		} `xml:"sheets>sheet"`
	}
	if b.part(main) == nil {
		return nil, errBadXML
	}
	if err := b.readPart(main, &wb); err != nil {
		return nil, err
	}
	b.date1904 = wb.Props.Date1904 == "1" || wb.Props.Date1904 == "true"
	var rels relationships
	if err := b.readPart(path.Join(path.Dir(main), "_rels", path.Base(main)+".rels"), &rels); err != nil {
		return nil, err
	}
	targets := map[string]string{}
	for _, r := range rels.Rels {
		switch {
		case strings.HasSuffix(r.Type, "/worksheet"):
			targets[r.ID] = target(main, r.Target)
		case strings.HasSuffix(r.Type, "/sharedStrings"):
			if err := b.readStrings(target(main, r.Target)); err != nil {
				return nil, err
			}
		case strings.HasSuffix(r.Type, "/styles"):
			if err := b.readStyles(target(main, r.Target)); err != nil {
				return nil, err
			}
		}
	}
	for _, s := range wb.Sheets {
		if t, ok := targets[s.RID]; ok && b.part(t) != nil {
			b.sheets = append(b.sheets, bookSheet{name: s.Name, part: t, hidden: s.State == "hidden" || s.State == "veryHidden"})
		}
	}
	return b, nil
}

// readStrings reads the shared strings table: each <si>'s text, its rich
// text runs joined, its phonetic runs left out. One text longer than a
// cell can hold refuses the workbook.
func (b *book) readStrings(name string) error {
	f := b.part(name)
	if f == nil {
		return nil
	}
	r, err := f.Open()
	if err != nil {
		return err
	}
	defer r.Close()
	x := newScanner(r)
	var arena []byte
	var ends []int
	start, in, inT, phonetic := 0, false, false, false
	for {
		k, err := x.next()
		if err != nil {
			return err
		}
		switch k {
		case tokEOF:
			all := string(arena)
			b.strings = make([]string, len(ends))
			from := 0
			for i, end := range ends {
				b.strings[i], from = decodeEscapes(all[from:end]), end
			}
			return nil
		case tokStart:
			switch string(x.name) {
			case "si":
				in, start = !x.empty, len(arena)
				if x.empty {
					ends = append(ends, len(arena))
				}
			case "t":
				inT = in && !phonetic && !x.empty
			case "rPh":
				phonetic = !x.empty
			}
		case tokText:
			if inT {
				if arena = x.appendText(arena); len(arena)-start > maxTextBytes {
					return errTooLong
				}
			}
		case tokEnd:
			switch string(x.name) {
			case "si":
				if in {
					ends = append(ends, len(arena))
				}
				in = false
			case "t":
				inT = false
			case "rPh":
				phonetic = false
			}
		}
	}
}

func (b *book) readStyles(name string) error {
	var st struct {
		NumFmts []struct {
			ID   int    `xml:"numFmtId,attr"`
			Code string `xml:"formatCode,attr"`
		} `xml:"numFmts>numFmt"`
		Xfs []struct {
			NumFmtID int `xml:"numFmtId,attr"`
		} `xml:"cellXfs>xf"`
	}
	if err := b.readPart(name, &st); err != nil {
		return err
	}
	custom := map[int]string{}
	for _, f := range st.NumFmts {
		custom[f.ID] = f.Code
	}
	for _, xf := range st.Xfs {
		var cf cellFormat
		if code, ok := custom[xf.NumFmtID]; ok {
			cf = cellFormat{code: code, date: dateFormat(code)}
		} else {
			cf = builtinFormat(xf.NumFmtID)
		}
		b.formats = append(b.formats, cf)
	}
	return nil
}

// builtinFormat is a format a workbook names by number only. Excel's
// locale-dependent date formats (27 to 36, 50 to 58) become its short date.
func builtinFormat(id int) cellFormat {
	switch {
	case id >= 14 && id <= 22 || id >= 45 && id <= 47:
		return cellFormat{id: id, date: true}
	case id >= 27 && id <= 36 || id >= 50 && id <= 58:
		return cellFormat{id: 14, date: true}
	case id > 0 && id <= 49:
		return cellFormat{id: id}
	}
	return cellFormat{}
}

// dateFormat reports whether a custom number format shows a date or a
// time: its first section, outside quoted text, escapes and [brackets]
// (colours, currencies, locales), has a day, month, year, hour or second.
func dateFormat(code string) bool {
	if i := strings.IndexByte(code, ';'); i >= 0 {
		code = code[:i]
	}
	for i := 0; i < len(code); i++ {
		switch c := code[i]; c {
		case '"':
			if j := strings.IndexByte(code[i+1:], '"'); j >= 0 {
				i += j + 1
			}
		case '\\', '_', '*':
			i++
		case '[':
			j := strings.IndexByte(code[i:], ']')
			if j < 0 {
				return false
			}
			inner := strings.ToLower(code[i+1 : i+j])
			if strings.Trim(inner, "hms") == "" && inner != "" {
				return true // elapsed time: [h]:mm
			}
			i += j
		case 'd', 'D', 'm', 'M', 'y', 'Y', 'h', 'H', 's', 'S':
			return true
		}
	}
	return false
}

// sheetRows streams one sheet's rows.
type sheetRows struct {
	x     *xmlScanner
	rc    io.ReadCloser
	line  int // the row's number as the spreadsheet shows it
	cells []rawCell
	arena []byte
	in    rowState
}

// rawCell is a cell as its XML gives it.
type rawCell struct {
	col        int
	kind       byte // the t attribute's first letter: n, s, b, e, i(nlineStr), d, and f for str
	style      int
	start, end int // its value in the row's arena
}

func (b *book) rows(part string) (*sheetRows, error) {
	f := b.part(part)
	if f == nil {
		return nil, errBadXML
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	return &sheetRows{x: newScanner(rc), rc: rc}, nil
}

func (s *sheetRows) close() error { return s.rc.Close() }

// next reads the next row; false at the end of the sheet's data.
func (s *sheetRows) next() (bool, error) {
	s.cells, s.arena = s.cells[:0], s.arena[:0]
	s.in = rowState{col: -1}
	for {
		k, err := s.x.next()
		if err != nil {
			return false, err
		}
		switch k {
		case tokEOF:
			return false, nil
		case tokStart:
			if row, err := s.start(); err != nil || row {
				return row, err
			}
		case tokText:
			if s.in.value {
				if s.arena = s.x.appendText(s.arena); len(s.arena)-s.in.cell.start > maxTextBytes {
					return false, errTooLong
				}
				s.in.cell.end = len(s.arena)
			}
		case tokEnd:
			if done, row := s.end(); done {
				return row, nil
			}
			if s.in.farValue {
				return false, &farCell{ref: string(s.in.far)}
			}
		}
	}
}

// rowState is where the reading of a row stands.
type rowState struct {
	cell                            rawCell
	inCell, value, inline, phonetic bool
	col                             int // the last cell's column
	// far is the reference of a cell past MaxColumns being read: left out
	// when it holds nothing (a format), refused when it holds a value.
	far      []byte
	farValue bool
}

// start takes a start tag; row is true for an empty row (<row r="5"/>).
func (s *sheetRows) start() (row bool, err error) {
	in := &s.in
	switch string(s.x.name) {
	case "row":
		if r, ok := attr(s.x.attrs, "r"); ok {
			n, err := strconv.Atoi(string(r))
			if err != nil || n < 1 {
				return false, errBadXML
			}
			s.line = n
		} else {
			s.line++
		}
		return s.x.empty, nil
	case "c":
		in.col, err = cellColumn(s.x.attrs, in.col)
		if errors.Is(err, errWide) {
			// A cell far to the right: a format left there, or a stray
			// value. Read on to know which.
			ref, _ := attr(s.x.attrs, "r")
			in.far, in.col, err = append(in.far[:0], ref...), MaxColumns, nil
			if !s.x.empty {
				in.cell, in.inCell = rawCell{col: -1, start: len(s.arena), end: -1}, true
			}
			return false, nil
		}
		if err != nil || s.x.empty {
			return false, err
		}
		in.far = in.far[:0]
		in.cell, in.inCell = rawCell{col: in.col, kind: 'n', start: len(s.arena), end: -1}, true
		if t, ok := attr(s.x.attrs, "t"); ok && len(t) > 0 {
			in.cell.kind = t[0]
			if string(t) == "str" {
				in.cell.kind = 'f'
			}
		}
		if st, ok := attr(s.x.attrs, "s"); ok {
			in.cell.style, _ = strconv.Atoi(string(st))
		}
	case "v":
		in.value = in.inCell && !s.x.empty
		if in.inCell {
			in.cell.end = len(s.arena)
		}
	case "is":
		in.inline = in.inCell && !s.x.empty
		if in.inCell {
			in.cell.end = len(s.arena)
		}
	case "t":
		in.value = in.inline && !in.phonetic && !s.x.empty
	case "rPh":
		in.phonetic = !s.x.empty
	}
	return false, nil
}

// end takes an end tag: done at the end of a row (row true) or of the
// sheet's data (row false).
func (s *sheetRows) end() (done, row bool) {
	in := &s.in
	switch string(s.x.name) {
	case "v", "t":
		in.value = false
	case "is":
		in.inline = false
	case "rPh":
		in.phonetic = false
	case "c":
		switch {
		case in.inCell && in.cell.col < 0:
			// The far cell: refused only if it holds something.
			in.farValue = in.cell.end > in.cell.start && len(bytes.TrimSpace(s.arena[in.cell.start:in.cell.end])) > 0
			s.arena = s.arena[:in.cell.start]
		case in.inCell && in.cell.end >= 0:
			s.cells = append(s.cells, in.cell)
		}
		in.inCell = false
	case "row":
		return true, true
	case "sheetData":
		return true, false
	}
	return false, false
}

// farCell is a value in a column past MaxColumns: a stray cell far from
// the data, which a person can delete.
type farCell struct{ ref string }

func (e *farCell) Error() string {
	cell := "una celda más allá de la columna " + columnLetter(MaxColumns-1)
	if e.ref != "" {
		cell = "la celda " + e.ref
	}
	return fmt.Sprintf("%s tiene un valor, lejos de los datos: batch lee hasta la columna %s. Si es una celda suelta, bórrela y guarde el libro", cell, columnLetter(MaxColumns-1))
}

// cellColumn is a cell's 0-based column, from its reference (r="AB12") or
// after the previous cell's. A column past MaxColumns refuses the sheet.
func cellColumn(attrs []byte, prev int) (int, error) {
	ref, ok := attr(attrs, "r")
	if !ok {
		if prev+1 >= MaxColumns {
			return 0, errWide
		}
		return prev + 1, nil
	}
	col := 0
	for _, c := range ref {
		switch {
		case c >= 'A' && c <= 'Z':
			col = col*26 + int(c-'A') + 1
		case c >= 'a' && c <= 'z':
			col = col*26 + int(c-'a') + 1
		case c >= '0' && c <= '9':
			if col == 0 {
				return 0, errBadXML
			}
			if col > MaxColumns {
				return 0, errWide
			}
			return col - 1, nil
		default:
			return 0, errBadXML
		}
		if col > MaxColumns {
			return 0, errWide
		}
	}
	return 0, errBadXML
}

// cellsOf turns a row's cells into their text, as the user sees it, and
// their typed values. Identifier columns are text whatever they hold.
func (b *book) cellsOf(s *sheetRows, identifier []bool) ([]string, []batch.Value, error) {
	width := 0
	for _, c := range s.cells {
		width = max(width, c.col+1)
	}
	texts := make([]string, width)
	values := make([]batch.Value, width)
	for _, c := range s.cells {
		raw := s.arena[c.start:c.end]
		text, v, err := b.cell(c, raw)
		if err != nil {
			return nil, nil, err
		}
		if c.col < len(identifier) && identifier[c.col] && v.Type != batch.ValueEmpty {
			v = batch.Value{Type: batch.ValueText}
		}
		texts[c.col], values[c.col] = text, v
	}
	return texts, values, nil
}

func (b *book) cell(c rawCell, raw []byte) (string, batch.Value, error) {
	switch c.kind {
	case 's':
		i, err := strconv.Atoi(string(raw))
		if err != nil || i < 0 || i >= len(b.strings) {
			return "", batch.Value{}, errBadXML
		}
		return textValue(b.strings[i])
	case 'b':
		if string(raw) == "1" || string(raw) == "true" {
			return "TRUE", batch.Value{Type: batch.ValueBool, Number: 1}, nil
		}
		return "FALSE", batch.Value{Type: batch.ValueBool}, nil
	case 'd':
		t, err := time.Parse(time.RFC3339Nano, string(raw))
		if err != nil {
			if t, err = time.Parse("2006-01-02", string(raw)); err != nil {
				return textValue(string(raw))
			}
		}
		f := b.format(c.style)
		if !f.date {
			f = cellFormat{code: "yyyy-mm-dd hh:mm:ss"}
		}
		return dateText(cells.Serial(t)), batch.Value{Type: batch.ValueDate, Number: cells.Serial(t), FormatID: f.id, Format: f.code}, nil
	case 'n':
		if len(raw) == 0 {
			return "", batch.Value{}, nil
		}
		n, err := strconv.ParseFloat(string(raw), 64)
		if err != nil {
			return textValue(string(raw))
		}
		f := b.format(c.style)
		if f.date {
			if b.date1904 {
				n += 1462
			}
			text := dateText(n)
			if f.code != "" {
				text = dateShown(n, f.code)
			}
			return text, batch.Value{Type: batch.ValueDate, Number: n, FormatID: f.id, Format: f.code}, nil
		}
		return numberText(n, f), batch.Value{Type: batch.ValueNumber, Number: n, FormatID: f.id, Format: f.code}, nil
	}
	if c.kind == 'i' {
		return textValue(decodeEscapes(string(raw)))
	}
	return textValue(string(raw)) // formulas' text, errors (#N/A)
}

// decodeEscapes turns OOXML's escapes of characters XML cannot carry
// (_x0007_ for BEL) back into them; _x005F_ escapes the underscore.
func decodeEscapes(s string) string {
	if !strings.Contains(s, "_x") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "_x")
		if i < 0 || len(s) < i+7 {
			b.WriteString(s)
			return b.String()
		}
		n, err := strconv.ParseUint(s[i+2:i+6], 16, 16)
		if err != nil || s[i+6] != '_' {
			b.WriteString(s[:i+2])
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		b.WriteRune(rune(n))
		s = s[i+7:]
	}
}

func textValue(s string) (string, batch.Value, error) {
	if s == "" {
		return "", batch.Value{}, nil
	}
	return s, batch.Value{Type: batch.ValueText}, nil
}

func (b *book) format(style int) cellFormat {
	if style < 0 || style >= len(b.formats) {
		return cellFormat{}
	}
	return b.formats[style]
}

// numberText is a number as a spreadsheet shows it in General: 15
// significant digits, scientific past them. A format of zeros only
// ("0000000000") pads it, as an identification stored as a number shows.
func numberText(n float64, f cellFormat) string {
	if f.code != "" && strings.Trim(f.code, "0") == "" && n == float64(int64(n)) && n >= 0 {
		s := strconv.FormatInt(int64(n), 10)
		if len(s) < len(f.code) {
			s = strings.Repeat("0", len(f.code)-len(s)) + s
		}
		return s
	}
	return strings.ToUpper(strconv.FormatFloat(n, 'g', 15, 64))
}

// dateText is a serial as the tool reads a date: AAAA-MM-DD, with the time
// when it has one, or the time alone for a time of day.
func dateText(serial float64) string {
	t := cells.FromSerial(serial)
	switch {
	case serial < 1 && serial >= 0:
		return t.Format("15:04:05")
	case t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0:
		return t.Format("2006-01-02")
	}
	return t.Format("2006-01-02 15:04:05")
}

// dateShown is a date as its custom format shows it (dd/mm/yyyy gives
// 19/11/2026), for the formats made of days, months, years, hours,
// minutes, seconds and literal text; any other is shown as dateText.
func dateShown(serial float64, code string) string {
	toks, ok := dateTokens(code)
	if !ok {
		return dateText(serial)
	}
	t := cells.FromSerial(serial)
	var b strings.Builder
	for i, tk := range toks {
		pad := func(v int) { fmt.Fprintf(&b, "%0*d", min(tk.n, 2), v) }
		switch {
		case tk.letter == 0:
			b.WriteString(tk.lit)
		case tk.letter == 'y' && tk.n <= 2:
			fmt.Fprintf(&b, "%02d", t.Year()%100)
		case tk.letter == 'y':
			fmt.Fprintf(&b, "%04d", t.Year())
		case tk.letter == 'd' && tk.n <= 2:
			pad(t.Day())
		case tk.letter == 'd':
			b.WriteString(abbreviated(spanishDays[t.Weekday()], tk.n))
		case tk.letter == 'm' && tk.n <= 2 && minute(toks, i):
			pad(t.Minute())
		case tk.letter == 'm' && tk.n <= 2:
			pad(int(t.Month()))
		case tk.letter == 'm':
			b.WriteString(abbreviated(spanishMonths[t.Month()-1], tk.n))
		case tk.letter == 'h':
			pad(t.Hour())
		case tk.letter == 's':
			pad(t.Second())
		}
	}
	return b.String()
}

// dateToken is a run of one date letter (dd, mmm, yyyy) or literal text.
type dateToken struct {
	letter byte
	n      int
	lit    string
}

// dateTokens splits a format's first section; false for what dateShown
// does not show (AM/PM, eras, fractions of a second).
func dateTokens(code string) ([]dateToken, bool) {
	if i := strings.IndexByte(code, ';'); i >= 0 {
		code = code[:i]
	}
	var toks []dateToken
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case c == '"':
			j := strings.IndexByte(code[i+1:], '"')
			if j < 0 {
				return nil, false
			}
			toks, i = append(toks, dateToken{lit: code[i+1 : i+1+j]}), i+1+j
		case c == '\\' && i+1 < len(code):
			toks, i = append(toks, dateToken{lit: code[i+1 : i+2]}), i+1
		case c == '[':
			j := strings.IndexByte(code[i:], ']')
			if j < 0 {
				return nil, false
			}
			i += j
		case strings.IndexByte("dmyhsDMYHS", c) >= 0:
			l, n := c|0x20, 1
			for i+1 < len(code) && code[i+1]|0x20 == l {
				n, i = n+1, i+1
			}
			toks = append(toks, dateToken{letter: l, n: n})
		case strings.IndexByte(" /-.,:", c) >= 0:
			toks = append(toks, dateToken{lit: string(c)})
		default:
			return nil, false
		}
	}
	return toks, true
}

// minute reports whether the m or mm at i is minutes: after an hour or
// before a second, as spreadsheets read it.
func minute(toks []dateToken, i int) bool {
	for j := i - 1; j >= 0; j-- {
		if toks[j].letter != 0 {
			if toks[j].letter == 'h' {
				return true
			}
			break
		}
	}
	for j := i + 1; j < len(toks); j++ {
		if toks[j].letter != 0 {
			return toks[j].letter == 's'
		}
	}
	return false
}

// abbreviated is a day's or month's name, its first three letters for
// ddd or mmm.
func abbreviated(name string, n int) string {
	if n == 3 {
		return string([]rune(name)[:3])
	}
	return name
}

var (
	spanishMonths = []string{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"}
	spanishDays   = []string{"domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"}
)

// DateFormat reports whether a cell with a number format, built-in by id
// or custom by code, shows a date or a time.
func DateFormat(id int, code string) bool {
	if code != "" {
		return dateFormat(code)
	}
	return builtinFormat(id).date
}
