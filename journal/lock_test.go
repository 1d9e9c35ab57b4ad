package journal

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"batch"
)

// A second lock on the same party waits or is refused naming the holder,
// on every system; once the first lets go, it is free.
func TestLockIsTheOnlyOne(t *testing.T) {
	j, err := openLedger(t, filepath.Join(t.TempDir(), "j.db"), "")
	if err != nil {
		t.Fatal(err)
	}
	defer j.d.Close()
	unlock, err := j.d.Lock("afacturar-900-pruebas", "el obligado 900", 0)
	if err != nil {
		t.Fatal(err)
	}
	var be *batch.Error
	if _, err := j.d.Lock("afacturar-900-pruebas", "el obligado 900", 0); !errors.As(err, &be) || be.Kind != batch.KindBusy || !strings.Contains(err.Error(), "pid ") {
		t.Errorf("second lock: %v", err)
	}
	unlock()
	again, err := j.d.Lock("afacturar-900-pruebas", "el obligado 900", 0)
	if err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	again()
	// The lock file is named from the codes it was given, not a phrase.
	if _, err := os.Stat(j.d.Path() + ".lock-afacturar-900-pruebas"); err != nil {
		t.Errorf("lock file: %v", err)
	}
}
