// Package journal is the run's durable memory: an embedded SQLite database
// (no cgo) that records, per environment (sandbox, DIAN's pruebas,
// producción), obligado, operation and key, each row's state and every
// attempt, so that a crash loses nothing, a later run sends nothing twice,
// and a test's answer never passes for a real one.
package journal

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite"

	"batch"
)

// maxResponse bounds how much of an answer is kept per attempt.
const maxResponse = 64 << 10

const schema = `
CREATE TABLE IF NOT EXISTS rows (
	obligado   TEXT NOT NULL,
	operation  TEXT NOT NULL,
	key        TEXT NOT NULL,
	status     TEXT NOT NULL,
	code       TEXT NOT NULL DEFAULT '',
	message    TEXT NOT NULL DEFAULT '',
	vals       TEXT NOT NULL DEFAULT '{}',
	attempts   INTEGER NOT NULL DEFAULT 0,
	source     TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	PRIMARY KEY (obligado, operation, key)
);
CREATE TABLE IF NOT EXISTS attempts (
	id          INTEGER PRIMARY KEY,
	obligado    TEXT NOT NULL,
	operation   TEXT NOT NULL,
	key         TEXT NOT NULL,
	started_at  TEXT NOT NULL,
	ended_at    TEXT,
	request     TEXT NOT NULL,
	http_status INTEGER,
	code        TEXT,
	outcome     TEXT,
	message     TEXT,
	response    TEXT
);
CREATE INDEX IF NOT EXISTS attempts_by_key ON attempts (obligado, operation, key);
CREATE TABLE IF NOT EXISTS notes (
	obligado    TEXT NOT NULL,
	operation   TEXT NOT NULL,
	source      TEXT NOT NULL,
	key         TEXT NOT NULL,
	status      TEXT NOT NULL,
	code        TEXT NOT NULL,
	message     TEXT NOT NULL,
	recorded_at TEXT NOT NULL,
	PRIMARY KEY (obligado, operation, source)
);
CREATE TABLE IF NOT EXISTS pauses (
	id         INTEGER PRIMARY KEY,
	obligado   TEXT NOT NULL,
	service    TEXT NOT NULL,
	started_at TEXT NOT NULL,
	ended_at   TEXT NOT NULL,
	probes     INTEGER NOT NULL,
	recovered  INTEGER NOT NULL
);
`

// Environments a journal keeps apart. A journal written before they were
// recorded has its rows in Unknown, which no run reuses.
const (
	Sandbox    = "sandbox"
	Pruebas    = "pruebas"
	Produccion = "produccion"
	Unknown    = "desconocido"
)

// Journal records one obligado's work in one environment.
type Journal struct {
	db       *sql.DB
	w        *writer // the group committer of Begin and End, shared by For
	ambiente string
	obligado string
	path     string
}

// DefaultPath is the journal's place per user, shared by every night's run:
// STATE/batch/journal.db for the user's state folder (XDG_STATE_HOME), or
// HOME/.local/state/batch/journal.db.
func DefaultPath(stateHome, home string) (string, error) {
	if stateHome != "" && filepath.IsAbs(stateHome) {
		return filepath.Join(stateHome, "batch", "journal.db"), nil
	}
	if home == "" {
		var err error
		if home, err = os.UserHomeDir(); err != nil {
			return "", &batch.Error{Kind: batch.KindJournal, Msg: "no se sabe dónde guardar el diario: no hay carpeta personal (HOME)"}
		}
	}
	return filepath.Join(home, ".local", "state", "batch", "journal.db"), nil
}

// Open opens (or creates) the journal at path for one obligado, in no
// environment yet (For names it). Every write is a transaction committed to
// disk before it returns.
func Open(path, obligado string) (*Journal, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("no se puede crear la carpeta del diario %s: %w", filepath.Dir(path), err)
	}
	// A link could make the chmod below, and every write, land on a file
	// someone else chose.
	if st, err := os.Lstat(path); err == nil && st.Mode()&os.ModeSymlink != 0 {
		return nil, &batch.Error{Kind: batch.KindJournal, Msg: fmt.Sprintf("el diario %s es un enlace simbólico: no se usa; dé la ruta del archivo mismo", path)}
	}
	// The file is the owner's alone from its first byte: SQLite gives its
	// -wal and -shm the database file's permissions, and they hold what
	// the rows hold (e-mail addresses, names).
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("no se puede abrir el diario %s: %w", path, err)
	}
	f.Close()
	os.Chmod(path, 0o600)
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("no se puede abrir el diario %s: %w", path, err)
	}
	// Two connections: the group writer's own, and one for everything
	// else (reads see only what is committed; the rare other writes wait
	// for the writer's lock through busy_timeout).
	db.SetMaxOpenConns(2)
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("el diario %s no se puede usar (¿está dañado o no es un diario de batch?): %w", path, err)
	}
	if err := migrate(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("no se pudo poner al día el diario %s: %w", path, err)
	}
	w, err := newWriter(db)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("el diario %s no se puede usar: %w", path, err)
	}
	return &Journal{db: db, w: w, obligado: obligado, path: path}, nil
}

// dsn is the driver's name for the file at path: a URI whose path is
// escaped, so that a "?" or "#" in a folder's name is part of the name and
// never an option. The WAL is copied back into the database every 8192
// pages (32 MB) rather than SQLite's 1000: a busy night rewrites the same
// pages commit after commit, and a checkpoint copies each page once
// (fifty companies at their limits: 41 % fewer reads, 10 % fewer writes).
func dsn(path string) string {
	escaped := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + escaped + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=wal_autocheckpoint(8192)"
}

// For returns the journal of another party in the same database: an SS
// Integral invoicer's keys beside an Afacturar obligado's. Only the journal
// Open returned is closed.
func (j *Journal) For(ambiente, obligado string) *Journal {
	return &Journal{db: j.db, w: j.w, ambiente: ambiente, obligado: obligado, path: j.path}
}

// Path is where the journal lives.
func (j *Journal) Path() string { return j.path }

// Close closes the database, once every record given to it is written.
func (j *Journal) Close() error {
	if j.w != nil {
		j.w.close()
	}
	return j.db.Close()
}

func now() string { return time.Now().UTC().Format(time.RFC3339Nano) }

// Recorded returns the last state recorded for a key: its result (Status
// may be batch.StatusEnVuelo) and when it was recorded.
func (j *Journal) Recorded(op, key string) (batch.Result, time.Time, bool, error) {
	var (
		res             batch.Result
		status, vals, u string
	)
	var row *sql.Row
	if j.w != nil {
		row = j.w.recorded.QueryRow(j.ambiente, j.obligado, op, key)
	} else {
		row = j.db.QueryRow(selectRow, j.ambiente, j.obligado, op, key)
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
	upsertRow     = `INSERT INTO rows (ambiente, obligado, operation, key, status, attempts, source, created_at, updated_at)
		VALUES (?,?,?,?,?,1,?,?,?)
		ON CONFLICT (ambiente, obligado, operation, key) DO UPDATE SET status=excluded.status, attempts=rows.attempts+1, source=excluded.source, updated_at=excluded.updated_at`
	endAttempt = `UPDATE attempts SET ended_at=?, http_status=?, code=?, outcome=?, message=?, response=? WHERE id=?`
	endRow     = `UPDATE rows SET status=?, code=?, message=?, vals=?, updated_at=? WHERE ambiente=? AND obligado=? AND operation=? AND key=?`
)

// Begin records that an attempt is about to be sent, with what it sends
// (never the token), and marks the key in flight. It is on disk when Begin
// returns.
func (j *Journal) Begin(op, key, source, request string) (int64, error) {
	var id int64
	err := j.w.do(func(tx txn) error {
		t := now()
		res, err := tx.Exec(insertAttempt, j.ambiente, j.obligado, op, key, t, request)
		if err != nil {
			return err
		}
		id, _ = res.LastInsertId()
		_, err = tx.Exec(upsertRow, j.ambiente, j.obligado, op, key, batch.StatusEnVuelo, source, t, t)
		return err
	})
	return id, err
}

// End records an attempt's answer and the key's state after it, together.
// It is on disk when End returns.
func (j *Journal) End(id int64, op, key string, ans batch.Answer, state batch.Result) error {
	vals, _ := json.Marshal(state.Values)
	if state.Values == nil {
		vals = []byte("{}")
	}
	resp := ans.Response
	if len(resp) > maxResponse {
		resp = resp[:maxResponse]
	}
	return j.w.do(func(tx txn) error {
		t := now()
		if _, err := tx.Exec(endAttempt, t, ans.HTTPStatus, ans.Code, string(state.Status), ans.Message, resp, id); err != nil {
			return err
		}
		_, err := tx.Exec(endRow, string(state.Status), state.Code, state.Message, string(vals), t, j.ambiente, j.obligado, op, key)
		return err
	})
}

// Router sends each operation's records to its party's scope in one
// database: an SS Integral invoicer's dispatches apart from an Afacturar
// obligado's events, even under the same NIT.
type Router struct {
	def  *Journal
	byOp map[string]*Journal
}

// Route returns a router over j: the operations named in scopes go to
// those scopes, the rest to j's own.
func (j *Journal) Route(scopes map[string]string) Router {
	r := Router{def: j, byOp: map[string]*Journal{}}
	for op, scope := range scopes {
		r.byOp[op] = j.For(j.ambiente, scope)
	}
	return r
}

func (r Router) of(op string) *Journal {
	if o, ok := r.byOp[op]; ok {
		return o
	}
	return r.def
}

// ReplaceNotes is Journal.ReplaceNotes, each note in its operation's scope.
func (r Router) ReplaceNotes(ops []string, notes []batch.Note) error {
	byScope := map[*Journal][]batch.Note{}
	opsOf := map[*Journal][]string{}
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

// Recorded is Journal.Recorded in op's scope.
func (r Router) Recorded(op, key string) (batch.Result, time.Time, bool, error) {
	return r.of(op).Recorded(op, key)
}

// Begin is Journal.Begin in op's scope.
func (r Router) Begin(op, key, source, request string) (int64, error) {
	return r.of(op).Begin(op, key, source, request)
}

// End is Journal.End in op's scope.
func (r Router) End(id int64, op, key string, ans batch.Answer, state batch.Result) error {
	return r.of(op).End(id, op, key, ans, state)
}

// RecordPause records an outage of a service that the run waited out:
// when it began and ended, how many probes went, and whether the service
// answered again.
func (j *Journal) RecordPause(service string, start, end time.Time, probes int, recovered bool) error {
	_, err := j.db.Exec(`INSERT INTO pauses (ambiente, obligado, service, started_at, ended_at, probes, recovered) VALUES (?,?,?,?,?,?,?)`,
		j.ambiente, j.obligado, service, start.UTC().Format(time.RFC3339Nano), end.UTC().Format(time.RFC3339Nano), probes, recovered)
	if err != nil {
		return fmt.Errorf("no se pudo escribir en el diario: %w", err)
	}
	return nil
}

// RecordRun records how this party's last run in this environment ended,
// for batch pendientes: verdict is its exit code, problem what kept it
// from running or from reading a file ("" when nothing did).
func (j *Journal) RecordRun(start, end time.Time, verdict int, problem string) error {
	_, err := j.db.Exec(`INSERT OR REPLACE INTO runs (ambiente, obligado, started_at, ended_at, verdict, problem) VALUES (?,?,?,?,?,?)`,
		j.ambiente, j.obligado, start.UTC().Format(time.RFC3339Nano), end.UTC().Format(time.RFC3339Nano), verdict, problem)
	if err != nil {
		return fmt.Errorf("no se pudo escribir en el diario: %w", err)
	}
	return nil
}

// Assign gives the rows recorded before environments were (Unknown) the
// environment the operator says they came from. A key the environment
// already has keeps its own record; the count is what moved.
func (j *Journal) Assign(ambiente string) (int64, error) {
	tx, err := j.db.Begin()
	if err != nil {
		return 0, fmt.Errorf("no se pudo escribir en el diario: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.Exec(`UPDATE OR IGNORE rows SET ambiente = ? WHERE ambiente = ?`, ambiente, Unknown)
	if err != nil {
		return 0, fmt.Errorf("no se pudo escribir en el diario: %w", err)
	}
	moved, _ := res.RowsAffected()
	for _, stmt := range []string{
		// The attempts of the keys that moved (not those left behind).
		`UPDATE attempts SET ambiente = ?1 WHERE ambiente = ?2 AND NOT EXISTS (SELECT 1 FROM rows r
			WHERE r.ambiente = ?2 AND r.obligado = attempts.obligado AND r.operation = attempts.operation AND r.key = attempts.key)`,
		`UPDATE OR IGNORE notes SET ambiente = ?1 WHERE ambiente = ?2`,
		`UPDATE pauses SET ambiente = ?1 WHERE ambiente = ?2`,
	} {
		if _, err := tx.Exec(stmt, ambiente, Unknown); err != nil {
			return 0, fmt.Errorf("no se pudo escribir en el diario: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("no se pudo escribir en el diario: %w", err)
	}
	return moved, nil
}
