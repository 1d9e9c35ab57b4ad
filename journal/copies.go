package journal

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"batch"
)

// A journal cannot vanish silently. Each night ends with a consistent copy
// of it in the folder beside it (Keep), and the WAL copied back into the
// main file; a journal that is damaged is refused with its newest copy
// named; and a journal that is missing or empty where something says one
// existed (its marker in the machine's state folder, its lock files, its
// copies) is refused rather than started afresh (Expect).

// CopiesDir is the folder of the copies of the journal at path.
func CopiesDir(path string) string { return path + ".copias" }

// copyPrefix begins every copy's name; the rest is when it was made.
const copyPrefix = "diario-"

// Keep writes a consistent copy of the journal into its copies folder,
// keeps the newest n, and copies the WAL back into the main file: the main
// file and the newest copy both hold the night just finished. It returns
// the copy's path.
func (d *DB) Keep(n int) (string, error) {
	if n <= 0 {
		return "", d.checkpoint()
	}
	dir := CopiesDir(d.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("no se pudo hacer la copia del diario en %s: %w", dir, err)
	}
	// The copy is the owner's alone, like the journal: made empty first,
	// which VACUUM INTO accepts. Its name is when it was made, a
	// millisecond later if two nights end in the same one.
	var name string
	for at := time.Now(); ; at = at.Add(time.Millisecond) {
		name = filepath.Join(dir, copyPrefix+at.Format("20060102-150405.000")+".db")
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("no se pudo hacer la copia del diario %s: %w", name, err)
		}
		f.Close()
		break
	}
	if _, err := d.db.Exec(`VACUUM INTO ?`, name); err != nil {
		os.Remove(name)
		return "", fmt.Errorf("no se pudo hacer la copia del diario %s: %w", name, err)
	}
	copies := Copies(d.path)
	for _, old := range copies[min(n, len(copies)):] {
		os.Remove(old)
	}
	return name, d.checkpoint()
}

// checkpoint copies the WAL back into the main file and empties it.
func (d *DB) checkpoint() error {
	if _, err := d.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return fmt.Errorf("no se pudo pasar el diario a su archivo principal: %w", err)
	}
	return nil
}

// Copies are the copies of the journal at path, newest first.
func Copies(path string) []string {
	entries, _ := os.ReadDir(CopiesDir(path))
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), copyPrefix) && strings.HasSuffix(e.Name(), ".db") && e.Type().IsRegular() {
			out = append(out, filepath.Join(CopiesDir(path), e.Name()))
		}
	}
	slices.Sort(out)
	slices.Reverse(out)
	return out
}

// restoreHint tells a person how to put back the newest copy of the
// journal at path, if there is one.
func restoreHint(path string) string {
	if copies := Copies(path); len(copies) > 0 {
		return fmt.Sprintf(". La copia más reciente es %s", copies[0])
	}
	return ". No hay copias en " + CopiesDir(path)
}

// markerOf is the marker, in the folder markers, that says a journal
// lived at path.
func markerOf(path, markers string) string {
	sum := sha256.Sum256([]byte(path))
	return filepath.Join(markers, hex.EncodeToString(sum[:8])+".txt")
}

// Remember records in the folder markers that path holds a journal.
func Remember(path, markers string) error {
	marker := markerOf(path, markers)
	if b, err := os.ReadFile(marker); err == nil && string(b) == path {
		return nil
	}
	if err := os.MkdirAll(markers, 0o700); err != nil {
		return fmt.Errorf("no se pudo anotar el diario en %s: %w", markers, err)
	}
	if err := os.WriteFile(marker, []byte(path), 0o600); err != nil {
		return fmt.Errorf("no se pudo anotar el diario en %s: %w", markers, err)
	}
	return nil
}

// Expect refuses a journal that is missing or empty at path when something
// says one existed there: its marker in markers, the lock files or the
// copies beside it. A journal that never existed, or one that is there,
// passes.
func Expect(path, markers string) error {
	if st, err := os.Stat(path); err == nil && st.Size() > 0 {
		return nil
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("no se puede ver el diario %s: %w", path, err)
	}
	var found []string
	if b, err := os.ReadFile(markerOf(path, markers)); err == nil && string(b) == path {
		found = append(found, "la nota de la carpeta de estado "+markers)
	}
	if locks, _ := filepath.Glob(globEscape(path) + ".lock-*"); len(locks) > 0 {
		found = append(found, fmt.Sprintf("%d cerrojos de noches anteriores (%s)", len(locks), filepath.Base(locks[0])))
	}
	if copies := Copies(path); len(copies) > 0 {
		found = append(found, fmt.Sprintf("%d copias en %s", len(copies), CopiesDir(path)))
	}
	if len(found) == 0 {
		return nil
	}
	state := "no está"
	if _, err := os.Stat(path); err == nil {
		state = "está vacío"
	}
	return &batch.Error{Kind: batch.KindJournalLost, Msg: fmt.Sprintf(
		"el diario %s %s, pero hubo uno: lo dicen %s. Empezar uno vacío reenviaría todo lo ya enviado, también los correos; no se envió nada%s",
		path, state, strings.Join(found, ", "), restoreHint(path))}
}

// globEscape quotes the characters filepath.Glob reads as a pattern.
func globEscape(path string) string {
	return strings.NewReplacer("\\", "\\\\", "*", "\\*", "?", "\\?", "[", "\\[").Replace(path)
}

// Restore replaces the journal at path with copy, after checking the copy
// and that no run holds the journal's locks. The journal it replaces, with
// its -wal and -shm, is kept beside it under a name that says so, which it
// returns ("" when there was none).
func Restore(path, copy string) (kept string, err error) {
	if problem := checkCopy(copy); problem != "" {
		return "", &batch.Error{Kind: batch.KindJournalDamaged, Msg: fmt.Sprintf("la copia %s también está dañada (%s): elija otra de %s", copy, problem, CopiesDir(path))}
	}
	locks, _ := filepath.Glob(globEscape(path) + ".lock-*")
	for _, l := range locks {
		unlock, err := take(l, 0, "", func(holder string) string {
			return fmt.Sprintf("otra ejecución de batch (%s) está usando el diario: espere a que termine para restaurarlo", holder)
		})
		if err != nil {
			return "", err
		}
		defer unlock()
	}
	if _, err := os.Stat(path); err == nil {
		kept = path + ".reemplazado-" + time.Now().Format("20060102-150405")
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Rename(path+suffix, kept+suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
				return "", fmt.Errorf("no se pudo apartar el diario %s: %w", path+suffix, err)
			}
		}
	}
	if err := writeNew(path, copy); err != nil {
		return kept, fmt.Errorf("no se pudo restaurar %s en %s: %w", copy, path, err)
	}
	return kept, nil
}

// writeNew copies the file from to a new file at path, the owner's alone,
// on disk before it returns.
func writeNew(path, from string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, in); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// checkCopy is what is wrong with the copy at path, or "": it must be a
// journal, whole.
func checkCopy(path string) string {
	if _, err := os.Stat(path); err != nil {
		return err.Error()
	}
	db, err := sql.Open("sqlite", fileURI(path)+"?mode=ro")
	if err != nil {
		return err.Error()
	}
	defer db.Close()
	var version int
	if err := db.QueryRow(`PRAGMA user_version`).Scan(&version); err != nil || version == 0 {
		return "no es un diario de batch"
	}
	return (&DB{db: db}).quickCheck()
}

// quickCheck is what SQLite's quick_check finds wrong, or "".
func (d *DB) quickCheck() string {
	rows, err := d.db.Query(`PRAGMA quick_check`)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return err.Error()
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return err.Error()
	}
	if len(problems) > 3 {
		problems = append(problems[:3], fmt.Sprintf("y %d más", len(problems)-3))
	}
	return strings.Join(problems, "; ")
}
