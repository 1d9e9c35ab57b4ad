package batch

import (
	"fmt"
	"path/filepath"
)

// Operation names: what a row can ask for, as the workbook's column
// prefixes, the journal's operation and --ops name them.
const (
	OpAcuse     = "acuse"     // RADIAN acuse de recibo (event 030) on Afacturar
	OpRecibo    = "recibo"    // RADIAN recibo del bien o prestación del servicio (event 032)
	OpReclamo   = "reclamo"   // RADIAN reclamo (event 031)
	OpHistorico = "historico" // the RADIAN events registered for a CUFE
	OpCUV       = "cuv"       // RIPS CUV query on Afacturar
	OpCorreo    = "correo"    // an issued invoice e-mailed with SS Integral's EnvioCorreo
	OpTenedor   = "tenedor"   // who holds a received invoice now (legítimo tenedor), on Afacturar
)

// Codes the tool itself gives a row, beside the providers' own.
const (
	CodeValidacion = "VALIDACION" // the row failed a check and was never sent
	CodeSinEnviar  = "SIN_ENVIAR" // a dry run: the row would be sent
	CodeNoEnviado  = "NO_ENVIADO" // the run stopped before the row was sent
	CodeDiario     = "DIARIO"     // the journal failed: nothing more is sent
	CodeRed        = "RED"        // no answer came back over the network
	CodeTLS        = "TLS"        // the provider's certificate does not verify
	CodeSinPrevio  = "SIN_PREVIO" // the event it follows is not registered: not sent
	CodeLimite     = "LIMITE"     // past the run's limit of requests: not sent
	// CodeIncierto: the request may have reached the provider and what it
	// did is not known; an operation the provider does not deduplicate
	// is not sent again unless a person names the key.
	CodeIncierto = "INCIERTO"

	// Why a row is NO_APLICA: what it says it is.
	CodeNota          = "NOTA"           // a credit or debit note
	CodeEvento        = "EVENTO"         // an application response: an event, not a document
	CodeSoporte       = "SOPORTE"        // a support document (documento soporte)
	CodeEquivalente   = "EQUIVALENTE"    // a documento equivalente (public utilities…)
	CodeNomina        = "NOMINA"         // a payroll document
	CodeEmitida       = "EMITIDA"        // an invoice the company issued itself
	CodeRechazadaDIAN = "RECHAZADA_DIAN" // an invoice the DIAN refused: a person should look

	// Whom to pay, by the legítimo tenedor and the row's NIT Emisor.
	CodeEmisor   = "EMISOR"   // OK: the invoice's issuer holds it
	CodeEndosada = "ENDOSADA" // REVISAR: endorsed; the holder is paid, not the issuer
)

// Service names a provider, for the words that concern all of its
// operations (a refused credential, a wrong address).
type Service string

const (
	ServiceAfacturar  Service = "Afacturar"
	ServiceSSIntegral Service = "SS Integral"
)

// Kind says what sort of problem an error is, so that the front end (the
// command line) can tell the person what to change in its own terms: a
// flag, a variable, a file.
type Kind int

const (
	KindOther          Kind = iota
	KindAddress             // the service's address is wrong: nothing there answers as the service
	KindCredentials         // the provider refused the token, the NIT or the clave
	KindInput               // an input file cannot be read
	KindPassword            // an input file is protected and no (or a wrong) password was given
	KindJournal             // the journal cannot be placed or used
	KindTLS                 // the provider's certificate does not verify
	KindBusy                // another run is sending with the same journal and credentials
	KindNoSecret            // the provider's token or clave was not given
	KindNoParty             // the obligado's or the invoicer's NIT was not given
	KindNoAddress           // the provider has published no address for the operation in this environment
	KindOutput              // the result workbook cannot be where it was asked to be
	KindSetting             // a setting's value is refused (Error.Setting names it)
	KindJournalLost         // the journal is missing or empty where one existed
	KindJournalDamaged      // the journal's pages are damaged
	KindDisk                // the disk refused a write: full, read-only, or not the process's to write
)

// Error is a problem worded for a person, with its kind for the front end.
type Error struct {
	Kind    Kind
	Service Service // the provider concerned, if any
	Path    string  // the file concerned, if any
	Op      string  // the operation concerned, if any
	// Setting is the setting concerned, if any, as the configuration
	// file names it: "ops", "persona.nombres".
	Setting string
	Msg     string
}

func (e *Error) Error() string {
	if e.Path != "" {
		return filepath.Base(e.Path) + ": " + e.Msg
	}
	return e.Msg
}

// IsHash reports whether s has the shape of a CUFE or a CUDE as the DIAN
// makes them: 96 hexadecimal characters (a SHA-384), in lowercase. What a
// provider answers in their place is checked before it is kept.
func IsHash(s string) bool {
	if len(s) != 96 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Shape says what a value that should be a CUFE or CUDE looks like, for a
// message: its length and beginning, never all of it.
func Shape(s string) string {
	begin := []rune(s)
	if len(begin) > 16 {
		begin = append(begin[:16], '…')
	}
	return fmt.Sprintf("%d caracteres, «%s»", len([]rune(s)), string(begin))
}
