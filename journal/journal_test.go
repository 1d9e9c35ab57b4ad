package journal

import (
	"os"
	"path/filepath"
	"testing"

	"batch"
)

func TestRecordsAttemptsAndState(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "journal.db")
	j, err := openLedger(t, path, "900123456")
	if err != nil {
		t.Fatal(err)
	}
	id, err := j.Begin("acuse", "k1", batch.Origin{Source: "Hoja1 fila 2"}, "data={...}")
	if err != nil {
		t.Fatal(err)
	}
	res, _, found, _ := j.Recorded("acuse", "k1")
	if !found || res.Status != batch.StatusEnVuelo {
		t.Fatalf("after Begin: %+v %v; want in flight", res, found)
	}
	state := batch.Result{Status: batch.StatusOK, Code: "0", Values: map[string]any{"cude": "abc"}}
	if err := j.End(id, "acuse", "k1", batch.Answer{Class: batch.ClassOK, HTTPStatus: 200, Response: `{"codigo_error":0}`}, state); err != nil {
		t.Fatal(err)
	}
	j.d.Close()

	// Another process, another obligado, the same file.
	j2, err := openLedger(t, path, "900123456")
	if err != nil {
		t.Fatal(err)
	}
	defer j2.d.Close()
	res, at, found, err := j2.Recorded("acuse", "k1")
	if err != nil || !found || res.Status != batch.StatusOK || res.Values["cude"] != "abc" || res.Attempts != 1 || at.IsZero() {
		t.Errorf("reopened: %+v %v %v %v", res, at, found, err)
	}
	other, _ := openLedger(t, path, "800000000")
	defer other.d.Close()
	if _, _, found, _ := other.Recorded("acuse", "k1"); found {
		t.Error("another obligado sees this obligado's key")
	}
	if _, _, found, _ := j2.Recorded("cuv", "k1"); found {
		t.Error("another operation sees the acuse's key")
	}
	var n int
	j2.d.db.QueryRow(`SELECT count(*) FROM attempts WHERE key='k1' AND ended_at IS NOT NULL AND request='data={...}' AND response LIKE '%codigo_error%'`).Scan(&n)
	if n != 1 {
		t.Errorf("%d complete attempt records, want 1", n)
	}
}

func TestDefaultPathFollowsXDG(t *testing.T) {
	env := map[string]string{"XDG_STATE_HOME": "/var/estado", "HOME": "/home/ana"}
	if p, _ := DefaultPath(env["XDG_STATE_HOME"], env["HOME"]); p != "/var/estado/batch/journal.db" {
		t.Errorf("with XDG_STATE_HOME: %s", p)
	}
	delete(env, "XDG_STATE_HOME")
	if p, _ := DefaultPath(env["XDG_STATE_HOME"], env["HOME"]); p != "/home/ana/.local/state/batch/journal.db" {
		t.Errorf("without: %s", p)
	}
}

func TestNotAJournal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	if err := writeFile(path, "esto no es sqlite, es un texto cualquiera que ocupa espacio"); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path); err == nil {
		t.Error("a text file opened as a journal")
	}
}

// The journal and its -wal and -shm are the owner's alone while it is in
// use, and a path with "?", "#" or "%" names that file, not options.
func TestJournalFilesArePrivateAndPathIsAName(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "carpeta?modo=memory#x%41")
	path := filepath.Join(dir, "diario?_pragma=journal_mode(DELETE).db")
	j, err := openLedger(t, path, "900123456")
	if err != nil {
		t.Fatal(err)
	}
	defer j.d.Close()
	if _, err := j.Begin("acuse", "k1", batch.Origin{Source: "fila 2"}, "data"); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Errorf("files in the journal's folder: %v; want the journal, its -wal and its -shm", entries)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		st, err := os.Stat(path + suffix)
		if err != nil {
			t.Fatalf("%s: %v", suffix, err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("journal%s is %v, want 0600", suffix, st.Mode().Perm())
		}
	}
}
