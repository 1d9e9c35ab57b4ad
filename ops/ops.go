// Package ops holds the operations a row can ask for: what each checks
// before a request is spent, how it turns a row into a request, and which
// columns it adds to the result workbook. Its table says which operations
// exist; adding one is a file here with its Spec, and its client.
package ops

import (
	"fmt"
	"strings"

	"batch"
	"batch/afacturar"
	"batch/ssintegral"
)

// Table is every operation batch knows, in workbook order.
var Table = []Spec{acuseSpec, reciboSpec, reclamoSpec, historicoSpec, tenedorSpec, cuvSpec, correoSpec}

// Spec declares an operation.
type Spec struct {
	Name string
	// Key is the column holding the key that identifies the row's work.
	Key batch.Field
	// Needs are the columns that turn the operation on when the person
	// does not choose the operations.
	Needs []batch.Field
	// Issued marks an operation on issued invoices: it is for the sheets
	// that have its Needs, and the others are not. A sheet of issued
	// invoices often has a CUFE column too, and its invoices are not for
	// an acuse, as a sheet of received invoices often has their numbers
	// and dates.
	Issued bool
	// Service is the provider whose limit and credentials it spends.
	Service batch.Service
	// Endpoint is the provider's name for the operation, for messages.
	Endpoint string
	// PruebasOnly: the provider publishes the operation only in DIAN's
	// test environment.
	PruebasOnly bool
	// Repeat is what the same request sent twice does. The zero value is
	// the careful one: an operation that does not say is sent at most once.
	Repeat Repeat
	// Batch is how many keys one request carries (0: one); such an
	// operation paces its own requests.
	Batch int
	// New builds the operation for a run.
	New func(Env) Operation
}

// Repeat is what a provider does with a request it has already acted on:
// whether the tool may send again an attempt whose outcome it does not
// know.
type Repeat int

const (
	// RepeatReaches: the provider acts again, and a person feels it (the
	// customer gets the e-mail twice). An attempt of unknown outcome leaves
	// the row REVISAR until a person names it (--reenviar).
	RepeatReaches Repeat = iota
	// RepeatRefused: the provider answers a repeat as already done (a
	// RADIAN event: DIAN's rule LGC01); resending is safe.
	RepeatRefused
	// RepeatHarmless: a query, which changes nothing.
	RepeatHarmless
)

// Env is what operations are built from.
type Env struct {
	Afacturar  *afacturar.Client
	SSIntegral *ssintegral.Client
	// Person is who received the invoices, for files that lack the columns.
	Person Person
	// FilesDir is where the e-mail dispatch saves the PDF and XML it gets.
	FilesDir string
	// WorkbookDir is the result workbook's folder.
	WorkbookDir string
	// AttachmentsRoot is the only folder attachments may come from; empty,
	// each input file's own folder.
	AttachmentsRoot string
	// NoHistory keeps a YA_REGISTRADO's CUDE empty rather than asking the
	// history for it.
	NoHistory bool
	// Wanted are the operations named by the person: every row asks them.
	Wanted map[string]bool
	// NoInvoicer, when set, is why no e-mail may be sent: the SS Integral
	// account is not the company's. Every e-mail row is INVALIDO with it.
	NoInvoicer string
}

// Operation is one operation of a run: it prepares each row's request and
// shows each result in its columns.
type Operation interface {
	Name() string
	KeyField() batch.Field
	// Prepare checks a row and builds its request once, or says why the
	// row must not be sent.
	Prepare(row batch.Row) (batch.Request, string)
	Columns() []string
	Cells(batch.Result) []any
	// Statuses are the statuses a row of the operation can end in: the
	// Resumen sheet lists those (in batch.Statuses' order) and any other
	// that happened anyway.
	Statuses() []batch.Status
}

// Every operation's rows end OK, refused by the provider, invalid before
// sending, in an answer that could not be read, or pending; each adds its
// own (YA_REGISTRADO, REVISAR).
func statuses(own ...batch.Status) []batch.Status {
	return append(append([]batch.Status{batch.StatusOK}, own...),
		batch.StatusRechazado, batch.StatusInvalido, batch.StatusError, batch.StatusPendiente)
}

// Lookup returns the operation named name.
func Lookup(name string) (Spec, bool) {
	for _, s := range Table {
		if s.Name == name {
			return s, true
		}
	}
	return Spec{}, false
}

// Parse reads a list of operation names separated by commas; an empty list
// means "let the sheets decide".
func Parse(list string) (map[string]bool, error) {
	wanted := map[string]bool{}
	for _, name := range strings.Split(list, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		if _, ok := Lookup(name); !ok {
			return nil, fmt.Errorf("operación desconocida %q; use %s o varias separadas por coma", name, names())
		}
		wanted[name] = true
	}
	return wanted, nil
}

func names() string {
	n := make([]string, len(Table))
	for i, s := range Table {
		n[i] = s.Name
	}
	return strings.Join(n, ", ")
}

// KeyFields are the columns that make a header row for the wanted
// operations (all of them when none is named).
func KeyFields(wanted map[string]bool) []batch.Field {
	var keys []batch.Field
	for _, s := range Table {
		if len(wanted) == 0 || wanted[s.Name] {
			keys = append(keys, s.Key)
		}
	}
	return keys
}

// Choose returns the operations of a run with the sheets each is for (nil:
// every sheet). Named operations apply to every sheet; otherwise each
// sheet asks for the operations whose columns it has.
func Choose(wanted map[string]bool, sheets []*batch.Sheet) ([]Spec, map[string]map[*batch.Sheet]bool) {
	var chosen []Spec
	if len(wanted) > 0 {
		for _, s := range Table {
			if wanted[s.Name] {
				chosen = append(chosen, s)
			}
		}
		return chosen, nil
	}
	found := map[string]map[*batch.Sheet]bool{}
	for _, sh := range sheets {
		issued := isIssued(sh)
		for _, s := range Table {
			if has(sh, s.Needs) && s.Issued == issued {
				if found[s.Name] == nil {
					found[s.Name] = map[*batch.Sheet]bool{}
				}
				found[s.Name][sh] = true
			}
		}
	}
	for _, s := range Table {
		if found[s.Name] != nil {
			chosen = append(chosen, s)
		}
	}
	return chosen, found
}

// isIssued reports whether a sheet is of issued invoices: it has the
// columns of an operation on them.
func isIssued(sh *batch.Sheet) bool {
	for _, s := range Table {
		if s.Issued && has(sh, s.Needs) {
			return true
		}
	}
	return false
}

func has(sh *batch.Sheet, fields []batch.Field) bool {
	for _, f := range fields {
		if _, ok := sh.Index[f]; !ok {
			return false
		}
	}
	return true
}
