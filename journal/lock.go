package journal

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"batch"
)

// Lock makes this process the only run sending for scope (an obligado's
// token, an invoicer's NIT) with this journal, waiting up to wait for
// another run to finish. The lock is the operating system's (flock): it
// dies with the process, whatever kills it, and leaves nothing to clean.
// The lock file says who holds it, for the message of the run that waits.
func (j *Journal) Lock(scope string, wait time.Duration) (unlock func(), err error) {
	path := j.path + ".lock-" + lockName(scope)
	// Never through a link planted at the lock's name: it would truncate
	// whatever it points to.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("no se puede crear el cerrojo del diario %s: %w", path, err)
	}
	deadline := time.Now().Add(wait)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if err != syscall.EWOULDBLOCK || !time.Now().Before(deadline) {
			holder, _ := os.ReadFile(path)
			f.Close()
			if err != syscall.EWOULDBLOCK {
				return nil, fmt.Errorf("no se pudo tomar el cerrojo del diario %s: %w", path, err)
			}
			return nil, &batch.Error{Kind: batch.KindBusy, Msg: fmt.Sprintf("otra ejecución de batch (%s) está enviando para %s con el mismo diario", holderText(holder), scope)}
		}
		time.Sleep(min(200*time.Millisecond, time.Until(deadline)))
	}
	host, _ := os.Hostname()
	f.Truncate(0)
	f.WriteAt([]byte(fmt.Sprintf("pid %d en %s, desde %s", os.Getpid(), host, time.Now().Format("2006-01-02 15:04:05"))), 0)
	f.Sync()
	return func() {
		f.Truncate(0)
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

func holderText(b []byte) string {
	if s := strings.TrimSpace(string(b)); s != "" {
		return s
	}
	return "sin datos de quién"
}

// lockName keeps a scope's letters and digits for the lock file's name.
func lockName(scope string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, scope)
}
