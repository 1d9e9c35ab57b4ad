package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"time"

	"batch/internal/diskerr"
)

// Group commit. Every Begin and End must be on disk before it returns, and
// a commit costs an fsync: fifty companies at their limits ask for 800 a
// second. The writer takes every record waiting when it is free and
// commits them in one transaction; each caller still returns only once its
// record's transaction is committed. Should one record fail, the group is
// undone and each of its records written again alone, so that the failure
// is its record's only. While one commit is on its way to disk the next
// group gathers, and while writers are concurrent a group waits a few
// milliseconds for more; a lone writer waits no longer than before, and a
// busy night commits far less often.
//
// The writer keeps a connection of its own, with its statements prepared
// on it. Reads (Recorded) use another connection and see only what is
// committed.

// maxGroup bounds the records committed together; lingerFor is how long a
// group waits for more when writers are concurrent.
const (
	maxGroup  = 256
	lingerFor = 20 * time.Millisecond
)

var (
	errClosed   = errors.New("el diario está cerrado")
	errReadOnly = errors.New("el diario está abierto solo para leer")
)

type record struct {
	write func(tx txn) error
	done  chan error
}

// txn is the writer's open transaction, as a record sees it.
type txn struct{ w *writer }

// Exec runs q in the transaction: one of the prepared writes, or any
// other statement.
func (t txn) Exec(q string, args ...any) (sql.Result, error) {
	if s, ok := t.w.writes[q]; ok {
		return s.Exec(args...)
	}
	return t.w.conn.ExecContext(context.Background(), q, args...)
}

type writer struct {
	dir      string // the journal's folder, for the disk's refusals
	db       *sql.DB
	conn     *sql.Conn // the writer's own: groups are written on it alone
	records  chan record
	stop     chan struct{}
	finished chan struct{} // closed once the writer has stopped
	once     sync.Once

	writes   map[string]*sql.Stmt // prepared once on conn: the writes of every group
	recorded *sql.Stmt            // Recorded's query, prepared once on the pool

	// Counted for make bench: transactions committed and records in them.
	mu               sync.Mutex
	commits, written int
}

func newWriter(db *sql.DB, dir string) (*writer, error) {
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	w := &writer{dir: dir, db: db, conn: conn, records: make(chan record, maxGroup), stop: make(chan struct{}), finished: make(chan struct{}),
		writes: map[string]*sql.Stmt{}}
	for _, q := range []string{insertAttempt, upsertRow, endAttempt, endRow} {
		if w.writes[q], err = conn.PrepareContext(ctx, q); err != nil {
			w.closeStmts()
			return nil, err
		}
	}
	if w.recorded, err = db.Prepare(selectRow); err != nil {
		w.closeStmts()
		return nil, err
	}
	go w.run()
	return w, nil
}

func (w *writer) closeStmts() {
	for _, s := range w.writes {
		s.Close()
	}
	if w.recorded != nil {
		w.recorded.Close()
	}
	w.conn.Close()
}

// do writes one record through the writer and returns once it is durable.
func (w *writer) do(write func(tx txn) error) error {
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
	failed := -1
	err := w.inTx(func() error {
		for i, r := range group {
			if errs[i] = r.write(txn{w}); errs[i] != nil {
				failed = i
				return errs[i]
			}
		}
		return nil
	})
	if err == nil {
		w.count(1, len(group))
	}
	if failed >= 0 && len(group) > 1 {
		// One record failed: the group was undone. Each is written again
		// alone, so that only the failing one fails.
		for i, r := range group {
			if errs[i] = w.inTx(func() error { return r.write(txn{w}) }); errs[i] == nil {
				w.count(1, 1)
			}
		}
		err = nil
	}
	for i, r := range group {
		if errs[i] == nil {
			errs[i] = err
		}
		if errs[i] != nil {
			errs[i] = unwritten(errs[i], w.dir)
		}
		r.done <- errs[i]
	}
}

// inTx runs write in a transaction of the writer's connection and commits
// it; any failure undoes it whole.
func (w *writer) inTx(write func() error) error {
	ctx := context.Background()
	// IMMEDIATE takes the write lock at once, waiting (busy_timeout) for
	// another connection's write to end instead of failing midway.
	if _, err := w.conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		return err
	}
	if err := write(); err != nil {
		w.conn.ExecContext(ctx, `ROLLBACK`)
		return err
	}
	if _, err := w.conn.ExecContext(ctx, `COMMIT`); err != nil {
		w.conn.ExecContext(ctx, `ROLLBACK`)
		return err
	}
	return nil
}

// count adds transactions and records to the figures of Commits.
func (w *writer) count(commits, records int) {
	w.mu.Lock()
	w.commits += commits
	w.written += records
	w.mu.Unlock()
}

func (w *writer) close() {
	w.once.Do(func() {
		close(w.stop)
		<-w.finished
		w.closeStmts()
	})
}

// Commits are the transactions the journal's writer committed and the
// records they held, since it was opened.
func (d *DB) Commits() (commits, records int) {
	if d.w == nil {
		return 0, 0
	}
	d.w.mu.Lock()
	defer d.w.mu.Unlock()
	return d.w.commits, d.w.written
}

// unwritten is why a write to the journal in dir failed: the disk's
// refusal in words a person can act on (SQLite's own "full" included), or
// the error.
func unwritten(err error, dir string) error {
	var coded interface{ Code() int }
	if errors.As(err, &coded) && coded.Code()&0xff == sqliteFull {
		err = fmt.Errorf("%w: %w", err, syscall.ENOSPC)
	}
	if worded, ok := diskerr.Of(err, dir, "el diario"); ok {
		return worded
	}
	return fmt.Errorf("no se pudo escribir en el diario: %w", err)
}

// sqliteFull is SQLite's SQLITE_FULL: the disk refused to grow the file.
const sqliteFull = 13
