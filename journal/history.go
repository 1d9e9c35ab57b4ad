package journal

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
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
	Party     string // the obligado, or ssintegral:NIT for e-mails
	Operation string
	Key       string
	Result    batch.Result
	Source    string // where the key was last read: sheet and row
	Updated   time.Time
	Attempts  []Attempt
}

// History returns every entry for a key, whoever's and whatever
// operation's, with their attempts in order.
func (j *Journal) History(key string) ([]Entry, error) {
	return j.entries(`WHERE key = ?`, key)
}

// Pending returns the entries that need a person or another night:
// RECHAZADO, ERROR, PENDIENTE and those left in flight, oldest first.
func (j *Journal) Pending() ([]Entry, error) {
	return j.entries(`WHERE status IN (?, ?, ?, ?)`, string(batch.StatusRechazado), string(batch.StatusError),
		string(batch.StatusPendiente), string(batch.StatusEnVuelo))
}

func (j *Journal) entries(where string, args ...any) ([]Entry, error) {
	rows, err := j.db.Query(`SELECT obligado, operation, key, status, code, message, vals, attempts, source, updated_at FROM rows `+where+
		` ORDER BY obligado, updated_at`, args...)
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
		if err := rows.Scan(&e.Party, &e.Operation, &e.Key, &status, &e.Result.Code, &e.Result.Message, &vs, &e.Result.Attempts, &e.Source, &updated); err != nil {
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
		if out[i].Attempts, err = j.attempts(out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (j *Journal) attempts(e Entry) ([]Attempt, error) {
	rows, err := j.db.Query(`SELECT started_at, COALESCE(outcome, ''), COALESCE(code, ''), COALESCE(message, '') FROM attempts
		WHERE obligado = ? AND operation = ? AND key = ? ORDER BY id`, e.Party, e.Operation, e.Key)
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

// OpenReadOnly opens an existing journal to read it, changing nothing:
// the commands that answer questions about past nights.
func OpenReadOnly(path string) (*Journal, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, &batch.Error{Kind: batch.KindJournal, Path: path, Msg: "no hay diario en esa ruta: ninguna ejecución lo ha creado"}
	}
	db, err := sql.Open("sqlite", dsn(path)+"&mode=ro")
	if err != nil {
		return nil, fmt.Errorf("no se puede abrir el diario %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("no se puede abrir el diario %s: %w", path, err)
	}
	return &Journal{db: db, path: path}, nil
}
