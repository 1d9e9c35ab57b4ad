package journal

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"batch"
)

// Lock makes this process the only run sending for one party in one
// environment with this journal, waiting up to wait for another run to
// finish: code names the lock file (journal.db.lock-afacturar-900123456-
// pruebas), who says whose it is in the message of a run that waits. The
// lock is the operating system's (flock on Unix, LockFileEx on Windows):
// it dies with the process, whatever kills it; the empty file stays for
// the next night. The lock file says who holds it, for the message of the
// run that waits.
func (d *DB) Lock(code, who string, wait time.Duration) (unlock func(), err error) {
	return take(d.path+".lock-"+lockName(code), wait, "", func(holder string) string {
		return fmt.Sprintf("otra ejecución de batch (%s) está enviando para %s con el mismo diario", holder, who)
	})
}

// LockMachine is Lock across journals: the lock of code in dir, a folder
// every run of this machine's batch shares (its state folder), so that two
// configurations or --journal paths for one party and environment never
// send at once. journal is this run's, named to the run that waits.
func LockMachine(dir, code, who, journal string, wait time.Duration) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, &batch.Error{Kind: batch.KindJournal, Msg: fmt.Sprintf("no se puede crear la carpeta de cerrojos %s, que impide que dos ejecuciones envíen a la vez para el mismo obligado: %v", dir, err)}
	}
	return take(filepath.Join(dir, "cerrojo-"+lockName(code)), wait, ", diario "+journal, func(holder string) string {
		return fmt.Sprintf("otra ejecución de batch (%s) está enviando para %s en esta máquina", holder, who)
	})
}

// take locks the file at path, waiting up to wait; busy words the refusal
// from what the holder wrote in it, note is added to what this one writes.
func take(path string, wait time.Duration, note string, busy func(holder string) string) (unlock func(), err error) {
	// Never through a link planted at the lock's name: it would truncate
	// whatever it points to.
	f, err := openLockFile(path)
	if err != nil {
		return nil, fmt.Errorf("no se puede crear el cerrojo %s: %w", path, err)
	}
	deadline := time.Now().Add(wait)
	for {
		held, err := tryLock(f)
		if err == nil && !held {
			break
		}
		if err != nil || !time.Now().Before(deadline) {
			holder, _ := os.ReadFile(path)
			f.Close()
			if err != nil {
				return nil, fmt.Errorf("no se pudo tomar el cerrojo %s: %w", path, err)
			}
			return nil, &batch.Error{Kind: batch.KindBusy, Msg: busy(holderText(holder))}
		}
		time.Sleep(min(200*time.Millisecond, time.Until(deadline)))
	}
	host, _ := os.Hostname()
	f.Truncate(0)
	f.WriteAt([]byte(fmt.Sprintf("pid %d en %s, desde %s%s", os.Getpid(), host, time.Now().Format("2006-01-02 15:04:05"), note)), 0)
	f.Sync()
	return func() {
		f.Truncate(0)
		unlockFile(f)
		f.Close()
	}, nil
}

func holderText(b []byte) string {
	if s := strings.TrimSpace(string(b)); s != "" {
		return s
	}
	return "sin datos de quién"
}

// lockName keeps a code's letters and digits for the lock file's name.
func lockName(code string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, code)
}
