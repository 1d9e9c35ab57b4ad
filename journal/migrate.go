package journal

import (
	"database/sql"
	"fmt"
	"html"
	"regexp"
	"strings"

	"batch"
	"batch/nit"
)

// schemaV1 is the layout of versions 0 and 1, before environments were
// recorded: an old journal may lack a table its batch did not have yet,
// which is made here before migrating.
const schemaV1 = `
CREATE TABLE IF NOT EXISTS rows (
	obligado   TEXT NOT NULL,
	operation  TEXT NOT NULL,
	key        TEXT NOT NULL,
	status     TEXT NOT NULL,
	code       TEXT NOT NULL DEFAULT '',
	message    TEXT NOT NULL DEFAULT '',
	vals       TEXT NOT NULL DEFAULT '{}',
	attempts   INTEGER NOT NULL DEFAULT 0,
	source     TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	PRIMARY KEY (obligado, operation, key)
);
CREATE TABLE IF NOT EXISTS attempts (
	id          INTEGER PRIMARY KEY,
	obligado    TEXT NOT NULL,
	operation   TEXT NOT NULL,
	key         TEXT NOT NULL,
	started_at  TEXT NOT NULL,
	ended_at    TEXT,
	request     TEXT NOT NULL,
	http_status INTEGER,
	code        TEXT,
	outcome     TEXT,
	message     TEXT,
	response    TEXT
);
CREATE INDEX IF NOT EXISTS attempts_by_key ON attempts (obligado, operation, key);
CREATE TABLE IF NOT EXISTS notes (
	obligado    TEXT NOT NULL,
	operation   TEXT NOT NULL,
	source      TEXT NOT NULL,
	key         TEXT NOT NULL,
	status      TEXT NOT NULL,
	code        TEXT NOT NULL,
	message     TEXT NOT NULL,
	recorded_at TEXT NOT NULL,
	PRIMARY KEY (obligado, operation, source)
);
CREATE TABLE IF NOT EXISTS pauses (
	id         INTEGER PRIMARY KEY,
	obligado   TEXT NOT NULL,
	service    TEXT NOT NULL,
	started_at TEXT NOT NULL,
	ended_at   TEXT NOT NULL,
	probes     INTEGER NOT NULL,
	recovered  INTEGER NOT NULL
);
`

// migrate brings a journal of version v, written by an earlier batch, up
// to date in one transaction.
func migrate(db *sql.DB, v int) error {
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.Exec(schemaV1); err != nil {
		return err
	}
	if v < 1 {
		if err := separateInvoiceKeys(tx); err != nil {
			return err
		}
	}
	if v < 2 {
		if err := recordEnvironments(tx); err != nil {
			return err
		}
	}
	if v < 3 {
		if err := recordCauses(tx); err != nil {
			return err
		}
		if err := holdUnsureEmails(tx); err != nil {
			return err
		}
	}
	if v < 4 {
		if err := canonicalParties(tx); err != nil {
			return err
		}
		if err := recordInvoices(tx); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, schemaVersion)); err != nil {
		return err
	}
	return tx.Commit()
}

var (
	prefijoRE = regexp.MustCompile(`<Prefijo>([^<]*)</Prefijo>`)
	numeroRE  = regexp.MustCompile(`<NumeroFactura>([^<]*)</NumeroFactura>`)
)

// separateInvoiceKeys rewrites the e-mail keys of version 0, prefix and
// number glued together ("FE123", which FE1 23 shared), as ops.InvoiceKey
// writes them now ("FE 123"). Which invoice a key was is read from the
// envelope its last attempt sent; a key without an attempt, or without a
// prefix, stays as it is, and so is still found.
func separateInvoiceKeys(tx *sql.Tx) error {
	rows, err := tx.Query(`SELECT r.obligado, r.key, COALESCE((SELECT a.request FROM attempts a
		WHERE a.obligado = r.obligado AND a.operation = r.operation AND a.key = r.key ORDER BY a.id DESC LIMIT 1), '')
		FROM rows r WHERE r.operation = ? AND instr(r.key, ' ') = 0`, batch.OpCorreo)
	if err != nil {
		return err
	}
	type rename struct{ obligado, from, to string }
	var renames []rename
	for rows.Next() {
		var obligado, key, request string
		if err := rows.Scan(&obligado, &key, &request); err != nil {
			rows.Close()
			return err
		}
		p, n := prefijoRE.FindStringSubmatch(request), numeroRE.FindStringSubmatch(request)
		if p == nil || n == nil {
			continue
		}
		prefijo := strings.ToUpper(strings.TrimSpace(html.UnescapeString(p[1])))
		numero := strings.ToUpper(strings.TrimSpace(html.UnescapeString(n[1])))
		if prefijo != "" && prefijo+numero == key {
			renames = append(renames, rename{obligado, key, prefijo + " " + numero})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, r := range renames {
		for _, table := range []string{"rows", "attempts"} {
			if _, err := tx.Exec(`UPDATE OR IGNORE `+table+` SET key = ? WHERE obligado = ? AND operation = ? AND key = ?`,
				r.to, r.obligado, batch.OpCorreo, r.from); err != nil {
				return err
			}
		}
	}
	return nil
}

// recordEnvironments gives every table the environment that answered
// (sandbox, pruebas, produccion), part of each key's identity: an answer
// from a test never stands for a real one. What was recorded before is in
// no known environment: no run reuses it until the operator says where it
// came from (batch journal --asignar-ambiente).
func recordEnvironments(tx *sql.Tx) error {
	for _, stmt := range []string{
		`CREATE TABLE rows_v2 (
			ambiente   TEXT NOT NULL,
			obligado   TEXT NOT NULL,
			operation  TEXT NOT NULL,
			key        TEXT NOT NULL,
			status     TEXT NOT NULL,
			code       TEXT NOT NULL DEFAULT '',
			message    TEXT NOT NULL DEFAULT '',
			vals       TEXT NOT NULL DEFAULT '{}',
			attempts   INTEGER NOT NULL DEFAULT 0,
			source     TEXT NOT NULL DEFAULT '',
			created_at TEXT NOT NULL,
			updated_at TEXT NOT NULL,
			PRIMARY KEY (ambiente, obligado, operation, key))`,
		`INSERT INTO rows_v2 SELECT '` + Unknown + `', obligado, operation, key, status, code, message, vals, attempts, source, created_at, updated_at FROM rows`,
		`DROP TABLE rows`,
		`ALTER TABLE rows_v2 RENAME TO rows`,
		`CREATE TABLE notes_v2 (
			ambiente    TEXT NOT NULL,
			obligado    TEXT NOT NULL,
			operation   TEXT NOT NULL,
			source      TEXT NOT NULL,
			key         TEXT NOT NULL,
			status      TEXT NOT NULL,
			code        TEXT NOT NULL,
			message     TEXT NOT NULL,
			recorded_at TEXT NOT NULL,
			PRIMARY KEY (ambiente, obligado, operation, source))`,
		`INSERT INTO notes_v2 SELECT '` + Unknown + `', obligado, operation, source, key, status, code, message, recorded_at FROM notes`,
		`DROP TABLE notes`,
		`ALTER TABLE notes_v2 RENAME TO notes`,
		`ALTER TABLE attempts ADD COLUMN ambiente TEXT NOT NULL DEFAULT '` + Unknown + `'`,
		`ALTER TABLE pauses ADD COLUMN ambiente TEXT NOT NULL DEFAULT '` + Unknown + `'`,
		`DROP INDEX IF EXISTS attempts_by_key`,
		`CREATE INDEX attempts_by_key ON attempts (ambiente, obligado, operation, key)`,
		`CREATE TABLE IF NOT EXISTS runs (
			ambiente   TEXT NOT NULL,
			obligado   TEXT NOT NULL,
			started_at TEXT NOT NULL,
			ended_at   TEXT NOT NULL,
			verdict    INTEGER NOT NULL,
			problem    TEXT NOT NULL DEFAULT '',
			PRIMARY KEY (ambiente, obligado))`,
	} {
		if _, err := tx.Exec(stmt); err != nil {
			return err
		}
	}
	return nil
}

// recordCauses gives each night's record the kind of what kept it from
// running (version 3): a night recorded before has none, and is shown
// with its words alone.
func recordCauses(tx *sql.Tx) error {
	for _, stmt := range []string{
		`ALTER TABLE runs ADD COLUMN kind INTEGER NOT NULL DEFAULT 0`,
		`ALTER TABLE runs ADD COLUMN service TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE runs ADD COLUMN operation TEXT NOT NULL DEFAULT ''`,
	} {
		if _, err := tx.Exec(stmt); err != nil {
			return err
		}
	}
	return nil
}

// holdUnsureEmails marks REVISAR the e-mails an earlier batch attempted
// and left without a final answer (version 3): it sent again on a timeout
// or an unreadable answer, and recorded no difference between those and a
// request that never left. Whether the customer got them is not known, so
// they are not sent again unless a person names them.
func holdUnsureEmails(tx *sql.Tx) error {
	_, err := tx.Exec(`UPDATE rows SET status = ?, code = ?, message = ? WHERE operation = ? AND attempts > 0 AND status IN (?, ?, ?)`,
		string(batch.StatusRevisar), batch.CodeIncierto,
		"una versión anterior de batch lo intentó sin respuesta clara: puede haberse enviado; confirme con el cliente antes de reenviarlo",
		batch.OpCorreo, string(batch.StatusPendiente), string(batch.StatusError), string(batch.StatusEnVuelo))
	return err
}

// partyTables are the tables that hold a party, each with the columns
// that, beside it, name one record (none: records never collide) and the
// column that says which of two is newer.
var partyTables = []struct{ table, identity, newer string }{
	{"rows", "ambiente, operation, key", "updated_at"},
	{"notes", "ambiente, operation, source", "recorded_at"},
	{"runs", "ambiente", "ended_at"},
	{"attempts", "", ""},
	{"pauses", "", ""},
}

// canonicalParties writes every NIT as batch keeps it now, digits without
// the check digit (version 4): a NIT written "900.222.222-6" by an earlier
// batch and "900222222" now are one company, whose journal is one. Where
// both forms hold the same record, the newer stays.
func canonicalParties(tx *sql.Tx) error {
	for _, t := range partyTables {
		renames, err := partyRenames(tx, t.table)
		if err != nil {
			return err
		}
		for from, to := range renames {
			if t.identity != "" {
				same := ""
				for _, c := range strings.Split(t.identity, ", ") {
					same += fmt.Sprintf(" AND o.%s = %s.%s", c, t.table, c)
				}
				// The older of two records of one identity goes.
				for _, stmt := range []string{
					fmt.Sprintf(`DELETE FROM %[1]s WHERE obligado = ?1 AND EXISTS (SELECT 1 FROM %[1]s o WHERE o.obligado = ?2%[2]s AND o.%[3]s >= %[1]s.%[3]s)`, t.table, same, t.newer),
					fmt.Sprintf(`DELETE FROM %[1]s WHERE obligado = ?2 AND EXISTS (SELECT 1 FROM %[1]s o WHERE o.obligado = ?1%[2]s)`, t.table, same),
				} {
					if _, err := tx.Exec(stmt, from, to); err != nil {
						return err
					}
				}
			}
			if _, err := tx.Exec(`UPDATE `+t.table+` SET obligado = ? WHERE obligado = ?`, to, from); err != nil {
				return err
			}
		}
	}
	return nil
}

// partyRenames are a table's parties not written as batch keeps them now,
// each with its canonical form.
func partyRenames(tx *sql.Tx, table string) (map[string]string, error) {
	rows, err := tx.Query(`SELECT DISTINCT obligado FROM ` + table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	renames := map[string]string{}
	for rows.Next() {
		var party string
		if err := rows.Scan(&party); err != nil {
			return nil, err
		}
		if c := CanonicalParty(party); c != party {
			renames[party] = c
		}
	}
	return renames, rows.Err()
}

// CanonicalParty is a journal party with its NIT as batch keeps it: the
// scope of an invoicer's e-mails ("ssintegral:") stays.
func CanonicalParty(party string) string {
	scope := ""
	if i := strings.LastIndex(party, ":"); i >= 0 {
		scope, party = party[:i+1], party[i+1:]
	}
	return scope + nit.Canonical(party)
}

// recordInvoices gives rows and notes the invoice number and issuer they
// name (version 4), for batch historial to find a key by them; what was
// recorded before has neither.
func recordInvoices(tx *sql.Tx) error {
	for _, stmt := range []string{
		`ALTER TABLE rows ADD COLUMN invoice TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE rows ADD COLUMN supplier TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE notes ADD COLUMN invoice TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE notes ADD COLUMN supplier TEXT NOT NULL DEFAULT ''`,
		`CREATE INDEX rows_by_invoice ON rows (invoice)`,
		`CREATE INDEX rows_by_supplier ON rows (supplier)`,
		`CREATE INDEX rows_by_update ON rows (updated_at)`,
	} {
		if _, err := tx.Exec(stmt); err != nil {
			return err
		}
	}
	return nil
}
