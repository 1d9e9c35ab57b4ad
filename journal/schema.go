package journal

import (
	"database/sql"
	"fmt"
)

// schemaVersion is the journal's version, in SQLite's user_version.
const schemaVersion = 4

// schema is the journal of this version, whole: a new journal is made from
// it; one of an earlier version reaches it through migrate.
//
//   - rows: each key's last state, per environment, party and operation,
//     with where it was last read and the invoice and issuer it names;
//   - attempts: every request, written before it leaves and completed with
//     its answer;
//   - notes: the last night's rows that hold no key (INVALIDO, REVISAR);
//   - pauses: the providers' outages a night waited out;
//   - runs: how each party's last night in each environment ended, and
//     the kind of what kept it from running, for the front end to word.
const schema = `
CREATE TABLE rows (
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
	invoice    TEXT NOT NULL DEFAULT '',
	supplier   TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (ambiente, obligado, operation, key)
);
CREATE INDEX rows_by_invoice ON rows (invoice);
CREATE INDEX rows_by_supplier ON rows (supplier);
CREATE INDEX rows_by_update ON rows (updated_at);
CREATE TABLE attempts (
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
	response    TEXT,
	ambiente    TEXT NOT NULL
);
CREATE INDEX attempts_by_key ON attempts (ambiente, obligado, operation, key);
CREATE TABLE notes (
	ambiente    TEXT NOT NULL,
	obligado    TEXT NOT NULL,
	operation   TEXT NOT NULL,
	source      TEXT NOT NULL,
	key         TEXT NOT NULL,
	status      TEXT NOT NULL,
	code        TEXT NOT NULL,
	message     TEXT NOT NULL,
	recorded_at TEXT NOT NULL,
	invoice     TEXT NOT NULL DEFAULT '',
	supplier    TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (ambiente, obligado, operation, source)
);
CREATE TABLE pauses (
	id         INTEGER PRIMARY KEY,
	obligado   TEXT NOT NULL,
	service    TEXT NOT NULL,
	started_at TEXT NOT NULL,
	ended_at   TEXT NOT NULL,
	probes     INTEGER NOT NULL,
	recovered  INTEGER NOT NULL,
	ambiente   TEXT NOT NULL
);
CREATE TABLE runs (
	ambiente   TEXT NOT NULL,
	obligado   TEXT NOT NULL,
	started_at TEXT NOT NULL,
	ended_at   TEXT NOT NULL,
	verdict    INTEGER NOT NULL,
	problem    TEXT NOT NULL DEFAULT '',
	kind       INTEGER NOT NULL DEFAULT 0,
	service    TEXT NOT NULL DEFAULT '',
	operation  TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (ambiente, obligado)
);
`

// prepare makes a new journal from the schema, or brings one of an earlier
// version up to date; one of a newer version is refused.
func prepare(db *sql.DB) error {
	var version, tables int
	if err := db.QueryRow(`PRAGMA user_version`).Scan(&version); err != nil {
		return fmt.Errorf("¿está dañado o no es un diario de batch? %w", err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master`).Scan(&tables); err != nil {
		return fmt.Errorf("¿está dañado o no es un diario de batch? %w", err)
	}
	switch {
	case version > schemaVersion:
		// Its tables are laid out as this batch does not know: writing
		// them could lose what the newer one records.
		return fmt.Errorf("lo escribió una versión más nueva de batch (esquema %d; esta conoce hasta el %d): use esa versión o una más nueva", version, schemaVersion)
	case tables == 0:
		return create(db)
	case version < schemaVersion:
		if err := migrate(db, version); err != nil {
			return fmt.Errorf("no se pudo poner al día: %w", err)
		}
	}
	return nil
}

// create lays the schema in an empty file, in one transaction.
func create(db *sql.DB) error {
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.Exec(schema); err != nil {
		return err
	}
	if _, err := tx.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, schemaVersion)); err != nil {
		return err
	}
	return tx.Commit()
}
