//go:build windows

package journal

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/windows"
)

// openLockFile opens the lock file, never through a link (a reparse point
// planted at its name).
func openLockFile(path string) (*os.File, error) {
	if st, err := os.Lstat(path); err == nil && st.Mode()&os.ModeSymlink != 0 {
		return nil, fmt.Errorf("%s es un enlace: no se usa como cerrojo", path)
	}
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
}

// lockedByte is where the lock is taken: far past the holder's text, which
// Windows would otherwise keep the waiting run from reading.
const lockedByte = 0x7fffffff

// tryLock takes the file's lock if it is free; busy when another process
// holds it.
func tryLock(f *os.File) (busy bool, err error) {
	ol := &windows.Overlapped{OffsetHigh: lockedByte}
	err = windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		return true, nil
	}
	return false, err
}

func unlockFile(f *os.File) {
	windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, &windows.Overlapped{OffsetHigh: lockedByte})
}
