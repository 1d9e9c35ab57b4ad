// Package cells knows what people and spreadsheets do to a sheet's headers
// and values: the many names of one column, the numbers a spreadsheet
// damaged, the dates in their local forms. Readers, operations and writers
// share it.
package cells

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"batch"
)

// aliases maps a normalised header to the field it names. Normalising drops
// case, accents, spaces, underscores and punctuation, so "Tipo Identificación",
// "TIPO_IDENTIFICACION" and "tipo-identificacion" are one name.
var aliases = map[string]batch.Field{
	"cufe":                       batch.FieldCUFE,
	"cufecude":                   batch.FieldCUFE,
	"tipoidentificacion":         batch.FieldTipoIdentificacion,
	"tipodeidentificacion":       batch.FieldTipoIdentificacion,
	"identificacion":             batch.FieldIdentificacion,
	"numeroidentificacion":       batch.FieldIdentificacion,
	"numerodeidentificacion":     batch.FieldIdentificacion,
	"nombres":                    batch.FieldNombres,
	"nombre":                     batch.FieldNombres,
	"apellidos":                  batch.FieldApellidos,
	"apellido":                   batch.FieldApellidos,
	"cargo":                      batch.FieldCargo,
	"area":                       batch.FieldArea,
	"cuv":                        batch.FieldCUV,
	"codigounicodevalidacion":    batch.FieldCUV,
	"numerodocumento":            batch.FieldNumeroDocumento,
	"numerodedocumento":          batch.FieldNumeroDocumento,
	"fechadocumento":             batch.FieldFechaDocumento,
	"fechadedocumento":           batch.FieldFechaDocumento,
	"nitemisor":                  batch.FieldNITEmisor,
	"nitprestador":               batch.FieldNITEmisor,
	"nitobligado":                batch.FieldNITEmisor,
	"numdocumentoidobligado":     batch.FieldNITEmisor,
	"documentoobligado":          batch.FieldObligado,
	"obligado":                   batch.FieldObligado,
	"evento":                     batch.FieldEvento,
	"eventos":                    batch.FieldEvento,
	"eventoradian":               batch.FieldEvento,
	"tipodedocumento":            batch.FieldClaseDocumento,
	"tipodocumentoelectronico":   batch.FieldClaseDocumento,
	"tipodedocumentoelectronico": batch.FieldClaseDocumento,
	"tipodocumentodian":          batch.FieldClaseDocumento,
	"clasededocumento":           batch.FieldClaseDocumento,
	"clasedocumento":             batch.FieldClaseDocumento,
	"grupo":                      batch.FieldGrupo,
	"grupodocumento":             batch.FieldGrupo,
	"estado":                     batch.FieldEstadoDIAN,
	"estadodian":                 batch.FieldEstadoDIAN,
	"estadodocumento":            batch.FieldEstadoDIAN,
	"estadovalidacion":           batch.FieldEstadoDIAN,
	"nitreceptor":                batch.FieldNITReceptor,
	"nitdelreceptor":             batch.FieldNITReceptor,
	"nitadquiriente":             batch.FieldNITReceptor,
	"nitadquirente":              batch.FieldNITReceptor,
	"nitcomprador":               batch.FieldNITReceptor,
	"folio":                      batch.FieldFolio,
	"nitproveedor":               batch.FieldNITEmisor,
	"nitdelemisor":               batch.FieldNITEmisor,
	"tiporeclamo":                batch.FieldTipoReclamo,
	"tipodereclamo":              batch.FieldTipoReclamo,
	"motivoreclamo":              batch.FieldTipoReclamo,
	"motivodelreclamo":           batch.FieldTipoReclamo,

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
