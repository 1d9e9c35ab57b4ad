package readers

import (
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"batch"
)

// aliases maps a normalised header to the field it names. Normalising drops
// case, accents, spaces, underscores and punctuation, so "Tipo Identificación",
// "TIPO_IDENTIFICACION" and "tipo-identificacion" are one name.
var aliases = map[string]batch.Field{
	"cufe":                    batch.FieldCUFE,
	"cufecude":                batch.FieldCUFE,
	"tipoidentificacion":      batch.FieldTipoIdentificacion,
	"tipodeidentificacion":    batch.FieldTipoIdentificacion,
	"identificacion":          batch.FieldIdentificacion,
	"numeroidentificacion":    batch.FieldIdentificacion,
	"numerodeidentificacion":  batch.FieldIdentificacion,
	"nombres":                 batch.FieldNombres,
	"nombre":                  batch.FieldNombres,
	"apellidos":               batch.FieldApellidos,
	"apellido":                batch.FieldApellidos,
	"cargo":                   batch.FieldCargo,
	"area":                    batch.FieldArea,
	"cuv":                     batch.FieldCUV,
	"codigounicodevalidacion": batch.FieldCUV,
	"numerodocumento":         batch.FieldNumeroDocumento,
	"numerodedocumento":       batch.FieldNumeroDocumento,
	"fechadocumento":          batch.FieldFechaDocumento,
	"fechadedocumento":        batch.FieldFechaDocumento,
	"nitemisor":               batch.FieldNITEmisor,
	"nitprestador":            batch.FieldNITEmisor,
	"nitobligado":             batch.FieldNITEmisor,
	"numdocumentoidobligado":  batch.FieldNITEmisor,

	"prefijo":                   batch.FieldPrefijo,
	"numerofactura":             batch.FieldNumeroFactura,
	"numerodefactura":           batch.FieldNumeroFactura,
	"nofactura":                 batch.FieldNumeroFactura,
	"resolucion":                batch.FieldResolucion,
	"resoluciondefacturacion":   batch.FieldResolucion,
	"mailrecepcion":             batch.FieldMailRecepcion,
	"correorecepcion":           batch.FieldMailRecepcion,
	"telefonorecepcion":         batch.FieldTelefonoRecepcion,
	"nombreempresarecepcion":    batch.FieldNombreEmpresaRecepcion,
	"nitempresarecepcion":       batch.FieldNitEmpresaRecepcion,
	"tipodocumento":             batch.FieldTipoDocumento,
	"digitoverificacioncliente": batch.FieldDigitoVerificacionCliente,
	"fechafactura":              batch.FieldFechaFactura,
	"fechadefactura":            batch.FieldFechaFactura,
	"rutaarchivo":               batch.FieldRutaArchivo,
	"tipoidentificacioncliente": batch.FieldTipoIdentificacionCliente,
	"nombredocumento":           batch.FieldNombreDocumento,
	"adjuntos":                  batch.FieldAdjuntos,
}

// NormalizeHeader reduces a header cell to lowercase ASCII letters and digits.
func NormalizeHeader(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// FieldOf returns the field a header cell names, if any.
func FieldOf(header string) (batch.Field, bool) {
	f, ok := aliases[NormalizeHeader(header)]
	return f, ok
}

// matchHeader checks whether cells form a header row holding at least one of
// the key fields. It returns the sheet's columns and field index, or ok=false.
// A header naming the same column twice is an error: the tool could not tell
// which of the two the user meant.
func matchHeader(cells []string, keys []batch.Field) (columns []string, index map[batch.Field]int, ok bool, err error) {
	index = map[batch.Field]int{}
	for i, c := range cells {
		if f, known := FieldOf(c); known {
			if _, dup := index[f]; !dup {
				index[f] = i
			}
		}
	}
	for _, k := range keys {
		if _, has := index[k]; has {
			ok = true
		}
	}
	if !ok {
		return nil, nil, false, nil
	}
	last := len(cells) - 1
	for last >= 0 && cells[last] == "" {
		last--
	}
	columns = make([]string, last+1)
	seen := map[string]int{}
	for i := 0; i <= last; i++ {
		name := cells[i]
		if name == "" {
			name = "Columna " + columnLetter(i)
		}
		n := NormalizeHeader(name)
		if n == "" {
			n = name
		}
		if j, dup := seen[n]; dup {
			return nil, nil, true, fmt.Errorf("la columna «%s» aparece dos veces en el encabezado (columnas %s y %s); deje solo una", cells[i], columnLetter(j), columnLetter(i))
		}
		seen[n] = i
		columns[i] = name
	}
	return columns, index, true, nil
}

// columnLetter turns a 0-based column index into the spreadsheet's letters.
func columnLetter(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}
