package night

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"batch"
	"batch/internal/stands"
	"batch/sandbox"
)

// Two runs for one obligado and environment on one machine never send at
// once, whatever journal each keeps: a second configuration, or a
// --journal elsewhere, is refused while the first is wired, and says who
// holds the lock and with which journal. A run of another environment,
// or with another state folder, is not.
func TestOneSenderPerMachine(t *testing.T) {
	t.Parallel()
	_, url := stands.Sandbox(t, sandbox.Config{RatePerMinute: -1}, testToken)
	state, dir := t.TempDir(), t.TempDir()
	in := filepath.Join(dir, "r.csv")
	writeCSV(t, in, cufes(2))
	at := func(journal string) Settings {
		s := settingsFor(url, filepath.Join(dir, journal, "diario.db"), filepath.Join(dir, journal+".xlsx"), in)
		s.Journal.StateHome = state
		return s
	}
	first, err := Open(at("a"))
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	_, err = Open(at("b"))
	var be *batch.Error
	if !errors.As(err, &be) || be.Kind != batch.KindBusy || !strings.Contains(err.Error(), "en esta máquina") ||
		!strings.Contains(err.Error(), filepath.Join(dir, "a", "diario.db")) || !strings.Contains(err.Error(), "900123456 (pruebas)") {
		t.Fatalf("a second journal for the same obligado: %v", err)
	}
	prod := at("c")
	prod.Ambiente = "produccion"
	if r, err := Open(prod); err != nil {
		t.Errorf("another environment: %v", err)
	} else {
		r.Close()
	}
	elsewhere := at("d")
	elsewhere.Journal.StateHome = t.TempDir()
	if r, err := Open(elsewhere); err != nil {
		t.Errorf("another state folder: %v", err)
	} else {
		r.Close()
	}
	first.Close()
	if r, err := Open(at("b")); err != nil {
		t.Errorf("once the first is done: %v", err)
	} else {
		r.Close()
	}
}
