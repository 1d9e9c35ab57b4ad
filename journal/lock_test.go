package journal

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"batch"
)

// A second lock on the same party waits or is refused naming the holder,
// on every system; once the first lets go, it is free.
func TestLockIsTheOnlyOne(t *testing.T) {
	j, err := Open(filepath.Join(t.TempDir(), "j.db"), "")
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	unlock, err := j.Lock("el obligado 900", 0)
	if err != nil {
		t.Fatal(err)
	}
	var be *batch.Error
	if _, err := j.Lock("el obligado 900", 0); !errors.As(err, &be) || be.Kind != batch.KindBusy || !strings.Contains(err.Error(), "pid ") {
		t.Errorf("second lock: %v", err)
	}
	unlock()
	again, err := j.Lock("el obligado 900", 0)
	if err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	again()
}
