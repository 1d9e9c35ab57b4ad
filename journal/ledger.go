package journal

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"batch"
)

// maxResponse bounds how much of an answer is kept per attempt.
const maxResponse = 64 << 10

// Ledger records one party's work in one environment: each key's state
// and every attempt, on disk before each call returns.
type Ledger struct {
	d        *DB
	ambiente string
	party    string // the obligado, or ssintegral:NIT for an invoicer's e-mails
}

// Recorded returns the last state recorded for a key: its result (Status
// may be batch.StatusEnVuelo) and when it was recorded.
func (l *Ledger) Recorded(op, key string) (batch.Result, time.Time, bool, error) {
	var (
		res             batch.Result
		status, vals, u string
	)
	var row *sql.Row
	if l.d.w != nil {
		row = l.d.w.recorded.QueryRow(l.ambiente, l.party, op, key)
	} else {
		row = l.d.db.QueryRow(selectRow, l.ambiente, l.party, op, key)
	}
	err := row.Scan(&status, &res.Code, &res.Message, &vals, &res.Attempts, &u)
	if errors.Is(err, sql.ErrNoRows) {
		return res, time.Time{}, false, nil
	}
	if err != nil {
		return res, time.Time{}, false, fmt.Errorf("no se pudo leer el diario: %w", err)
	}
	res.Status = batch.Status(status)
	if vals != "" && vals != "{}" {
		json.Unmarshal([]byte(vals), &res.Values)
	}
	at, _ := time.Parse(time.RFC3339Nano, u)
	return res, at, true, nil
}

const (
	selectRow     = `SELECT status, code, message, vals, attempts, updated_at FROM rows WHERE ambiente=? AND obligado=? AND operation=? AND key=?`
	insertAttempt = `INSERT INTO attempts (ambiente, obligado, operation, key, started_at, request) VALUES (?,?,?,?,?,?)`
	upsertRow     = `INSERT INTO rows (ambiente, obligado, operation, key, status, attempts, source, created_at, updated_at, invoice, supplier)
		VALUES (?,?,?,?,?,1,?,?,?,?,?)
		ON CONFLICT (ambiente, obligado, operation, key) DO UPDATE SET status=excluded.status, attempts=rows.attempts+1, source=excluded.source, updated_at=excluded.updated_at,
			invoice=CASE WHEN excluded.invoice != '' THEN excluded.invoice ELSE rows.invoice END,
			supplier=CASE WHEN excluded.supplier != '' THEN excluded.supplier ELSE rows.supplier END`
	endAttempt = `UPDATE attempts SET ended_at=?, http_status=?, code=?, outcome=?, message=?, response=? WHERE id=?`
	endRow     = `UPDATE rows SET status=?, code=?, message=?, vals=?, updated_at=? WHERE ambiente=? AND obligado=? AND operation=? AND key=?`
)

// Begin records that an attempt is about to be sent, with what it sends
// (never the token), and marks the key in flight. It is on disk when Begin
// returns.
func (l *Ledger) Begin(op, key string, from batch.Origin, request string) (int64, error) {
	var id int64
	err := l.d.w.do(func(tx txn) error {
		t := now()
		res, err := tx.Exec(insertAttempt, l.ambiente, l.party, op, key, t, request)
		if err != nil {
			return err
		}
		id, _ = res.LastInsertId()
		_, err = tx.Exec(upsertRow, l.ambiente, l.party, op, key, batch.StatusEnVuelo, from.Source, t, t, from.Invoice, from.Supplier)
		return err
	})
	return id, err
}

// End records an attempt's answer and the key's state after it, together.
// It is on disk when End returns.
func (l *Ledger) End(id int64, op, key string, ans batch.Answer, state batch.Result) error {
	vals, _ := json.Marshal(state.Values)
	if state.Values == nil {
		vals = []byte("{}")
	}
	resp := ans.Response
	if len(resp) > maxResponse {
		resp = resp[:maxResponse]
	}
	return l.d.w.do(func(tx txn) error {
		t := now()
		if _, err := tx.Exec(endAttempt, t, ans.HTTPStatus, ans.Code, string(state.Status), ans.Message, resp, id); err != nil {
			return err
		}
		_, err := tx.Exec(endRow, string(state.Status), state.Code, state.Message, string(vals), t, l.ambiente, l.party, op, key)
		return err
	})
}

// Router sends each operation's records to its party's ledger in one
// database: an SS Integral invoicer's dispatches apart from an Afacturar
// obligado's events, even under the same NIT.
type Router struct {
	def  *Ledger
	byOp map[string]*Ledger
}

// Route returns a router over l: the operations named in scopes go to
// those parties' ledgers, the rest to l.
func (l *Ledger) Route(scopes map[string]string) Router {
	r := Router{def: l, byOp: map[string]*Ledger{}}
	for op, scope := range scopes {
		r.byOp[op] = l.d.Ledger(l.ambiente, scope)
	}
	return r
}

func (r Router) of(op string) *Ledger {
	if o, ok := r.byOp[op]; ok {
		return o
	}
	return r.def
}

// ReplaceNotes is Ledger.ReplaceNotes, each note in its operation's scope.
func (r Router) ReplaceNotes(ops []string, notes []batch.Note) error {
	byScope := map[*Ledger][]batch.Note{}
	opsOf := map[*Ledger][]string{}
	for _, op := range ops {
		opsOf[r.of(op)] = append(opsOf[r.of(op)], op)
	}
	for _, n := range notes {
		byScope[r.of(n.Op)] = append(byScope[r.of(n.Op)], n)
	}
	for j, list := range opsOf {
		if err := j.ReplaceNotes(list, byScope[j]); err != nil {
			return err
		}
	}
	return nil
}

// Recorded is Ledger.Recorded in op's scope.
func (r Router) Recorded(op, key string) (batch.Result, time.Time, bool, error) {
	return r.of(op).Recorded(op, key)
}

// Begin is Ledger.Begin in op's scope.
func (r Router) Begin(op, key string, from batch.Origin, request string) (int64, error) {
	return r.of(op).Begin(op, key, from, request)
}

// End is Ledger.End in op's scope.
func (r Router) End(id int64, op, key string, ans batch.Answer, state batch.Result) error {
	return r.of(op).End(id, op, key, ans, state)
}

// RecordPause records an outage of a service that the run waited out:
// when it began and ended, how many probes went, and whether the service
// answered again.
func (l *Ledger) RecordPause(service string, start, end time.Time, probes int, recovered bool) error {
	_, err := l.d.db.Exec(`INSERT INTO pauses (ambiente, obligado, service, started_at, ended_at, probes, recovered) VALUES (?,?,?,?,?,?,?)`,
		l.ambiente, l.party, service, start.UTC().Format(time.RFC3339Nano), end.UTC().Format(time.RFC3339Nano), probes, recovered)
	if err != nil {
		return fmt.Errorf("no se pudo escribir en el diario: %w", err)
	}
	return nil
}

// RecordRun records how this party's last run in this environment ended,
// for batch pendientes: verdict is its exit code, problem what kept it
// from running or from reading a file ("" when nothing did), and cause,
// when it is a *batch.Error, its kind, kept for the front end to say what
// to change in its own terms.
func (l *Ledger) RecordRun(start, end time.Time, verdict int, problem string, cause error) error {
	var e batch.Error
	if be := (*batch.Error)(nil); errors.As(cause, &be) {
		e = *be
	}
	_, err := l.d.db.Exec(`INSERT OR REPLACE INTO runs (ambiente, obligado, started_at, ended_at, verdict, problem, kind, service, operation) VALUES (?,?,?,?,?,?,?,?,?)`,
		l.ambiente, l.party, start.UTC().Format(time.RFC3339Nano), end.UTC().Format(time.RFC3339Nano), verdict, problem, int(e.Kind), string(e.Service), e.Op)
	if err != nil {
		return fmt.Errorf("no se pudo escribir en el diario: %w", err)
	}
	return nil
}

// ReplaceNotes records the night's notes of the operations it ran, in
// place of the previous night's: what is still wrong shows, what was
// fixed does not.
func (l *Ledger) ReplaceNotes(ops []string, notes []batch.Note) error {
	tx, err := l.d.db.Begin()
	if err != nil {
		return fmt.Errorf("no se pudo escribir en el diario: %w", err)
	}
	defer tx.Rollback()
	for _, op := range ops {
		if _, err := tx.Exec(`DELETE FROM notes WHERE ambiente = ? AND obligado = ? AND operation = ?`, l.ambiente, l.party, op); err != nil {
			return fmt.Errorf("no se pudo escribir en el diario: %w", err)
		}
	}
	t := now()
	for _, n := range notes {
		if _, err := tx.Exec(`INSERT OR REPLACE INTO notes (ambiente, obligado, operation, source, key, status, code, message, recorded_at, invoice, supplier) VALUES (?,?,?,?,?,?,?,?,?,?,?)`, l.ambiente, l.party, n.Op, n.Source, n.Key,
			string(n.Result.Status), n.Result.Code, n.Result.Message, t, n.Invoice, n.Supplier); err != nil {
			return fmt.Errorf("no se pudo escribir en el diario: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("no se pudo escribir en el diario: %w", err)
	}
	return nil
}
