package main

import (
	"encoding/xml"
	"io"
	"strconv"
	"strings"
	"time"
)

// maxRepeat bounds the repeated empty rows and columns LibreOffice writes
// to the end of a sheet: they are not cells.
const maxRepeat = 10000

const tableNS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"

// readFODS reads a flat OpenDocument spreadsheet: each table's rows, each
// cell's office:value-type and value, and its text for strings.
func readFODS(r io.Reader) (book, error) {
	d := xml.NewDecoder(r)
	f := &fods{b: book{}}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return f.b, nil
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			f.start(t)
		case xml.CharData:
			if f.inP && f.depth == 1 {
				f.p.Write(t)
			}
		case xml.EndElement:
			f.end(t)
		}
	}
}

// fods is where the reading of a flat OpenDocument sheet stands.
type fods struct {
	b       book
	sheet   string
	row     []cell
	c       cell
	repeatC int
	repeatR int
	text    []string
	inP     bool
	p       strings.Builder
	depth   int // tables within tables: a chart's data inside a sheet
}

func attrOf(e xml.StartElement, local string) string {
	for _, a := range e.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

func repeatOf(e xml.StartElement, local string) int {
	n, err := strconv.Atoi(attrOf(e, local))
	if err != nil || n < 1 {
		return 1
	}
	return n
}

func (f *fods) start(t xml.StartElement) {
	if t.Name.Local == "table" && t.Name.Space == tableNS {
		if f.depth++; f.depth == 1 {
			f.sheet = attrOf(t, "name")
			f.b[f.sheet] = nil
		}
	}
	if f.depth != 1 {
		return
	}
	switch t.Name.Local {
	case "table-row":
		f.row, f.repeatR = nil, repeatOf(t, "number-rows-repeated")
	case "table-cell", "covered-table-cell":
		f.c, f.repeatC, f.text = odsCell(t), repeatOf(t, "number-columns-repeated"), nil
	case "p":
		f.inP = true
		f.p.Reset()
	case "s":
		if f.inP {
			f.p.WriteString(strings.Repeat(" ", repeatOf(t, "c")))
		}
	case "tab":
		f.p.WriteString("\t")
	case "line-break":
		f.p.WriteString("\n")
	}
}

func (f *fods) end(t xml.EndElement) {
	if t.Name.Local == "table" && t.Name.Space == tableNS {
		f.depth--
		return
	}
	if f.depth != 1 {
		return
	}
	switch t.Name.Local {
	case "p":
		f.inP = false
		f.text = append(f.text, f.p.String())
	case "table-cell", "covered-table-cell":
		c := f.c
		if c.kind == "texto" {
			c.value = strings.Join(f.text, "\n")
		}
		if c.kind == "número" && (c.value == "0" || c.value == "1") && len(f.text) == 1 && booleanWords[strings.ToUpper(f.text[0])] {
			// LibreOffice keeps a boolean as 0 or 1 shown TRUE or FALSE.
			c = cell{"booleano", strconv.FormatBool(c.value == "1")}
		}
		if c.kind == "" && f.repeatC > maxRepeat {
			f.repeatC = 1
		}
		for range f.repeatC {
			f.row = append(f.row, c)
		}
	case "table-row":
		if len(trim([][]cell{f.row})) == 0 && f.repeatR > maxRepeat {
			f.repeatR = 1
		}
		for range f.repeatR {
			f.b[f.sheet] = append(f.b[f.sheet], f.row)
		}
	}
}

var booleanWords = map[string]bool{"TRUE": true, "FALSE": true, "VERDADERO": true, "FALSO": true}

// odsCell is a cell's type and value as its attributes give them.
func odsCell(e xml.StartElement) cell {
	attr := attrOf
	switch attr(e, "value-type") {
	case "float", "percentage", "currency":
		n, _ := strconv.ParseFloat(attr(e, "value"), 64)
		return cell{"número", number(n)}
	case "date":
		v := attr(e, "date-value")
		for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02"} {
			if t, err := time.Parse(layout, v); err == nil {
				return cell{"fecha", t.Round(time.Second).Format("2006-01-02T15:04:05")}
			}
		}
		return cell{"fecha", v}
	case "time":
		d := attr(e, "time-value") // PT12H30M00S
		return cell{"fecha", "1899-12-30T" + isoDuration(d)}
	case "boolean":
		return cell{"booleano", attr(e, "boolean-value")}
	case "string":
		return cell{kind: "texto"}
	}
	return cell{}
}

func isoDuration(d string) string {
	var h, m int
	var s float64
	rest := strings.TrimPrefix(d, "PT")
	if i := strings.IndexByte(rest, 'H'); i >= 0 {
		h, _ = strconv.Atoi(rest[:i])
		rest = rest[i+1:]
	}
	if i := strings.IndexByte(rest, 'M'); i >= 0 {
		m, _ = strconv.Atoi(rest[:i])
		rest = rest[i+1:]
	}
	s, _ = strconv.ParseFloat(strings.TrimSuffix(rest, "S"), 64)
	return time.Date(1899, 12, 30, h, m, int(s+0.5), 0, time.UTC).Format("15:04:05")
}
