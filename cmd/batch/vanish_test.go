package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"batch/internal/stands"
	"batch/journal"
	"batch/sandbox"
)

// The journal cannot vanish silently. Each night leaves a copy beside it
// and its WAL in the main file. A journal deleted or emptied between
// nights, where its locks, copies and the state folder's note say one
// lived, stops the next night before any request, naming the newest copy;
// --diario-nuevo starts afresh on purpose. A journal with damaged pages is
// refused the same way, and batch journal --restaurar puts a copy back:
// the night after sends nothing again.
func TestTheJournalCannotVanish(t *testing.T) {
	t.Parallel()
	sb, url := stands.Sandbox(t, sandbox.Config{RatePerMinute: -1}, token)
	dir, state := t.TempDir(), t.TempDir()
	in, jr := filepath.Join(dir, "r.csv"), filepath.Join(dir, "diario", "journal.db")
	writeCSV(t, in, cufes(4))
	vars := func(k string) string {
		if k == "XDG_STATE_HOME" {
			return state
		}
		return full(k)
	}
	night := func(extra ...string) (int, string) {
		return runMain(t, vars, append([]string{"run", "--url", url, "--journal", jr, "--copias-diario", "2", "-o", filepath.Join(dir, "r.xlsx")}, append(extra, in)...)...)
	}
	for i := 0; i < 3; i++ {
		if code, out := night(); code != exitOK {
			t.Fatalf("night %d: exit %d\n%s", i+1, code, out)
		}
	}
	copies := journal.Copies(jr)
	if len(copies) != 2 || sb.Requests() != 4 {
		t.Fatalf("after 3 nights: %d copies (want 2), %d requests (want 4)", len(copies), sb.Requests())
	}
	if st, err := os.Stat(jr + "-wal"); err == nil && st.Size() > 0 {
		t.Errorf("the night ended with %d bytes in the WAL, not in the journal", st.Size())
	}
	// The -wal and -shm removed between nights: the main file holds the
	// nights that ended, and nothing is sent again.
	os.Remove(jr + "-wal")
	os.Remove(jr + "-shm")
	if code, out := night(); code != exitOK || sb.Requests() != 4 {
		t.Fatalf("without its WAL: exit %d, %d requests in all\n%s", code, sb.Requests(), out)
	}
	copies = journal.Copies(jr)
	refused := func(what string, want ...string) {
		t.Helper()
		before := sb.Requests()
		code, out := night()
		if code != exitNothing || sb.Requests() != before {
			t.Errorf("%s: exit %d, %d requests\n%s", what, code, sb.Requests()-before, out)
		}
		for _, w := range append(want, copies[0]) {
			if !strings.Contains(out, w) {
				t.Errorf("%s: the message lacks %q:\n%s", what, w, out)
			}
		}
	}
	// Deleted between nights.
	os.Rename(jr, jr+".aparte")
	refused("a deleted journal", "no está, pero hubo uno", "batch journal --restaurar", "--diario-nuevo")
	if _, err := os.Stat(jr); err == nil {
		t.Error("an empty journal was made in the deleted one's place")
	}
	// Emptied between nights.
	os.WriteFile(jr, nil, 0o600)
	refused("an empty journal", "está vacío, pero hubo uno")
	// Damaged: the header of every page but the first overwritten.
	b, _ := os.ReadFile(jr + ".aparte")
	for page := 4096; page+16 < len(b); page += 4096 {
		copy(b[page:], "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8")
	}
	os.Remove(jr)
	os.WriteFile(jr, b, 0o600)
	refused("a damaged journal", "está dañado", "batch journal --restaurar")
	// The newest copy put back: nothing is sent again.
	code, out := runMain(t, vars, "journal", "--journal", jr, "--restaurar", copies[0])
	if code != exitOK || !strings.Contains(out, ".reemplazado-") {
		t.Fatalf("restaurar: exit %d\n%s", code, out)
	}
	if code, out := night(); code != exitOK || sb.Requests() != 4 {
		t.Errorf("after restoring: exit %d, %d requests in all\n%s", code, sb.Requests(), out)
	}
	// Starting afresh is said, not guessed: the 4 acuses go again, and the
	// DIAN's LGC01 sends each to the history for its CUDE.
	os.Remove(jr)
	if code, out := night("--diario-nuevo"); code != exitOK || sb.Requests() != 4+8 {
		t.Errorf("--diario-nuevo: exit %d, %d requests in all\n%s", code, sb.Requests(), out)
	}
}
