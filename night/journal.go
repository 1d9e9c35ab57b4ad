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
	// Fresh starts an empty journal where one existed and is gone: the
	// person said so (--diario-nuevo).
	Fresh bool
	// Copies is how many copies of the journal are kept, one per night.
	Copies int
}

// stateDir is the machine's state folder for this user or service: the
// service's, or the user's.
func (p JournalPlace) stateDir() (string, error) {
	if first, _, _ := strings.Cut(p.Service, ":"); first != "" && filepath.IsAbs(first) {
		return first, nil
	}
	path, err := journal.DefaultPath(p.StateHome, p.Home)
	if err != nil {
		return "", err
	}
	return filepath.Dir(path), nil
}

// LockDir is the folder of the locks every run on this machine shares,
// whatever its journal.
func (p JournalPlace) LockDir() (string, error) {
	dir, err := p.stateDir()
	return filepath.Join(dir, "cerrojos"), err
}

// markers is the folder of the notes of where journals lived.
func (p JournalPlace) markers() (string, error) {
	dir, err := p.stateDir()
	return filepath.Join(dir, "diarios"), err
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
	markers := ""
	if !temporary && !dryRun {
		// A journal that existed and is gone is not replaced by an empty
		// one on a guess.
		if markers, err = place.markers(); err != nil {
			return nil, nil, err
		}
		if err := journal.Expect(path, markers); err != nil && !place.Fresh {
			return nil, nil, err
		}
	}
	if j, err = journal.Open(path); err != nil {
		if dir != "" {
			os.RemoveAll(dir)
		}
		return nil, nil, err
	}
	if markers != "" {
		if err := journal.Remember(path, markers); err != nil {
			j.Close()
			return nil, nil, err
		}
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
		if len(out[i]) == 0 {
			// An invoice's number finds the keys its rows were sent under.
			if out[i], err = j.Find(journal.Query{Invoice: k}); err != nil {
				return nil, err
			}
			for n := range out[i] {
				if out[i][n].Attempts, err = j.Attempts(out[i][n]); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// Query finds keys by invoice, issuer, date and state.
type Query = journal.Query

// Find is what the journal at place holds that matches q, read-only.
func Find(place JournalPlace, q Query) ([]Entry, error) {
	j, err := openReadOnly(place)
	if err != nil {
		return nil, err
	}
	defer j.Close()
	return j.Find(q)
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

// RestoreJournal puts a copy in the place of the journal, once no run holds
// it; the journal it replaces is kept aside, at the path it returns.
func RestoreJournal(place JournalPlace, copy string) (path, kept string, err error) {
	if path, _, err = JournalPath(place, false, false); err != nil {
		return "", "", err
	}
	if copy, err = filepath.Abs(copy); err != nil {
		return "", "", err
	}
	kept, err = journal.Restore(path, copy)
	return path, kept, err
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

// keepCopy ends a night's journal: a copy of it beside it, the oldest
// beyond place.Copies removed, and its WAL in the main file. A sandbox's
// temporary journal and a dry run's are left alone.
func keepCopy(j *journal.DB, s Settings) error {
	if j == nil || s.DryRun || (s.Sandbox && s.Journal.Path == "") {
		return nil
	}
	_, err := j.Keep(s.Journal.Copies)
	return err
}
