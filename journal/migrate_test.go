package journal

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"batch"
)

// A journal a newer batch wrote is not written by this one.
func TestNewerJournalIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	j, err := openLedger(t, path, "900123456")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.d.db.Exec(`PRAGMA user_version = 99`); err != nil {
		t.Fatal(err)
	}
	j.d.Close()
	if _, err := Open(path); err == nil || !strings.Contains(err.Error(), "versión más nueva de batch") {
		t.Errorf("a journal of version 99 opened: %v", err)
	}
}

// oldJournal writes a journal as a batch of version 0 or 1 left it: the
// layout without environments, with an acuse, two e-mails (one whose key
// glued prefix and number, as version 0 wrote it), a note and a pause.
func oldJournal(t *testing.T, version int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "journal.db")
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	at := "2026-11-02T03:00:00Z"
	for _, stmt := range []string{
		schemaV1,
		`INSERT INTO rows VALUES ('900123456', 'acuse', 'cufe-1', 'OK', '0', 'registrado', '{"cude":"cude-1"}', 1, 'Hoja1 fila 2', '` + at + `', '` + at + `')`,
		`INSERT INTO rows VALUES ('ssintegral:900123456', 'correo', 'FE123', 'OK', '', '', '{}', 1, 'emitidas fila 2', '` + at + `', '` + at + `')`,
		`INSERT INTO rows VALUES ('ssintegral:900123456', 'correo', '990', 'PENDIENTE', '28', 'sin respuesta', '{}', 2, 'emitidas fila 3', '` + at + `', '` + at + `')`,
		`INSERT INTO attempts (obligado, operation, key, started_at, ended_at, request, outcome) VALUES ('900123456', 'acuse', 'cufe-1', '` + at + `', '` + at + `', 'data={}', 'OK')`,
		`INSERT INTO attempts (obligado, operation, key, started_at, ended_at, request, outcome) VALUES ('ssintegral:900123456', 'correo', 'FE123', '` + at + `', '` + at + `', '<Prefijo>FE</Prefijo><NumeroFactura>123</NumeroFactura>', 'OK')`,
		`INSERT INTO notes VALUES ('900123456', 'acuse', 'Hoja1 fila 9', '', 'INVALIDO', '', 'CUFE: la celda está vacía', '` + at + `')`,
		`INSERT INTO pauses (obligado, service, started_at, ended_at, probes, recovered) VALUES ('900123456', 'Afacturar', '` + at + `', '` + at + `', 3, 1)`,
		fmt.Sprintf(`PRAGMA user_version = %d`, version),
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	return path
}

// Each migration keeps every row of a journal of the version before it:
// version 0's glued e-mail keys are separated (version 1), and everything
// recorded before environments is in none a run reuses, until the
// operator says where it came from (version 2).
func TestMigrationsKeepTheRows(t *testing.T) {
	t.Parallel()
	for _, version := range []int{0, 1} {
		d, err := Open(oldJournal(t, version))
		if err != nil {
			t.Fatalf("version %d: %v", version, err)
		}
		var v int
		d.db.QueryRow(`PRAGMA user_version`).Scan(&v)
		mail := map[int]string{0: "FE 123", 1: "FE123"}[version] // version 1 had already separated its keys
		acuse, correo := d.Ledger(Unknown, "900123456"), d.Ledger(Unknown, "ssintegral:900123456")
		got, _, found, err := acuse.Recorded("acuse", "cufe-1")
		if v != schemaVersion || err != nil || !found || got.Status != batch.StatusOK || got.Values["cude"] != "cude-1" || got.Attempts != 1 {
			t.Errorf("version %d → %d: the acuse is %+v (found %v, %v)", version, v, got, found, err)
		}
		if got, _, found, _ := correo.Recorded("correo", mail); !found || got.Status != batch.StatusOK {
			t.Errorf("version %d: the e-mail %q: %+v, found %v", version, mail, got, found)
		}
		if _, _, found, _ := d.Ledger(Pruebas, "900123456").Recorded("acuse", "cufe-1"); found {
			t.Errorf("version %d: an answer of no known environment is reused in pruebas", version)
		}
		history, err := d.History(mail)
		if err != nil || len(history) != 1 || history[0].Ambiente != Unknown || len(history[0].Attempts) != 1 {
			t.Errorf("version %d: history of %q: %+v, %v", version, mail, history, err)
		}
		pending, err := d.Pending()
		if err != nil || len(pending) != 2 {
			t.Errorf("version %d: pending %+v, %v; want the PENDIENTE e-mail and the INVALIDO note", version, pending, err)
		}
		var pauses int
		d.db.QueryRow(`SELECT count(*) FROM pauses WHERE ambiente = ? AND probes = 3`, Unknown).Scan(&pauses)
		if pauses != 1 {
			t.Errorf("version %d: %d pauses kept", version, pauses)
		}
		if moved, err := d.Assign(Produccion); err != nil || moved != 3 {
			t.Errorf("version %d: assign moved %d, %v", version, moved, err)
		}
		prod := d.Ledger(Produccion, "900123456")
		if _, _, found, _ := prod.Recorded("acuse", "cufe-1"); !found {
			t.Errorf("version %d: the acuse is not in produccion after assigning", version)
		}
		// The migrated journal takes new records like a new one.
		id, err := prod.Begin("acuse", "cufe-2", "Hoja1 fila 3", "data")
		if err == nil {
			err = prod.End(id, "acuse", "cufe-2", batch.Answer{Class: batch.ClassOK}, batch.Result{Status: batch.StatusOK})
		}
		if err == nil {
			err = prod.RecordRun(time.Now(), time.Now(), 0, "")
		}
		if err != nil {
			t.Errorf("version %d: writing after migrating: %v", version, err)
		}
		d.Close()
	}
}

// A new journal is the schema written out, at this version.
func TestNewJournalIsTheSchema(t *testing.T) {
	t.Parallel()
	d, err := Open(filepath.Join(t.TempDir(), "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var v, tables int
	d.db.QueryRow(`PRAGMA user_version`).Scan(&v)
	d.db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'table'`).Scan(&tables)
	if v != schemaVersion || tables != 5 {
		t.Errorf("user_version %d, %d tables", v, tables)
	}
}
