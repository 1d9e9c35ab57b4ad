package readers

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"
)

// The parts of a workbook that hold its data (the sheets, the shared
// strings) are read by xmlScanner, which knows the little of XML they use:
// tags with attributes, text with entities, comments, CDATA. It reads them
// in one pass without building a token per element, several times faster
// than encoding/xml, and never holds more than one text of maxToken bytes.
// A DOCTYPE, which no spreadsheet writes, is refused: no entity is ever
// defined or expanded.

type tokKind uint8

const (
	tokEOF tokKind = iota
	tokStart
	tokEnd
	tokText
)

// maxToken bounds one tag or one text: a cell's text of Excel's 32,767
// characters takes at most maxTextBytes escaped.
const maxToken = maxTextBytes + 4096

var (
	errTooLong = errors.New("una celda de más de 32767 caracteres, el límite de Excel: el libro no es una exportación de facturas")
	errDoctype = errors.New("el XML trae una declaración DOCTYPE, que ningún programa de hojas de cálculo escribe")
	errBadXML  = errors.New("XML mal formado")
)

type xmlScanner struct {
	r       *bufio.Reader
	afterLT bool   // the '<' of the next tag was read with the text before it
	name    []byte // a tag's local name
	attrs   []byte // a start tag's attributes, as written
	empty   bool   // a start tag that closes itself (<c r="A1"/>)
	text    []byte // a text, escaped unless raw
	raw     bool   // the text came from CDATA
	buf     []byte // a token longer than the reader's buffer
}

func newScanner(r io.Reader) *xmlScanner {
	return &xmlScanner{r: bufio.NewReaderSize(r, 64<<10)}
}

// readUntil returns what comes before the next c, and whether c was found.
// The slice is valid until the next read.
func (x *xmlScanner) readUntil(c byte) ([]byte, bool, error) {
	b, err := x.r.ReadSlice(c)
	switch {
	case err == nil:
		return b[:len(b)-1], true, nil
	case err != bufio.ErrBufferFull:
		return b, false, err
	}
	x.buf = append(x.buf[:0], b...)
	for {
		b, err = x.r.ReadSlice(c)
		x.buf = append(x.buf, b...)
		if len(x.buf) > maxToken {
			return nil, false, errTooLong
		}
		switch {
		case err == nil:
			return x.buf[:len(x.buf)-1], true, nil
		case err != bufio.ErrBufferFull:
			return x.buf, false, err
		}
	}
}

// next reads the next token.
func (x *xmlScanner) next() (tokKind, error) {
	for {
		if !x.afterLT {
			text, found, err := x.readUntil('<')
			if err != nil && err != io.EOF {
				return tokEOF, err
			}
			x.afterLT = found
			if len(text) > 0 {
				x.text, x.raw = text, false
				return tokText, nil
			}
			if !found {
				return tokEOF, nil
			}
		}
		x.afterLT = false
		k, err := x.tag()
		if err != nil || k != tokEOF {
			return k, err
		}
		// A comment or a processing instruction: on to the next token.
	}
}

// tag reads one tag after its '<'. It gives tokEOF for what is skipped.
func (x *xmlScanner) tag() (tokKind, error) {
	head, _ := x.r.Peek(8)
	switch {
	case bytes.HasPrefix(head, []byte("!--")):
		if _, err := x.until('>', func(b []byte) bool { return bytes.HasSuffix(b, []byte("--")) }); err != nil {
			return tokEOF, err
		}
		return tokEOF, nil
	case bytes.HasPrefix(head, []byte("![CDATA[")):
		b, err := x.until('>', func(b []byte) bool { return bytes.HasSuffix(b, []byte("]]")) })
		if err != nil {
			return tokEOF, err
		}
		x.text, x.raw = b[len("![CDATA["):len(b)-2], true
		return tokText, nil
	}
	b, err := x.until('>', func(b []byte) bool { return !quoted(b) })
	if err != nil {
		return tokEOF, err
	}
	switch {
	case len(b) == 0:
		return tokEOF, errBadXML
	case b[0] == '/':
		x.name = local(bytes.TrimSpace(b[1:]))
		return tokEnd, nil
	case b[0] == '?':
		return tokEOF, nil
	case b[0] == '!':
		return tokEOF, errDoctype
	}
	x.empty = b[len(b)-1] == '/'
	if x.empty {
		b = b[:len(b)-1]
	}
	end := bytes.IndexAny(b, " \t\r\n")
	if end < 0 {
		end = len(b)
	}
	x.name, x.attrs = local(b[:end]), b[end:]
	return tokStart, nil
}

// until reads up to a '>' after which done holds for what was read (a
// '>' inside an attribute's quotes, a comment or CDATA does not end it).
// The '>' is not returned; comments and CDATA are checked from their start.
func (x *xmlScanner) until(c byte, done func([]byte) bool) ([]byte, error) {
	b, found, err := x.readUntil(c)
	if err != nil || !found {
		return nil, errBadXML
	}
	if done(b) {
		return b, nil
	}
	acc := append([]byte(nil), b...)
	for {
		acc = append(acc, c)
		b, found, err := x.readUntil(c)
		if err != nil || !found {
			return nil, errBadXML
		}
		if acc = append(acc, b...); len(acc) > maxToken {
			return nil, errTooLong
		}
		if done(acc) {
			return acc, nil
		}
	}
}

// quoted reports whether a tag read so far ends inside an attribute's quotes.
func quoted(b []byte) bool {
	var q byte
	for _, c := range b {
		switch {
		case q == 0 && (c == '"' || c == '\''):
			q = c
		case c == q:
			q = 0
		}
	}
	return q != 0
}

// local drops a name's namespace prefix: <x:c> is <c>.
func local(name []byte) []byte {
	if i := bytes.LastIndexByte(name, ':'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// attr is the value of a start tag's attribute, by local name.
func attr(attrs []byte, name string) ([]byte, bool) {
	for len(attrs) > 0 {
		attrs = bytes.TrimLeft(attrs, " \t\r\n")
		eq := bytes.IndexByte(attrs, '=')
		if eq < 0 {
			return nil, false
		}
		key := local(bytes.TrimSpace(attrs[:eq]))
		rest := bytes.TrimLeft(attrs[eq+1:], " \t\r\n")
		if len(rest) == 0 || (rest[0] != '"' && rest[0] != '\'') {
			return nil, false
		}
		end := bytes.IndexByte(rest[1:], rest[0])
		if end < 0 {
			return nil, false
		}
		if string(key) == name {
			return rest[1 : 1+end], true
		}
		attrs = rest[end+2:]
	}
	return nil, false
}

// appendText adds the scanner's text, its entities decoded, to dst.
func (x *xmlScanner) appendText(dst []byte) []byte {
	if x.raw {
		return append(dst, x.text...)
	}
	return unescape(dst, x.text)
}

// unescape decodes the five named entities and character references; any
// other & is kept as written.
func unescape(dst, s []byte) []byte {
	for {
		i := bytes.IndexByte(s, '&')
		if i < 0 {
			return append(dst, s...)
		}
		dst = append(dst, s[:i]...)
		s = s[i:]
		semi := bytes.IndexByte(s, ';')
		if semi < 0 || semi > 12 {
			dst, s = append(dst, '&'), s[1:]
			continue
		}
		ent := string(s[1:semi])
		switch ent {
		case "amp":
			dst = append(dst, '&')
		case "lt":
			dst = append(dst, '<')
		case "gt":
			dst = append(dst, '>')
		case "quot":
			dst = append(dst, '"')
		case "apos":
			dst = append(dst, '\'')
		default:
			r, ok := charRef(ent)
			if !ok {
				dst, s = append(dst, '&'), s[1:]
				continue
			}
			dst = utf8.AppendRune(dst, r)
		}
		s = s[semi+1:]
	}
}

func charRef(ent string) (rune, bool) {
	if len(ent) < 2 || ent[0] != '#' {
		return 0, false
	}
	base, digits := 10, ent[1:]
	if digits[0] == 'x' || digits[0] == 'X' {
		base, digits = 16, digits[1:]
	}
	n, err := strconv.ParseUint(digits, base, 32)
	if err != nil || !utf8.ValidRune(rune(n)) {
		return 0, false
	}
	return rune(n), true
}
