package cells

import (
	"strconv"
	"strings"
	"time"

	"batch"
)

// Identifier reports whether a column holds identifiers, which the result
// workbook keeps as text whatever they look like: every column the tool
// reads but its dates, and any other whose header names a key, a code or a
// number of something (NIT, Número factura, Código, Cédula...) and not an
// amount or a date.
func Identifier(header string) bool {
	if f, ok := FieldOf(header); ok {
		return f != batch.FieldFechaFactura && f != batch.FieldFechaDocumento
	}
	id := false
	for _, w := range strings.FieldsFunc(header, func(r rune) bool { return r == ' ' || r == '.' || r == '_' || r == '-' || r == '/' || r == '#' }) {
		w = NormalizeHeader(w)
		if notIdentifier[w] {
			return false
		}
		id = id || identifierWords[w]
	}
	return id
}

var identifierWords = map[string]bool{
	"nit": true, "cufe": true, "cude": true, "cuv": true, "cedula": true, "cc": true, "identificacion": true,
	"id": true, "prefijo": true, "codigo": true, "cod": true, "telefono": true, "celular": true, "cuenta": true,
	"numero": true, "nro": true, "no": true, "num": true, "documento": true, "doc": true, "consecutivo": true,
	"resolucion": true, "referencia": true, "ref": true, "clave": true,
}

var notIdentifier = map[string]bool{
	"fecha": true, "valor": true, "total": true, "monto": true, "subtotal": true, "iva": true, "impuesto": true,
	"impuestos": true, "cantidad": true, "saldo": true, "precio": true, "descuento": true, "retencion": true,
	"hora": true, "vencimiento": true,
}

// A Convention is how a file writes numbers: Excel in Spanish writes
// 1.619.176,22, an ERP or an English spreadsheet 1,619,176.22.
type Convention struct{ Decimal, Group byte }

var (
	DecimalComma = Convention{Decimal: ',', Group: '.'}
	DecimalPoint = Convention{Decimal: '.', Group: ','}
)

// Number reads an amount as a person or a spreadsheet writes it in the
// convention: digits with or without thousands separators, decimals, a
// sign or parentheses for a negative, a leading $. It gives the number of
// decimals and whether the thousands were grouped, for the number's
// format. Anything with a leading zero or more than 15 digits is not a
// number: it is an identifier a spreadsheet would damage.
func Number(s string, c Convention) (v float64, decimals int, grouped, ok bool) {
	s = strings.TrimSpace(s)
	neg := false
	if len(s) > 2 && s[0] == '(' && s[len(s)-1] == ')' {
		neg, s = true, strings.TrimSpace(s[1:len(s)-1])
	}
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg, s = neg != (s[0] == '-'), s[1:]
	}
	if strings.HasPrefix(s, "$") {
		s = strings.TrimLeft(s[1:], " \u00a0")
	}
	whole, frac, hasFrac := s, "", false
	if i := strings.IndexByte(s, c.Decimal); i >= 0 {
		whole, frac, hasFrac = s[:i], s[i+1:], true
		if frac == "" || !allDigits(frac) {
			return 0, 0, false, false
		}
	}
	digits := whole
	if strings.IndexByte(whole, c.Group) >= 0 {
		parts := strings.Split(whole, string(c.Group))
		if len(parts[0]) == 0 || len(parts[0]) > 3 || !allDigits(parts[0]) {
			return 0, 0, false, false
		}
		for _, p := range parts[1:] {
			if len(p) != 3 || !allDigits(p) {
				return 0, 0, false, false
			}
		}
		digits, grouped = strings.Join(parts, ""), true
	}
	if digits == "" || !allDigits(digits) || (digits[0] == '0' && len(digits) > 1) ||
		len(strings.TrimLeft(digits, "0"))+len(frac) > 15 {
		return 0, 0, false, false
	}
	text := digits
	if hasFrac {
		text += "." + frac
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return 0, 0, false, false
	}
	if neg {
		v = -v
	}
	return v, len(frac), grouped, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// dateLayouts are the dates a CSV holds: ISO, and day first with slashes
// or dashes, as Colombia writes them; each with or without a time.
var dateLayouts = []string{"2006-01-02", "2/1/2006", "2-1-2006"}
var timeLayouts = []string{"", " 15:04", " 15:04:05", "T15:04", "T15:04:05", "T15:04:05Z07:00"}

// Date reads a date, or a date and time, written as a CSV holds one. slash
// tells whether the day came first with slashes, for the format to write it
// back the same way.
func Date(s string) (t time.Time, withTime, slash, ok bool) {
	s = strings.TrimSpace(s)
	if len(s) < 8 || len(s) > 25 || s[0] < '0' || s[0] > '9' {
		return time.Time{}, false, false, false
	}
	for _, d := range dateLayouts {
		for _, tl := range timeLayouts {
			if t, err := time.Parse(d+tl, s); err == nil {
				return t, tl != "", d[1] == '/', true
			}
		}
	}
	return time.Time{}, false, false, false
}

// Serial is a time as a spreadsheet stores it: days since 1899-12-30, the
// time of day as the fraction, in the 1900 date system.
func Serial(t time.Time) float64 {
	base := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	wall := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	return wall.Sub(base).Hours() / 24
}

// FromSerial is the wall-clock time a spreadsheet's serial stands for,
// rounded to the second.
func FromSerial(serial float64) time.Time {
	base := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	return base.Add(time.Duration(serial*86400+0.5) * time.Second)
}
