// Package journal is the run's durable memory: an embedded SQLite database
// (no cgo) that records, per environment (sandbox, DIAN's pruebas,
// producción), obligado, operation and key, each row's state and every
// attempt, so that a crash loses nothing, a later run sends nothing twice,
// and a test's answer never passes for a real one.
package journal

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite"

	"batch"
)

// Environments a journal keeps apart. A journal written before they were
// recorded has its rows in Unknown, which no run reuses.
const (
	Sandbox    = "sandbox"
	Pruebas    = "pruebas"
	Produccion = "produccion"
	Unknown    = "desconocido"
)

// DB is a journal file: it opens, migrates, locks and closes it, answers
// questions about past nights, and hands out a Ledger per environment and
// party.
type DB struct {
	db   *sql.DB
	w    *writer // the group committer of Begin and End; nil when opened read-only
	path string
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

// Open opens (or creates) the journal at path, for writing: every write
// is a transaction committed to disk before it returns.
func Open(path string) (*DB, error) {
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
	// A damaged journal is not written to: what it lost would be sent
	// again. Its newest copy is named.
	if problem := (&DB{db: db}).quickCheck(); problem != "" {
		db.Close()
		return nil, &batch.Error{Kind: batch.KindJournalDamaged, Msg: fmt.Sprintf("el diario %s está dañado (%s): no se envió nada%s", path, problem, restoreHint(path))}
	}
	if err := prepare(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("el diario %s no se puede usar: %w%s", path, err, restoreHint(path))
	}
	w, err := newWriter(db, filepath.Dir(path))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("el diario %s no se puede usar: %w", path, err)
	}
	return &DB{db: db, w: w, path: path}, nil
}

// dsn is the driver's name for the file at path: a URI whose path is
// escaped, so that a "?" or "#" in a folder's name is part of the name and
// never an option. The WAL is copied back into the database every 8192
// pages (32 MB) rather than SQLite's 1000: a busy night rewrites the same
// pages commit after commit, and a checkpoint copies each page once
// (fifty companies at their limits: 41 % fewer reads, 10 % fewer writes).
func dsn(path string) string {
	return fileURI(path) + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=wal_autocheckpoint(8192)"
}

// fileURI is the driver's name for the file at path, its path escaped.
func fileURI(path string) string {
	return "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
}

// Ledger is where one party's work in one environment is recorded: an
// Afacturar obligado's events, an SS Integral invoicer's e-mails. The
// party's NIT is kept in one form however it is written.
func (d *DB) Ledger(ambiente, party string) *Ledger {
	return &Ledger{d: d, ambiente: ambiente, party: CanonicalParty(party)}
}

// Path is where the journal lives.
func (d *DB) Path() string { return d.path }

// Close closes the database, once every record given to it is written.
func (d *DB) Close() error {
	if d.w != nil {
		d.w.close()
	}
	return d.db.Close()
}

func now() string { return time.Now().UTC().Format(time.RFC3339Nano) }

// Assign gives the rows recorded before environments were (Unknown) the
// environment the operator says they came from. A key the environment
// already has keeps its own record; the count is what moved.
func (d *DB) Assign(ambiente string) (int64, error) {
	tx, err := d.db.Begin()
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
