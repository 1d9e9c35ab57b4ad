package journal

import (
	"errors"
	"path/filepath"
	"testing"

	"batch"
)

// A journal is restored only while no run holds it, and only from a copy
// that is a journal; a path where no journal ever lived is not refused.
func TestRestoreWaitsForNoOne(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "journal.db")
	if err := Expect(path, filepath.Join(dir, "notas")); err != nil {
		t.Errorf("a journal that never lived: %v", err)
	}
	d, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	copy, err := d.Keep(3)
	if err != nil {
		t.Fatal(err)
	}
	unlock, err := d.Lock("afacturar-900-pruebas", "el obligado 900", 0)
	if err != nil {
		t.Fatal(err)
	}
	var be *batch.Error
	if _, err := Restore(path, copy); !errors.As(err, &be) || be.Kind != batch.KindBusy {
		t.Errorf("restoring under a running night: %v", err)
	}
	unlock()
	if _, err := Restore(path, path+"-wal"); err == nil {
		t.Error("a file that is not a journal was restored")
	}
	if kept, err := Restore(path, copy); err != nil || kept == "" {
		t.Errorf("restore: kept %q, %v", kept, err)
	}
	for range 4 {
		if _, err := d.Keep(3); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(Copies(path)); n != 3 {
		t.Errorf("%d copies kept, want 3", n)
	}
}
