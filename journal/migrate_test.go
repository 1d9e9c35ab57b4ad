package journal

import (
	"path/filepath"
	"strings"
	"testing"
)

// A journal a newer batch wrote is not written by this one.
func TestNewerJournalIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	j, err := Open(path, "900123456")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.db.Exec(`PRAGMA user_version = 99`); err != nil {
		t.Fatal(err)
	}
	j.Close()
	if _, err := Open(path, "900123456"); err == nil || !strings.Contains(err.Error(), "versión más nueva de batch") {
		t.Errorf("a journal of version 99 opened: %v", err)
	}
}
