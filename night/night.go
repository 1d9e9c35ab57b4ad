// Package night runs the work of a night: one obligado's run (Run), from
// its files to its result workbook, and a night of several companies
// (Night), each run with its own credentials over one journal. It is handed
// plain settings that the front end has already checked and returns an
// outcome; the front end (cmd/batch) reads flags, files and variables,
// shows progress and turns the outcome into words and an exit code.
package night

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"batch"
	"batch/internal/secret"
	"batch/ops"
	"batch/ssintegral"
	"batch/writers"
)

// Person is who received the invoices, for files that lack the columns.
type Person = ops.Person

// Facturador is the invoicer on SS Integral, its Clave included.
type Facturador = ssintegral.Facturador

// Operations are every operation's name, in the order of the workbook's
// columns.
func Operations() []string {
	names := make([]string, len(ops.Table))
	for i, s := range ops.Table {
		names[i] = s.Name
	}
	return names
}

// Settings are one obligado's run, checked: its files, the providers'
// addresses and credentials, its pace and its journal.
type Settings struct {
	Files    []string
	Out      string // the result workbook; "" for NOMBRE-resultados.xlsx beside the first file
	Ambiente string // "pruebas" or "produccion"
	Obligado string // the Afacturar client (documento_obligado)
	Token    string // Afacturar's token
	// Facturador is the invoicer on SS Integral, with its Clave.
	Facturador Facturador
	SOAP12     bool
	// Sandbox: the providers are the simulator the front end started on
	// this machine; the journal keeps its answers apart from any real one.
	Sandbox bool
	// Reach is how each provider is reached where it differs from what it
	// says of itself (batch.Provider): an address, a limit.
	Reach map[batch.Service]*Reach

	InFlight   int // requests under way at most; 0 for what the limits need
	Timeout    time.Duration
	Attempts   int
	Limit      int // requests sent at most (per company in a night); 0 for no limit
	RetryDelay time.Duration
	Grace      time.Duration // how long answers under way are awaited once the front end stops the run
	Outage     time.Duration // how long a provider that is down is waited for
	WaitLock   time.Duration // how long to wait for another run with the same journal and party

	Journal       JournalPlace
	RetryRejected bool
	// Resend are keys (an invoice's "PREFIJO NUMERO", a CUFE) a person
	// asked to send again whatever the journal holds: an e-mail left
	// REVISAR, or one the customer did not get.
	Resend       []string
	Ops          string // the operations for every row; "" for each sheet's columns
	DryRun       bool
	FilePassword string // a protected workbook's password
	HiddenSheets bool
	NoHistory    bool
	Person       Person
	AdjuntosDir  string // where the e-mailed invoices' files are saved
	AdjuntosRaiz string // the folder attachments may come from

}

// Defaults are a run's settings where nobody says otherwise: DIAN's
// pruebas, answers awaited 90 s (Afacturar waits up to 60 s for the DIAN),
// eight attempts two seconds apart and doubling, half a minute of grace
// for answers under way when stopped, and half an hour for a provider that
// is down.
func Defaults() Settings {
	return Settings{Ambiente: "pruebas", Timeout: 90 * time.Second, Attempts: 8, RetryDelay: 2 * time.Second,
		Grace: 30 * time.Second, Outage: 30 * time.Minute, Journal: JournalPlace{Copies: 7}}
}

// Check refuses settings no run can be made of: operations that do not
// exist, a person who receives that Afacturar would refuse. Open and a
// night check them first; a front end may check them before anything
// else.
func (s Settings) Check() error {
	if _, err := ops.Parse(s.Ops); err != nil {
		return &batch.Error{Kind: batch.KindSetting, Setting: "ops", Msg: "las operaciones: " + err.Error()}
	}
	refuse := func(setting, msg string) error {
		return &batch.Error{Kind: batch.KindSetting, Setting: setting, Msg: msg}
	}
	for _, p := range batch.Providers() {
		if r := s.ReachOf(p); r.Rate <= 0 || r.Window <= 0 {
			key := "rate"
			if p.Table != "" {
				key = p.Table + ".rate"
			}
			return refuse(key, fmt.Sprintf("el límite de %s (solicitudes por ventana, y la ventana) debe ser mayor que 0", p.Service))
		}
	}
	switch {
	case s.Timeout <= 0:
		return refuse("timeout", "la espera por cada respuesta debe ser mayor que 0")
	case s.Limit < 0:
		return refuse("limite", "el límite de solicitudes no puede ser negativo (0: sin límite)")
	case s.Journal.Copies < 0:
		return refuse("copias_diario", "las copias del diario no pueden ser negativas (0: ninguna)")
	case s.RetryDelay <= 0:
		return refuse("espera_reintento", "la espera antes del primer reintento debe ser mayor que 0")
	case s.Outage <= 0:
		return refuse("espera_caida", "la espera a un proveedor caído debe ser mayor que 0")
	case s.Grace < 0 || s.WaitLock < 0:
		return refuse(map[bool]string{true: "espera_cierre", false: "esperar"}[s.Grace < 0], "una espera no puede ser negativa")
	case s.Ambiente != "pruebas" && s.Ambiente != "produccion":
		return refuse("ambiente", fmt.Sprintf("el ambiente %q no existe: use pruebas o produccion", s.Ambiente))
	case s.Facturador.CodigoEmpresa < 0:
		return refuse("ssintegral.codigo_empresa", fmt.Sprintf("el CodigoEmpresa de SS Integral %d debe ser un número entero positivo", s.Facturador.CodigoEmpresa))
	case s.Facturador.TipoAmbiente < 0 || s.Facturador.TipoAmbiente > 2:
		return refuse("ssintegral.tipo_ambiente", fmt.Sprintf("el TipoAmbiente de SS Integral %d no existe: use 1 (producción) o 2 (pruebas)", s.Facturador.TipoAmbiente))
	}
	return CheckPerson(s.Person)
}

// CheckPerson refuses what is given of the person who receives the
// invoices where Afacturar would refuse it; what is missing may come from
// each row.
func CheckPerson(p Person) error {
	if _, ok := ops.ParseTipoIdentificacion(p.TipoIdentificacion); p.TipoIdentificacion != "" && !ok {
		return &batch.Error{Kind: batch.KindSetting, Setting: "persona.tipo_identificacion",
			Msg: fmt.Sprintf("el tipo de identificación %q de quien recibe no es un código que acepte Afacturar: use %s", p.TipoIdentificacion, ops.TiposValidos)}
	}
	for _, f := range []struct{ name, value string }{{"nombres", p.Nombres}, {"apellidos", p.Apellidos}, {"cargo", p.Cargo}, {"area", p.Area}} {
		if f.value != "" && len([]rune(strings.TrimSpace(f.value))) < 3 {
			return &batch.Error{Kind: batch.KindSetting, Setting: "persona." + f.name,
				Msg: fmt.Sprintf("%s %q de quien recibe debe tener al menos 3 caracteres", f.name, f.value)}
		}
	}
	return nil
}

// Reach is how a run reaches a provider: each zero value is the
// provider's own.
type Reach struct {
	URL    string // in place of the provider's address in the Ambiente
	Rate   int    // requests per Window
	Window time.Duration
}

// ReachOf is how s reaches a provider: the provider's own address and
// limit, or what s gives in their place.
func (s Settings) ReachOf(p batch.Provider) Reach {
	r := Reach{URL: p.Addresses[s.Ambiente], Rate: p.Rate, Window: p.Window}
	if given := s.Reach[p.Service]; given != nil {
		r.URL = cmp.Or(given.URL, r.URL)
		r.Rate = cmp.Or(given.Rate, r.Rate)
		r.Window = cmp.Or(given.Window, r.Window)
	}
	return r
}

// Watcher is what a front end shows of a run while it goes. Wrote and
// Event may be called from several goroutines.
type Watcher interface {
	// Estimated hears the dry pass made before the first request.
	Estimated(Estimate)
	// Sending hears that requests start: total rows are to be written, and
	// sent counts the requests let out so far.
	Sending(total int, sent func() int)
	// Wrote hears each row that reaches the workbook.
	Wrote()
	// Event is a line about the providers: one went down, came back.
	Event(line string)
	// Notice is a line for the log about the night's files: one left
	// alone, a pattern that matched nothing.
	Notice(line string)
	// Sent hears that sending is over.
	Sent()
	// Finished hears the run's outcome, before it is returned.
	Finished(Outcome)
}

// Estimate is what a run holds, before it sends.
type Estimate struct {
	batch.Summary
	// AtLimit is how long the requests take at the providers' limits.
	AtLimit time.Duration
	Hidden  []string // the hidden sheets left unread
}

// Outcome is how a run ended.
type Outcome struct {
	Out     string // the result workbook (a dry run's revision)
	Summary batch.Summary
	AtLimit time.Duration // how long the run's requests take at the limits
	Hidden  []string      // the hidden sheets left unread
	DryRun  bool
	Sheets  []*batch.Sheet // the sheets read
	// Err is what ended sending early, the workbook written all the same:
	// a *Stopped, an unreadable input, the journal, context.Canceled when
	// the front end stopped it.
	Err error
	// Failed is what kept the run from starting or its workbook from being
	// written: there is nothing else to report.
	Failed error
	// Stopped is why sending stopped early (a *Stopped Err, or Failed),
	// as the workbooks and the journal keep it: the error's own words,
	// the run's secrets masked. What to change in the front end's terms
	// is the front end's to add, from the error's kind.
	Stopped string
	// Warnings went wrong on the side without changing the outcome (the
	// journal's list of notes could not be replaced).
	Warnings []error
	// Unread are the files that could not be read, each with why: their
	// rows were not sent; the others' were.
	Unread []writers.Unread
	// NoFiles: a company of a night whose patterns matched no file: a
	// quiet night, not a failure.
	NoFiles bool
}

// Estimate is the outcome as an estimate: a dry run's is its own.
func (o Outcome) Estimate() Estimate {
	return Estimate{Summary: o.Summary, AtLimit: o.AtLimit, Hidden: o.Hidden}
}

// Stopped is a provider that stopped the run's sending: it refused in a
// way that concerns every row (a token, a NIT, an address).
type Stopped struct{ Cause *batch.Error }

func (s *Stopped) Error() string { return s.Cause.Error() }
func (s *Stopped) Unwrap() error { return s.Cause }

// Verdict sums a run up; its values are the process's exit codes.
type Verdict int

const (
	Clean       Verdict = 0 // every row OK or YA_REGISTRADO
	Attention   Verdict = 1 // some row needs a person
	Nothing     Verdict = 2 // nothing could be done: unreadable input, refused token, bad settings
	Interrupted Verdict = 3 // a signal stopped the run: the rest is PENDIENTE for the next one
)

// Verdict is the outcome summed up.
func (o Outcome) Verdict() Verdict {
	var (
		stopped *Stopped
		be      *batch.Error
	)
	switch {
	case o.Failed != nil:
		return Nothing
	case len(o.Unread) > 0:
		return max(Attention, Outcome{Err: o.Err, DryRun: o.DryRun, Summary: o.Summary}.Verdict())
	case errors.As(o.Err, &stopped), errors.As(o.Err, &be):
		return Nothing
	case errors.Is(o.Err, context.Canceled):
		return Interrupted
	case o.Err != nil:
		return Nothing
	case o.DryRun:
		for _, counts := range o.Summary.Statuses {
			if counts[batch.StatusInvalido]+counts[batch.StatusRechazado] > 0 {
				return Attention
			}
		}
		if o.Summary.Flagged > 0 {
			return Attention
		}
		return Clean
	case !o.Summary.Complete():
		return Attention
	}
	return Clean
}

// WriteJSON writes the outcome's figures for automation.
func (o Outcome) WriteJSON(w io.Writer) error {
	return writers.WriteRunJSON(w, o.Out, o.DryRun, int(o.Verdict()), o.Stopped, o.Summary)
}

// words is err as the workbook and the journal keep it: its own message,
// with the run's secrets masked, whatever an answer or a file quoted.
func (s Settings) words(err error) string {
	return secret.New(s.Token, s.Facturador.Clave, s.FilePassword).Text(err.Error())
}

// AmbienteOf is an environment as a person may write it ("Producción",
// "PRUEBAS") in the form the settings take; anything else is left as it
// is, for Check to refuse.
func AmbienteOf(s string) string {
	v := strings.NewReplacer("ó", "o", "Ó", "o").Replace(strings.ToLower(strings.TrimSpace(s)))
	if v == "produccion" || v == "pruebas" {
		return v
	}
	return s
}
