// Package batch holds the domain's words: a spreadsheet row, what a provider
// answered for it, and the status the workbook shows. It imports nothing of
// the project, so every other package can speak the same language.
package batch

import (
	"context"
	"time"
)

// Status is what the result workbook says about one row and one operation.
type Status string

const (
	StatusOK           Status = "OK"            // the provider registered it
	StatusYaRegistrado Status = "YA_REGISTRADO" // it was registered before (DIAN rule LGC01)
	StatusRechazado    Status = "RECHAZADO"     // the provider or DIAN refused it: the data must change
	StatusInvalido     Status = "INVALIDO"      // it failed a check and was never sent
	StatusError        Status = "ERROR"         // an answer the tool cannot interpret
	StatusPendiente    Status = "PENDIENTE"     // not done yet: the next run sends it again
	// StatusRevisar: a person must look; nothing is sent again. The
	// provider answered OK, but what it says about the key (the invoice a
	// CUV validated) disagrees with this row's data; or an e-mail may have
	// gone and nothing says whether it did (code INCIERTO).
	StatusRevisar Status = "REVISAR"
	// StatusNoAplica: the row says it is not what the operation is for (a
	// credit note, an invoice the company issued, one the DIAN refused):
	// it is not sent, and nothing is wrong with it. Code says which kind;
	// CodeRechazadaDIAN is one a person should look at.
	StatusNoAplica Status = "NO_APLICA"
	// StatusEnVuelo is the journal's state of a key whose attempt began
	// and has no recorded answer: the process died or was stopped while
	// waiting. It never reaches the workbook; the next run sends the key
	// again, unless the provider does not refuse a repeat (an e-mail):
	// then the key is REVISAR.
	StatusEnVuelo Status = "EN_VUELO"
)

// Statuses are the statuses a workbook shows, in the order they are
// listed wherever they are counted.
var Statuses = []Status{StatusOK, StatusYaRegistrado, StatusNoAplica, StatusRevisar, StatusRechazado, StatusInvalido, StatusError, StatusPendiente}

// Final reports whether a later run must not send the row again.
func (s Status) Final() bool {
	switch s {
	case StatusOK, StatusYaRegistrado, StatusRechazado:
		return true
	}
	return false
}

// Class is how a provider client classifies one answer. The client is the
// only place that understands the provider's codes; the pipeline decides what
// to do by class alone.
type Class int

const (
	// ClassOK: the operation took effect.
	ClassOK Class = iota
	// ClassAlreadyDone: the operation had taken effect before (LGC01).
	ClassAlreadyDone
	// ClassRejected: the provider refused this row; resending it unchanged
	// gives the same answer.
	ClassRejected
	// ClassTransient: the outcome is unknown or the provider is struggling;
	// the same request may succeed later.
	ClassTransient
	// ClassRateLimited: the provider's limit was exceeded; wait and resend.
	ClassRateLimited
	// ClassFatal: nothing will work for any row (refused token, wrong URL).
	ClassFatal
	// ClassUnexpected: an answer that fits no known shape.
	ClassUnexpected
)

// Answer is one attempt's outcome as the client understood it.
type Answer struct {
	Class      Class
	Code       string         // the provider's code (codigo_error, HTTP status, DIAN rule)
	Message    string         // the provider's words, ready for a person to read
	Values     map[string]any // operation-specific results (cude, numero_evento, ...)
	RetryAfter time.Duration  // with ClassRateLimited, how long the provider asked to wait
	Kind       Kind           // with ClassFatal or Wide, what must change before anything can be sent
	// Wide marks a refusal that may concern every row (a 403, a 409, an
	// unknown code): the row is refused, and the service stops when three
	// distinct keys in a row are refused so.
	Wide       bool
	HTTPStatus int
	Response   string // the answer's body as received, for the journal
	// Unsure: the request may have reached the provider and what it did
	// is not known (the connection cut after the request left, no answer
	// in time, an answer that could not be read). An operation whose
	// repeat the provider does not refuse is not sent again on its own.
	Unsure bool
	// Then, with ClassAlreadyDone, is a request that completes the answer
	// (the history that holds an already registered event's CUDE). It is
	// sent as any request is: paced, through the gate, journalled and
	// counted. Its answer, ClassAlreadyDone when it found what it looked
	// for, gives the row its values; a failure leaves this answer as it is,
	// with a note.
	Then *Request
}

// Result is the final word on one row for one operation.
type Result struct {
	Status   Status
	Code     string
	Message  string
	Values   map[string]any
	Attempts int
}

// Field names a column the tool understands, whatever the file calls it.
type Field string

const (
	FieldCUFE               Field = "cufe"
	FieldTipoIdentificacion Field = "tipo_identificacion"
	FieldIdentificacion     Field = "identificacion"
	FieldNombres            Field = "nombres"
	FieldApellidos          Field = "apellidos"
	FieldCargo              Field = "cargo"
	FieldArea               Field = "area"
	FieldCUV                Field = "cuv"
	FieldNumeroDocumento    Field = "numero_documento"
	FieldFechaDocumento     Field = "fecha_documento"
	FieldNITEmisor          Field = "nit_emisor"
	FieldEvento             Field = "evento"       // the RADIAN events a row asks for
	FieldTipoReclamo        Field = "tipo_reclamo" // a reclamo's reason, 01 to 04
	FieldObligado           Field = "obligado"     // the Afacturar client (documento_obligado) a row is for

	// What a row of the DIAN's export of documents (or an ERP's) says it
	// is: it decides whether a RADIAN event may be sent for it.
	FieldClaseDocumento Field = "clase_documento" // "Factura electrónica", "Nota crédito electrónica", "Application response"…
	FieldGrupo          Field = "grupo"           // "Recibido" or "Emitido"
	FieldEstadoDIAN     Field = "estado_dian"     // the DIAN's validation: "Aprobado", "Rechazado"…
	FieldNITReceptor    Field = "nit_receptor"    // to whom the document is addressed
	FieldFolio          Field = "folio"           // the invoice's number, after its Prefijo

	// An invoice to send by e-mail (SS Integral's EnvioCorreo).
	FieldPrefijo                   Field = "prefijo"
	FieldNumeroFactura             Field = "numero_factura"
	FieldResolucion                Field = "resolucion"
	FieldMailRecepcion             Field = "mail_recepcion"
	FieldTelefonoRecepcion         Field = "telefono_recepcion"
	FieldNombreEmpresaRecepcion    Field = "nombre_empresa_recepcion"
	FieldNitEmpresaRecepcion       Field = "nit_empresa_recepcion"
	FieldTipoDocumento             Field = "tipo_documento"
	FieldDigitoVerificacionCliente Field = "digito_verificacion_cliente"
	FieldFechaFactura              Field = "fecha_factura"
	FieldRutaArchivo               Field = "ruta_archivo"
	FieldTipoIdentificacionCliente Field = "tipo_identificacion_cliente"
	FieldNombreDocumento           Field = "nombre_documento"
	FieldAdjuntos                  Field = "adjuntos"
)

// Sheet is one table found in an input: a file's sheet (or the CSV itself)
// with its header row.
type Sheet struct {
	File      string        // the input file's path
	Name      string        // the sheet's name; a CSV's file name
	HeaderRow int           // 1-based row number of the header
	Columns   []string      // the header cells as written in the file
	Index     map[Field]int // where each understood field is
}

// Row is one data row of a sheet, its cells as the user sees them.
type Row struct {
	Sheet *Sheet
	Line  int      // 1-based row number in its sheet
	Cells []string // aligned with Sheet.Columns (possibly shorter)
	// Values are the same cells as the input typed them, for the result
	// workbook to write back alike; nil when the reader gives only text.
	Values []Value
}

// ValueType is what an input cell holds.
type ValueType uint8

const (
	ValueEmpty  ValueType = iota // no value: written as no cell at all
	ValueText                    // text, and every identifier whatever it looks like
	ValueNumber                  // a number, with its format
	ValueDate                    // a date or date-time, as a spreadsheet's serial number
	ValueBool                    // TRUE or FALSE
)

// Value is one input cell as its file typed it. The cell's text is the
// row's Cells entry; a number or a date also has its value and the number
// format the input showed it with.
type Value struct {
	Type ValueType
	// Number is the number, or the date as days since 1899-12-30 (a
	// spreadsheet's serial, in the 1900 date system), or 1 for TRUE.
	Number float64
	// FormatID is one of the spreadsheet's built-in number formats (1 to
	// 49: "0.00", "#,##0", the locale's short date...), or 0.
	FormatID int
	// Format is the format's code when it is not a built-in one
	// ("#,##0.00 [$COP]", "dd/mm/yyyy hh:mm").
	Format string
}

// Get returns the row's value for a field, or "" when the sheet lacks it.
func (r Row) Get(f Field) string {
	i, ok := r.Sheet.Index[f]
	if !ok || i >= len(r.Cells) {
		return ""
	}
	return r.Cells[i]
}

// Has reports whether the row's sheet has a column for the field.
func (r Row) Has(f Field) bool {
	_, ok := r.Sheet.Index[f]
	return ok
}

// Request is one row's work for one operation, checked and built once: the
// same value is described in the journal and sent, attempt after attempt.
type Request struct {
	// Key identifies the work (the CUFE, the CUV, the invoice): rows with
	// the same key share one request.
	Key string
	// Describe is what Send sends, minus secrets, for the journal.
	Describe func() string
	// Send makes one attempt and classifies its answer.
	Send func(ctx context.Context) Answer
}
