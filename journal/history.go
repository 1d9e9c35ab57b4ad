package journal

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"batch"
)

// Attempt is one request recorded in the journal.
type Attempt struct {
	Started time.Time
	Outcome string // the key's state after it, or EN_VUELO if it never ended
	Code    string
	Message string
}

// Entry is what the journal knows of one key for one party and operation:
// its state and every attempt, across nights.
type Entry struct {
	Ambiente  string // the environment that answered: sandbox, pruebas, produccion, desconocido
	Party     string // the obligado, or ssintegral:NIT for e-mails
	Operation string
	Key       string
	Result    batch.Result
	Source    string // where the key was last read: file, sheet and row
	Invoice   string // the invoice the row names (prefix and number), "" when it does not
	Supplier  string // the NIT of the invoice's issuer, "" when the row does not say
	Updated   time.Time
	Attempts  []Attempt
	// Rows are the last night's rows of this key that a person must look
	// at although the provider answered (REVISAR after a row's own check):
	// what the workbook showed for them.
	Rows []Entry
}

// Shown is the state the workbook and batch pendientes give the key: a
// row's own REVISAR or INVALIDO over the provider's answer.
func (e Entry) Shown() batch.Result {
	for _, r := range e.Rows {
		if !r.Updated.Before(e.Updated) {
			return r.Result
		}
	}
	return e.Result
}

// History returns every entry for a key, whoever's and whatever
// operation's, with their attempts in order. A key of at least MinPrefix
// characters that is no whole key finds the one key it begins; one that
// begins several is refused, naming how many.
func (d *DB) History(key string) ([]Entry, error) {
	entries, err := d.entries(true, `WHERE key = ?`, key)
	if err != nil || len(entries) > 0 || len([]rune(key)) < MinPrefix {
		if err != nil {
			return nil, err
		}
		return d.withNotes(entries, `WHERE key = ?`, key)
	}
	var keys []string
	rows, err := d.db.Query(`SELECT DISTINCT key FROM rows WHERE substr(key, 1, ?) = ? LIMIT 10`, len(key), key)
	if err != nil {
		return nil, fmt.Errorf("no se pudo leer el diario: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("no se pudo leer el diario: %w", err)
		}
		keys = append(keys, k)
	}
	switch {
	case len(keys) > 1:
		return nil, &batch.Error{Kind: batch.KindOther, Msg: fmt.Sprintf("«%s» es el comienzo de %d claves del diario: escriba más caracteres", key, len(keys))}
	case len(keys) == 1:
		return d.History(keys[0])
	}
	return nil, rows.Err()
}

// Query finds keys by what their rows said of them rather than by the key:
// the invoice's number (prefix and number, written with or without space
// or hyphen), its issuer's NIT, when it was last sent (From inclusive, To
// exclusive; zero for no bound), and its state (any of Statuses; none for
// every one).
type Query struct {
	Invoice, Supplier string
	From, To          time.Time
	Statuses          []batch.Status
}

// Find returns the entries that match q, without their attempts, oldest
// first, with the last night's rows of each.
func (d *DB) Find(q Query) ([]Entry, error) {
	var (
		conds []string
		args  []any
	)
	if q.Invoice != "" {
		conds, args = append(conds, `upper(replace(replace(invoice, ' ', ''), '-', '')) = ?`), append(args, compactInvoice(q.Invoice))
	}
	if q.Supplier != "" {
		conds, args = append(conds, `supplier = ?`), append(args, q.Supplier)
	}
	if !q.From.IsZero() {
		conds, args = append(conds, `updated_at >= ?`), append(args, q.From.UTC().Format(time.RFC3339Nano))
	}
	if !q.To.IsZero() {
		conds, args = append(conds, `updated_at < ?`), append(args, q.To.UTC().Format(time.RFC3339Nano))
	}
	where := ""
	if len(conds) > 0 {
		where = "WHERE " + strings.Join(conds, " AND ")
	}
	entries, err := d.entries(false, where, args...)
	if err != nil {
		return nil, err
	}
	// Rows never sent (INVALIDO) are found by what they said too.
	if entries, err = d.withNotes(entries, where, args...); err != nil {
		return nil, err
	}
	if len(q.Statuses) == 0 {
		return entries, nil
	}
	var out []Entry
	for _, e := range entries {
		if slices.Contains(q.Statuses, e.Shown().Status) {
			out = append(out, e)
		}
	}
	return out, nil
}

// compactInvoice is an invoice number without case, spaces or hyphens:
// "fe-123", "FE 123" and "FE123" are one invoice.
func compactInvoice(s string) string {
	return strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(s))
}

// withNotes attaches to each entry the last night's rows of its key, and
// adds as entries of their own the notes matching where (over the notes
// table's columns) that no entry holds.
func (d *DB) withNotes(entries []Entry, where string, args ...any) ([]Entry, error) {
	keyed := map[[4]string]int{}
	for i, e := range entries {
		keyed[[4]string{e.Ambiente, e.Party, e.Operation, e.Key}] = i
	}
	// The notes are the last night's rows to look at: few, read once.
	all, err := d.noted()
	if err != nil {
		return nil, err
	}
	for _, n := range all {
		if i, ok := keyed[[4]string{n.Ambiente, n.Party, n.Operation, n.Key}]; ok && n.Key != "" {
			entries[i].Rows = append(entries[i].Rows, n)
		}
	}
	var notes []Entry
	loose, err := d.notesWhere(strings.ReplaceAll(where, "updated_at", "recorded_at"), args...)
	if err != nil {
		return nil, err
	}
	for _, n := range loose {
		if _, held := keyed[[4]string{n.Ambiente, n.Party, n.Operation, n.Key}]; !held || n.Key == "" {
			notes = append(notes, n)
		}
	}
	return append(entries, notes...), nil
}

// MinPrefix is the shortest beginning of a key that History looks up.
const MinPrefix = 8

// Run is how a party's last night in an environment ended.
type Run struct {
	Ambiente, Party string
	Ended           time.Time
	Verdict         int
	Problem         string
	// Cause is the kind of what kept it from running, with the service
	// and operation concerned: the front end's to word (KindOther when
	// the problem is only words, or was recorded before kinds were).
	Cause batch.Error
}

// Runs are the last nights that did not run or left files unread.
func (d *DB) Runs() ([]Run, error) {
	rows, err := d.db.Query(`SELECT ambiente, obligado, ended_at, verdict, problem, kind, service, operation FROM runs WHERE problem != '' ORDER BY obligado, ambiente`)
	if err != nil {
		return nil, fmt.Errorf("no se pudo leer el diario: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var (
			r       Run
			ended   string
			service string
		)
		if err := rows.Scan(&r.Ambiente, &r.Party, &ended, &r.Verdict, &r.Problem, &r.Cause.Kind, &service, &r.Cause.Op); err != nil {
			return nil, fmt.Errorf("no se pudo leer el diario: %w", err)
		}
		r.Ended, _ = time.Parse(time.RFC3339Nano, ended)
		r.Cause.Service, r.Cause.Msg = batch.Service(service), r.Problem
		out = append(out, r)
	}
	return out, rows.Err()
}

// Pending returns what needs a person or another night: the keys left
// RECHAZADO, ERROR, PENDIENTE, REVISAR (an e-mail that may have gone) or
// in flight, and the last night's rows left INVALIDO or REVISAR; by party.
func (d *DB) Pending() ([]Entry, error) {
	keys, err := d.entries(false, `WHERE status IN (?, ?, ?, ?, ?)`, string(batch.StatusRechazado), string(batch.StatusError),
		string(batch.StatusPendiente), string(batch.StatusEnVuelo), string(batch.StatusRevisar))
	if err != nil {
		return nil, err
	}
	notes, err := d.noted()
	if err != nil {
		return nil, err
	}
	held := map[[4]string]bool{}
	for _, e := range keys {
		held[[4]string{e.Ambiente, e.Party, e.Operation, e.Key}] = true
	}
	all := keys
	for _, n := range notes {
		if !held[[4]string{n.Ambiente, n.Party, n.Operation, n.Key}] {
			all = append(all, n)
		}
	}
	sort.SliceStable(all, func(a, b int) bool { return all[a].Party < all[b].Party })
	return all, nil
}

// entries reads the rows matching where; with attempts, each one's
// attempts too (one query per key: only for the few keys asked about).
func (d *DB) entries(attempts bool, where string, args ...any) ([]Entry, error) {
	rows, err := d.db.Query(`SELECT ambiente, obligado, operation, key, status, code, message, vals, attempts, source, updated_at, invoice, supplier FROM rows `+where+
		` ORDER BY obligado, ambiente, updated_at`, args...)
	if err != nil {
		return nil, fmt.Errorf("no se pudo leer el diario: %w", err)
	}
	var out []Entry
	for rows.Next() {
		var (
			e          Entry
			status, vs string
			updated    string
		)
		if err := rows.Scan(&e.Ambiente, &e.Party, &e.Operation, &e.Key, &status, &e.Result.Code, &e.Result.Message, &vs, &e.Result.Attempts, &e.Source, &updated, &e.Invoice, &e.Supplier); err != nil {
			rows.Close()
			return nil, fmt.Errorf("no se pudo leer el diario: %w", err)
		}
		e.Result.Status = batch.Status(status)
		json.Unmarshal([]byte(vs), &e.Result.Values)
		e.Updated, _ = time.Parse(time.RFC3339Nano, updated)
		out = append(out, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("no se pudo leer el diario: %w", err)
	}
	for i := range out {
		if !attempts {
			break
		}
		if out[i].Attempts, err = d.Attempts(out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Attempts are an entry's requests, in order.
func (d *DB) Attempts(e Entry) ([]Attempt, error) {
	rows, err := d.db.Query(`SELECT started_at, COALESCE(outcome, ''), COALESCE(code, ''), COALESCE(message, '') FROM attempts
		WHERE ambiente = ? AND obligado = ? AND operation = ? AND key = ? ORDER BY id`, e.Ambiente, e.Party, e.Operation, e.Key)
	if err != nil {
		return nil, fmt.Errorf("no se pudo leer el diario: %w", err)
	}
	defer rows.Close()
	var out []Attempt
	for rows.Next() {
		var (
			a       Attempt
			started string
		)
		if err := rows.Scan(&started, &a.Outcome, &a.Code, &a.Message); err != nil {
			return nil, fmt.Errorf("no se pudo leer el diario: %w", err)
		}
		a.Started, _ = time.Parse(time.RFC3339Nano, started)
		if a.Outcome == "" {
			a.Outcome = string(batch.StatusEnVuelo)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// OpenReadOnly opens an existing journal to read it, for the commands that
// answer questions about past nights. A journal of an earlier version is
// first brought up to date (the one write it makes); one that does not
// exist is not created.
func OpenReadOnly(path string) (*DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, &batch.Error{Kind: batch.KindJournal, Path: path, Msg: "no hay diario en esa ruta: ninguna ejecución lo ha creado"}
	}
	db, err := sql.Open("sqlite", dsn(path)+"&mode=ro")
	if err != nil {
		return nil, fmt.Errorf("no se puede abrir el diario %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	var version int
	if err := db.QueryRow(`PRAGMA user_version`).Scan(&version); err != nil {
		db.Close()
		return nil, fmt.Errorf("no se puede abrir el diario %s: %w", path, err)
	}
	if version < schemaVersion {
		// A journal of an earlier batch is brought up to date once, the
		// first time a newer one opens it, then read.
		db.Close()
		d, err := Open(path)
		if err != nil {
			return nil, err
		}
		d.Close()
		return OpenReadOnly(path)
	}
	return &DB{db: db, path: path}, nil
}

// noted are the last night's notes, as entries without attempts.
func (d *DB) noted() ([]Entry, error) { return d.notesWhere("") }

// notesWhere are the notes matching where, as entries without attempts.
func (d *DB) notesWhere(where string, args ...any) ([]Entry, error) {
	rows, err := d.db.Query(`SELECT ambiente, obligado, operation, key, status, code, message, source, recorded_at, invoice, supplier FROM notes `+where+
		` ORDER BY obligado, ambiente, source`, args...)
	if err != nil {
		return nil, fmt.Errorf("no se pudo leer el diario: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var (
			e               Entry
			status, updated string
		)
		if err := rows.Scan(&e.Ambiente, &e.Party, &e.Operation, &e.Key, &status, &e.Result.Code, &e.Result.Message, &e.Source, &updated, &e.Invoice, &e.Supplier); err != nil {
			return nil, fmt.Errorf("no se pudo leer el diario: %w", err)
		}
		e.Result.Status = batch.Status(status)
		e.Updated, _ = time.Parse(time.RFC3339Nano, updated)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Done is a key an environment's provider answered for good: its
// operation, party and key, and the document the answer gave.
type Done struct {
	Operation, Party, Key, CUDE string
}

// Done are the keys of ops left OK or YA_REGISTRADO in ambiente, for the
// sandbox to remember what earlier runs registered in it.
func (d *DB) Done(ambiente string, ops []string) ([]Done, error) {
	var out []Done
	for _, op := range ops {
		entries, err := d.entries(false, `WHERE ambiente = ? AND operation = ? AND status IN (?, ?)`, ambiente, op, string(batch.StatusOK), string(batch.StatusYaRegistrado))
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			cude, _ := e.Result.Values["cude"].(string)
			out = append(out, Done{Operation: op, Party: e.Party, Key: e.Key, CUDE: cude})
		}
	}
	return out, nil
}
