// Package listing prints what the journal knows of keys, for batch
// historial and batch pendientes: each key under the company it is for
// (named as the configuration names it), with the state the workbook gave
// it, the file and row it came from, and the invoice and issuer it names.
package listing

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"batch"

	"batch/cells"
	"batch/config"
	"batch/internal/text"
	"batch/journal"
	"batch/nit"
)

// Names gives a journal party (a NIT, or ssintegral:NIT) the name people
// know it by: "ACME 900111111", "ACME 900111111 (correos)".
type Names map[string]string

// Of is the party's name: its company's, or the party itself.
func (n Names) Of(party string) string {
	scope, nit, scoped := strings.Cut(party, ":")
	if !scoped {
		nit = party
	}
	name := nit
	if label, ok := n[nit]; ok {
		name = label
	}
	if scoped {
		return name + " (" + scope + ")"
	}
	return name
}

// Entry prints a key's entry with its attempts: the state the workbook
// gave it, and the provider's answer where a row's own check differs.
func Entry(w io.Writer, e journal.Entry, names Names) {
	shown := e.Shown()
	fmt.Fprintf(w, "  %s · %s de %s: %s%s (%d intentos; %s; %s)\n", e.Ambiente, e.Operation, text.Printable(names.Of(e.Party)), shown.Status, document(e),
		e.Result.Attempts, e.Updated.Local().Format("2006-01-02 15:04"), text.Printable(where(e)))
	if shown.Status != e.Result.Status {
		fmt.Fprintf(w, "    el proveedor respondió %s; la fila quedó %s: %s\n", e.Result.Status, shown.Status, text.Printable(shown.Message))
	}
	for _, r := range e.Rows {
		if r.Result.Status != shown.Status || r.Result.Message != shown.Message {
			fmt.Fprintf(w, "    %s: %s %s\n", text.Printable(r.Source), r.Result.Status, text.Printable(r.Result.Message))
		}
	}
	for _, a := range e.Attempts {
		fmt.Fprintf(w, "    %s  %-13s %-8s %s\n", a.Started.Local().Format("2006-01-02 15:04:05"), a.Outcome, a.Code, text.Printable(a.Message))
	}
}

// Line prints an entry on one line, for a list of many.
func Line(w io.Writer, e journal.Entry, names Names) {
	shown := e.Shown()
	fmt.Fprintf(w, "%s  %-9s %s · %s  %-13s %s  %s [%s]\n", e.Updated.Local().Format("2006-01-02 15:04"), e.Operation, text.Printable(names.Of(e.Party)), e.Ambiente,
		shown.Status, text.Printable(e.Key), text.Printable(where(e)), text.Printable(shown.Message))
}

// document is the CUDE or CUFE the provider gave.
func document(e journal.Entry) string {
	if v, ok := e.Result.Values["cude"].(string); ok && v != "" {
		return ", CUDE " + v
	} else if v, ok := e.Result.Values["cufe"].(string); ok && v != "" {
		return ", CUFE " + v
	}
	return ""
}

// where is the file and row the key was read from, and the invoice and
// issuer the row named.
func where(e journal.Entry) string {
	parts := []string{e.Source}
	switch {
	case e.Invoice != "" && e.Supplier != "":
		parts = append(parts, "factura "+e.Invoice+" de "+e.Supplier)
	case e.Invoice != "":
		parts = append(parts, "factura "+e.Invoice)
	case e.Supplier != "":
		parts = append(parts, "emisor "+e.Supplier)
	}
	return strings.Join(parts, "; ")
}

// NamesOf names each company of the configuration by its NIT; none
// without a file.
func NamesOf(file *config.File) Names {
	names := Names{}
	if file != nil {
		for _, c := range file.Companies {
			names[c.NIT] = strings.TrimSpace(c.Nombre + " " + c.NIT)
		}
	}
	return names
}

// Histories prints each key's whole story; found is false when the
// journal has nothing of one of them.
func Histories(w io.Writer, keys []string, histories [][]journal.Entry, names Names) (found bool) {
	found = true
	for i, key := range keys {
		fmt.Fprintf(w, "%s\n", text.Printable(key))
		if len(histories[i]) == 0 {
			fmt.Fprintln(w, "  el diario no tiene nada de esta clave ni de una factura con ese número")
			found = false
		}
		for _, e := range histories[i] {
			if !strings.EqualFold(e.Key, strings.TrimSpace(key)) {
				fmt.Fprintf(w, "  clave %s\n", text.Printable(e.Key)) // found by its beginning or its invoice
			}
			Entry(w, e, names)
		}
	}
	return found
}

// Filter is what batch historial's options ask for, as typed.
type Filter struct {
	Invoice, Supplier, From, To string
	Statuses                    []string
}

// Empty says no option asked for anything.
func (f Filter) Empty() bool { return f.Invoice+f.Supplier+f.From+f.To == "" && len(f.Statuses) == 0 }

// Query reads the options into a journal query, each mistake in Spanish.
func (f Filter) Query() (journal.Query, error) {
	q := journal.Query{Invoice: f.Invoice}
	var err error
	if f.Supplier != "" {
		if q.Supplier, err = nit.Parse(f.Supplier); err != nil {
			return q, fmt.Errorf("--proveedor: %w", err)
		}
	}
	if q.From, err = day(f.From, "desde", 0); err != nil {
		return q, err
	}
	if q.To, err = day(f.To, "hasta", 1); err != nil {
		return q, err
	}
	for _, s := range f.Statuses {
		st := batch.Status(strings.ToUpper(strings.TrimSpace(s)))
		if !slices.Contains(batch.Statuses, st) {
			return q, fmt.Errorf("--estado %s no es un estado de batch: use %v", s, batch.Statuses)
		}
		q.Statuses = append(q.Statuses, st)
	}
	return q, nil
}

// day is a --desde or --hasta date as the start of that local day, plus
// days; zero when not given.
func day(v, option string, days int) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	d, ok := cells.NormalizeDate(v)
	t, err := time.ParseInLocation("2006-01-02", d, time.Local)
	if !ok || err != nil {
		return time.Time{}, fmt.Errorf("--%s %s no es una fecha: escríbala como AAAA-MM-DD", option, v)
	}
	return t.AddDate(0, 0, days), nil
}

// Pending prints what needs a person, under each company: each key with
// the state the workbook gave it, the file and row it came from and why.
func Pending(w io.Writer, entries []journal.Entry, names Names) {
	party := ""
	for _, e := range entries {
		if e.Party != party {
			party = e.Party
			fmt.Fprintf(w, "%s\n", text.Printable(names.Of(party)))
		}
		shown := e.Shown()
		msg := shown.Message
		if shown.Status == batch.StatusPendiente && shown.Code != "" {
			msg = "(" + shown.Code + ") " + msg
		}
		fmt.Fprintf(w, "  %-10s %-13s %s  %s (%s) [%s]\n", e.Operation, shown.Status, text.Printable(e.Key), text.Printable(msg), text.Printable(where(e)), e.Ambiente)
	}
}
