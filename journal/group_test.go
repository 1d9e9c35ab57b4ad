package journal

import (
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"batch"
)

// Fifty writers at once: every record is in the journal when its call
// returns, the records share commits, and one record's failure undoes it
// alone.
func TestConcurrentWritesShareCommits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	j, err := openLedger(t, path, "900123456")
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 50, 20
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := j.d.Ledger(Pruebas, fmt.Sprintf("9001%05d", w))
			for k := 0; k < each; k++ {
				key := fmt.Sprintf("k%d", k)
				id, err := p.Begin(batch.OpAcuse, key, batch.Origin{Source: "fila"}, "data")
				if err != nil {
					errs <- err
					return
				}
				// On disk, and seen by anyone, once Begin returned.
				if res, _, found, err := p.Recorded(batch.OpAcuse, key); err != nil || !found || res.Status != batch.StatusEnVuelo {
					errs <- fmt.Errorf("%s after Begin: %+v %v %v", key, res, found, err)
					return
				}
				if err := p.End(id, batch.OpAcuse, key, batch.Answer{Class: batch.ClassOK}, batch.Result{Status: batch.StatusOK}); err != nil {
					errs <- err
					return
				}
				if res, _, _, _ := p.Recorded(batch.OpAcuse, key); res.Status != batch.StatusOK {
					errs <- fmt.Errorf("%s after End: %+v", key, res)
					return
				}
			}
		}()
	}
	// A record that fails inside a group.
	bad := errors.New("falla a propósito")
	failed := make(chan error, 1)
	go func() {
		failed <- j.d.w.do(func(tx txn) error {
			if _, err := tx.Exec(`INSERT INTO pauses (ambiente, obligado, service, started_at, ended_at, probes, recovered) VALUES ('pruebas','x','afacturar','a','b',0,0)`); err != nil {
				return err
			}
			return bad
		})
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := <-failed; !errors.Is(err, bad) {
		t.Errorf("the failing record returned %v", err)
	}
	commits, records := j.d.Commits()
	j.d.Close()
	// The failed record is in no commit.
	if records != 2*writers*each || commits >= records {
		t.Errorf("%d records in %d commits: want %d records sharing commits", records, commits, 2*writers*each)
	}
	t.Logf("%d records in %d commits (%.1f each)", records, commits, float64(records)/float64(commits))

	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows, attempts, pauses int
	db.QueryRow(`SELECT count(*) FROM rows WHERE status = 'OK'`).Scan(&rows)
	db.QueryRow(`SELECT count(*) FROM attempts WHERE outcome = 'OK'`).Scan(&attempts)
	db.QueryRow(`SELECT count(*) FROM pauses`).Scan(&pauses)
	if rows != writers*each || attempts != writers*each || pauses != 0 {
		t.Errorf("%d rows OK, %d attempts OK, %d pauses; want %d, %d and none (the failed record undone)", rows, attempts, pauses, writers*each, writers*each)
	}
	if _, err := j.Begin(batch.OpAcuse, "late", batch.Origin{Source: "fila"}, "data"); err == nil {
		t.Error("a closed journal took a record")
	}
}

// The writer's connection and the readers' checkpoint the WAL every 8192
// pages, not every 1000.
func TestCheckpointsAreSpaced(t *testing.T) {
	j, err := openLedger(t, filepath.Join(t.TempDir(), "journal.db"), "900123456")
	if err != nil {
		t.Fatal(err)
	}
	defer j.d.Close()
	var pages int
	if err := j.d.w.conn.QueryRowContext(t.Context(), `PRAGMA wal_autocheckpoint`).Scan(&pages); err != nil || pages != 8192 {
		t.Errorf("the writer checkpoints every %d pages (%v), want 8192", pages, err)
	}
	if err := j.d.db.QueryRow(`PRAGMA wal_autocheckpoint`).Scan(&pages); err != nil || pages != 8192 {
		t.Errorf("the pool checkpoints every %d pages (%v), want 8192", pages, err)
	}
}

// A group with a failing record in the middle: the others are written,
// each alone once the group was undone, and the failing one is not.
func TestFailingRecordUndoesOnlyItself(t *testing.T) {
	j, err := openLedger(t, filepath.Join(t.TempDir(), "journal.db"), "900123456")
	if err != nil {
		t.Fatal(err)
	}
	defer j.d.Close()
	bad := errors.New("falla a propósito")
	insert := func(tx txn, name string) error {
		_, err := tx.Exec(`INSERT INTO pauses (ambiente, obligado, service, started_at, ended_at, probes, recovered) VALUES ('pruebas',?,'afacturar','a','b',0,0)`, name)
		return err
	}
	group := []record{
		{write: func(tx txn) error { return insert(tx, "primero") }, done: make(chan error, 1)},
		{write: func(tx txn) error { insert(tx, "medio"); return bad }, done: make(chan error, 1)},
		{write: func(tx txn) error { return insert(tx, "último") }, done: make(chan error, 1)},
	}
	j.d.w.commit(group)
	for i, want := range []error{nil, bad, nil} {
		if err := <-group[i].done; !errors.Is(err, want) || (want == nil) != (err == nil) {
			t.Errorf("record %d: %v, want %v", i, err, want)
		}
	}
	var names string
	j.d.db.QueryRow(`SELECT group_concat(obligado, ' ') FROM (SELECT obligado FROM pauses ORDER BY id)`).Scan(&names)
	if names != "primero último" {
		t.Errorf("pauses written: %q", names)
	}
}
