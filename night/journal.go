package night

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"batch/journal"
	"batch/writers"
)

// JournalPlace says where the journal is: the file named, or the user's
// own under StateHome (XDG_STATE_HOME) or Home.
type JournalPlace struct {
	Path      string // named by the person; "" for the user's own
	StateHome string
	Home      string
	// Service is the state folder the service manager gives the run
	// (systemd's STATE_DIRECTORY), where there is one.
	Service string
}

// LockDir is the folder of the locks every run on this machine shares,
// whatever its journal: the service's state folder, or the user's.
func (p JournalPlace) LockDir() (string, error) {
	if first, _, _ := strings.Cut(p.Service, ":"); first != "" && filepath.IsAbs(first) {
		return filepath.Join(first, "cerrojos"), nil
	}
	path, err := journal.DefaultPath(p.StateHome, p.Home)
	if err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(path), "cerrojos"), nil
}

// JournalPath decides where a run's journal is. A sandbox run that sends
// and names no journal gets a temporary one (temporary is true; the caller
// makes it and removes it): the simulator forgets its registrations when it
// stops, and a journal that outlived it would answer for events it never
// had.
func JournalPath(place JournalPlace, sandbox, dryRun bool) (path string, temporary bool, err error) {
	switch {
	case place.Path != "":
		path, err := filepath.Abs(place.Path)
		return path, false, err
	case sandbox && !dryRun:
		return "", true, nil
	}
	path, err = journal.DefaultPath(place.StateHome, place.Home)
	return path, false, err
}

// openJournalAt opens the journal a run or a night records in, once for the
// process: a temporary one for the sandbox, removed by close. A dry run
// only reads a journal, and only one that exists: without one it has none.
func openJournalAt(place JournalPlace, sandbox, dryRun bool) (j *journal.DB, close func(), err error) {
	path, temporary, err := JournalPath(place, sandbox, dryRun)
	if err != nil {
		return nil, nil, err
	}
	if _, statErr := os.Stat(path); dryRun && statErr != nil {
		return nil, func() {}, nil
	}
	dir := ""
	if temporary {
		if dir, err = os.MkdirTemp("", "batch-sandbox-"); err != nil {
			return nil, nil, err
		}
		path = filepath.Join(dir, "journal.db")
	}
	if j, err = journal.Open(path); err != nil {
		if dir != "" {
			os.RemoveAll(dir)
		}
		return nil, nil, err
	}
	return j, func() {
		j.Close()
		if dir != "" {
			os.RemoveAll(dir)
		}
	}, nil
}

// Entry is what the journal knows of one key for one party and operation.
type Entry = journal.Entry

// History is what the journal at place knows of each key, read-only: a
// CUFE or CUV (or the beginning of one) in any case, an invoice as
// PREFIJO NUMERO.
func History(place JournalPlace, keys []string) ([][]Entry, error) {
	j, err := openReadOnly(place)
	if err != nil {
		return nil, err
	}
	defer j.Close()
	out := make([][]Entry, len(keys))
	for i, k := range keys {
		if out[i], err = j.History(normalKey(k)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// RunRecord is how a company's last night ended, when it did not run or
// left files unread.
type RunRecord = journal.Run

// Pending is what needs a person across every night, by party, and the
// companies whose last night did not run or left files unread; read-only.
func Pending(place JournalPlace) ([]Entry, []RunRecord, error) {
	j, err := openReadOnly(place)
	if err != nil {
		return nil, nil, err
	}
	defer j.Close()
	entries, err := j.Pending()
	if err != nil {
		return nil, nil, err
	}
	runs, err := j.Runs()
	return entries, runs, err
}

func openReadOnly(place JournalPlace) (*journal.DB, error) {
	path, _, err := JournalPath(place, false, false)
	if err != nil {
		return nil, err
	}
	return journal.OpenReadOnly(path)
}

// WritePending writes what needs a person as a workbook, one row per key.
func WritePending(path string, entries []Entry) error {
	rows := make([]writers.PendingRow, len(entries))
	for i, e := range entries {
		rows[i] = writers.PendingRow{Ambiente: e.Ambiente, Party: e.Party, Operation: e.Operation, Key: e.Key, Source: e.Source, Result: e.Result, Updated: e.Updated}
	}
	return writers.WritePending(path, rows)
}

// Environments are the names of the environments a journal keeps apart,
// as the operator gives them.
var Environments = []string{journal.Sandbox, journal.Pruebas, journal.Produccion}

// AssignEnvironment gives the rows a journal kept before it recorded
// environments the one the operator says they came from; it returns how
// many keys moved.
func AssignEnvironment(place JournalPlace, ambiente string) (int64, error) {
	path, _, err := JournalPath(place, false, false)
	if err != nil {
		return 0, err
	}
	j, err := journal.Open(path)
	if err != nil {
		return 0, err
	}
	defer j.Close()
	return j.Assign(ambiente)
}

// normalKey is a key as the journal keeps it: a CUFE or CUV (or the
// beginning of one) in lowercase, an invoice (PREFIJO NUMERO) in uppercase.
func normalKey(k string) string {
	k = strings.TrimSpace(k)
	if hexKey.MatchString(k) {
		return strings.ToLower(k)
	}
	return strings.ToUpper(k)
}

var hexKey = regexp.MustCompile(`^[0-9A-Fa-f]+$`)
