package journal

import (
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Group commit. Every Begin and End must be on disk before it returns, and
// a commit costs an fsync: fifty companies at their limits ask for 800 a
// second. The writer takes every record waiting when it is free and
// commits them in one transaction, each in a savepoint of its own (one
// record's failure undoes only its own); each caller still returns only
// once its record's transaction is committed. While one commit is on its
// way to disk the next group gathers, and while writers are concurrent a
// group waits a few milliseconds for more; a lone writer waits no longer
// than before, and a busy night commits far less often.

// maxGroup bounds the records committed together; lingerFor is how long a
// group waits for more when writers are concurrent.
const (
	maxGroup  = 256
	lingerFor = 10 * time.Millisecond
)

var (
	errClosed   = errors.New("el diario está cerrado")
	errReadOnly = errors.New("el diario está abierto solo para leer")
)

type record struct {
	write func(tx *sql.Tx) error
	done  chan error
}

type writer struct {
	db       *sql.DB
	records  chan record
	stop     chan struct{}
	finished chan struct{} // closed once the writer has stopped
	once     sync.Once

	stmts map[string]*sql.Stmt // prepared once: the writes of every group, and Recorded

	// Counted for make bench: transactions committed and records in them.
	mu              sync.Mutex
	commits, writes int
}

func newWriter(db *sql.DB) (*writer, error) {
	w := &writer{db: db, records: make(chan record, maxGroup), stop: make(chan struct{}), finished: make(chan struct{}), stmts: map[string]*sql.Stmt{}}
	for _, q := range []string{selectRow, insertAttempt, upsertRow, endAttempt, endRow} {
		s, err := db.Prepare(q)
		if err != nil {
			return nil, err
		}
		w.stmts[q] = s
	}
	go w.run()
	return w, nil
}

// do writes one record through the writer and returns once it is durable.
func (w *writer) do(write func(tx *sql.Tx) error) error {
	if w == nil {
		return errReadOnly
	}
	r := record{write: write, done: make(chan error, 1)}
	select {
	case <-w.stop:
		return errClosed
	default:
	}
	select {
	case w.records <- r:
	case <-w.stop:
		return errClosed
	}
	select {
	case err := <-r.done:
		return err
	case <-w.finished:
		// Closed while the record waited: written before, or never.
		select {
		case err := <-r.done:
			return err
		default:
			return errClosed
		}
	}
}

// stmt is a prepared statement within tx.
func (w *writer) stmt(tx *sql.Tx, q string) *sql.Stmt { return tx.Stmt(w.stmts[q]) }

func (w *writer) run() {
	defer close(w.finished)
	group := make([]record, 0, maxGroup)
	linger := false
	timer := time.NewTimer(0)
	<-timer.C
	for {
		select {
		case r := <-w.records:
			group = append(group[:0], r)
		case <-w.stop:
			w.drain()
			return
		}
		// When writers are concurrent (the last group was shared, or
		// records came while it was committed), the group waits a few
		// milliseconds for more; a lone writer never waits.
		var wait <-chan time.Time
		if linger {
			timer.Reset(lingerFor)
			wait = timer.C
		}
	gather:
		for len(group) < maxGroup {
			select {
			case r := <-w.records:
				group = append(group, r)
				continue
			default:
			}
			if wait == nil {
				break
			}
			select {
			case r := <-w.records:
				group = append(group, r)
			case <-wait:
				wait = nil
				break gather
			}
		}
		timer.Stop() // (since Go 1.23, no stale tick is left to drain)
		w.commit(group)
		linger = len(group) > 1 || len(w.records) > 0
	}
}

// drain answers the records that came after Close.
func (w *writer) drain() {
	for {
		select {
		case r := <-w.records:
			r.done <- errClosed
		default:
			return
		}
	}
}

func (w *writer) commit(group []record) {
	errs := make([]error, len(group))
	err := func() error {
		tx, err := w.db.Begin()
		if err != nil {
			return err
		}
		defer tx.Rollback()
		for i, r := range group {
			if _, err := tx.Exec(`SAVEPOINT record`); err != nil {
				return err
			}
			if errs[i] = r.write(tx); errs[i] != nil {
				if _, err := tx.Exec(`ROLLBACK TO record`); err != nil {
					return err
				}
			}
			if _, err := tx.Exec(`RELEASE record`); err != nil {
				return err
			}
		}
		return tx.Commit()
	}()
	w.mu.Lock()
	w.commits++
	w.writes += len(group)
	w.mu.Unlock()
	for i, r := range group {
		if err != nil {
			errs[i] = err
		}
		if errs[i] != nil {
			errs[i] = fmt.Errorf("no se pudo escribir en el diario: %w", errs[i])
		}
		r.done <- errs[i]
	}
}

func (w *writer) close() {
	w.once.Do(func() {
		close(w.stop)
		<-w.finished
		for _, s := range w.stmts {
			s.Close()
		}
	})
}

// Commits are the transactions the journal's writer committed and the
// records they held, since it was opened.
func (j *Journal) Commits() (commits, records int) {
	if j.w == nil {
		return 0, 0
	}
	j.w.mu.Lock()
	defer j.w.mu.Unlock()
	return j.w.commits, j.w.writes
}
