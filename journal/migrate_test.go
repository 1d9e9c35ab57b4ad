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
			t.Errorf("version %d: pending %+v, %v; want the e-mail and the INVALIDO note", version, pending, err)
		}
		// The e-mail an earlier batch attempted twice without an answer may
		// have reached the customer: held, not sent again.
		if got, _, _, _ := correo.Recorded("correo", "990"); got.Status != batch.StatusRevisar || got.Code != batch.CodeIncierto {
			t.Errorf("version %d: the e-mail left PENDIENTE after 2 attempts is %+v", version, got)
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
		id, err := prod.Begin("acuse", "cufe-2", batch.Origin{Source: "Hoja1 fila 3"}, "data")
		if err == nil {
			err = prod.End(id, "acuse", "cufe-2", batch.Answer{Class: batch.ClassOK}, batch.Result{Status: batch.StatusOK})
		}
		if err == nil {
			err = prod.RecordRun(time.Now(), time.Now(), 0, "", nil)
		}
		if err != nil {
			t.Errorf("version %d: writing after migrating: %v", version, err)
		}
		// SQLite adds a NOT NULL column only with a default: the
		// environment of what was recorded before environments.
		laid := strings.ReplaceAll(layout(t, d.db), "ambiente TEXT notnull=1 default='"+Unknown+"'", "ambiente TEXT notnull=1 default=")
		if want := layout(t, fresh(t).db); laid != want {
			t.Errorf("version %d migrated is laid out\n%s\nand a new journal\n%s", version, laid, want)
		}
		d.Close()
	}
}

// fresh is a new journal.
func fresh(t *testing.T) *DB {
	t.Helper()
	d, err := Open(filepath.Join(t.TempDir(), "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// layout is every table's and index's columns, as SQLite describes them.
func layout(t *testing.T, db *sql.DB) string {
	t.Helper()
	rows, err := db.Query(`SELECT m.type, m.name, p.name, p.type, p."notnull", COALESCE(p.dflt_value, ''), p.pk
		FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' ORDER BY m.name, p.cid`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var kind, table, col, typ, def string
		var notnull, pk int
		if err := rows.Scan(&kind, &table, &col, &typ, &notnull, &def, &pk); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s.%s %s notnull=%d default=%s pk=%d\n", table, col, typ, notnull, def, pk)
	}
	idx, err := db.Query(`SELECT m.name, m.tbl_name, i.name FROM sqlite_master m, pragma_index_info(m.name) i WHERE m.type = 'index' AND m.sql IS NOT NULL ORDER BY m.name, i.seqno`)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	for idx.Next() {
		var name, table, col string
		if err := idx.Scan(&name, &table, &col); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "index %s on %s.%s\n", name, table, col)
	}
	return b.String()
}

// Version 3 gives each night's record the kind of what kept it from
// running: a record of version 2 keeps its words, with no kind, and a new
// one keeps its kind, service and operation.
func TestMigrationKeepsTheNights(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "journal.db")
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin()
	if err == nil {
		_, err = tx.Exec(schemaV1)
	}
	if err == nil {
		err = recordEnvironments(tx)
	}
	if err == nil {
		_, err = tx.Exec(`INSERT INTO runs VALUES ('pruebas', '900123456', '2026-11-02T03:00:00Z', '2026-11-02T03:01:00Z', 2, 'falta el token de Afacturar')`)
	}
	if err == nil {
		_, err = tx.Exec(`PRAGMA user_version = 2`)
	}
	if err == nil {
		err = tx.Commit()
	}
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	d, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	runs, err := d.Runs()
	if err != nil || len(runs) != 1 || runs[0].Problem != "falta el token de Afacturar" || runs[0].Verdict != 2 || runs[0].Cause.Kind != batch.KindOther {
		t.Fatalf("version 2's night after migrating: %+v, %v", runs, err)
	}
	cause := fmt.Errorf("obligado: %w", &batch.Error{Kind: batch.KindNoAddress, Service: batch.ServiceAfacturar, Op: batch.OpCUV, Msg: "sin dirección"})
	if err := d.Ledger(Pruebas, "900123456").RecordRun(time.Now(), time.Now(), 2, cause.Error(), cause); err != nil {
		t.Fatal(err)
	}
	runs, err = d.Runs()
	if err != nil || len(runs) != 1 || runs[0].Cause.Kind != batch.KindNoAddress || runs[0].Cause.Service != batch.ServiceAfacturar || runs[0].Cause.Op != batch.OpCUV {
		t.Errorf("a night's cause: %+v, %v", runs, err)
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

// A NIT an earlier batch kept as written ("900.222.222-6") is the company
// batch now keeps as 900222222: its records join the canonical ones, the
// newer of two records of one key staying, and nothing is forked.
func TestNITsAreMigratedToOneForm(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "journal.db")
	d, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	l, mail := d.Ledger(Pruebas, "900222222"), d.Ledger(Pruebas, "ssintegral:900222222")
	record := func(l *Ledger, op, key string, status batch.Status) {
		id, err := l.Begin(op, key, batch.Origin{Source: "Hoja1 fila 2"}, "data")
		if err == nil {
			err = l.End(id, op, key, batch.Answer{Class: batch.ClassOK}, batch.Result{Status: status})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	record(l, "acuse", "cufe-old-only", batch.StatusOK)
	record(l, "acuse", "cufe-both", batch.StatusError) // older, under the old form
	record(mail, "correo", "FE 1", batch.StatusOK)
	for _, stmt := range []string{
		`UPDATE rows SET obligado = '900.222.222-6' WHERE key IN ('cufe-old-only', 'cufe-both')`,
		`UPDATE attempts SET obligado = '900.222.222-6' WHERE key IN ('cufe-old-only', 'cufe-both')`,
		`UPDATE rows SET obligado = 'ssintegral:900 222 222' WHERE key = 'FE 1'`,
	} {
		if _, err := d.db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	record(l, "acuse", "cufe-both", batch.StatusOK) // newer, canonical
	if _, err := d.db.Exec(`UPDATE rows SET updated_at = '2099-01-01T00:00:00Z' WHERE key = 'cufe-both' AND obligado = '900222222'`); err != nil {
		t.Fatal(err)
	}
	// Back to version 3's layout, which had no invoice or issuer.
	for _, stmt := range []string{`DROP INDEX rows_by_invoice`, `DROP INDEX rows_by_supplier`, `DROP INDEX rows_by_update`,
		`ALTER TABLE rows DROP COLUMN invoice`, `ALTER TABLE rows DROP COLUMN supplier`, `ALTER TABLE notes DROP COLUMN invoice`, `ALTER TABLE notes DROP COLUMN supplier`,
		`PRAGMA user_version = 3`} {
		if _, err := d.db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	d.Close()

	d, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var parties []string
	rows, _ := d.db.Query(`SELECT DISTINCT obligado FROM rows UNION SELECT DISTINCT obligado FROM attempts ORDER BY 1`)
	for rows.Next() {
		var p string
		rows.Scan(&p)
		parties = append(parties, p)
	}
	rows.Close()
	if strings.Join(parties, "|") != "900222222|ssintegral:900222222" {
		t.Errorf("parties after migrating: %q", parties)
	}
	l = d.Ledger(Pruebas, "900.222.222-6")
	for key, want := range map[string]batch.Status{"cufe-old-only": batch.StatusOK, "cufe-both": batch.StatusOK} {
		if got, _, found, err := l.Recorded("acuse", key); !found || err != nil || got.Status != want {
			t.Errorf("%s: %+v found %v %v", key, got, found, err)
		}
	}
	if got, _, found, _ := d.Ledger(Pruebas, "ssintegral:900222222").Recorded("correo", "FE 1"); !found || got.Status != batch.StatusOK {
		t.Errorf("the e-mail under ssintegral:900 222 222 was not joined: %+v %v", got, found)
	}
	var n int
	d.db.QueryRow(`SELECT count(*) FROM rows`).Scan(&n)
	if n != 3 {
		t.Errorf("%d rows after migrating; want 3", n)
	}
}
