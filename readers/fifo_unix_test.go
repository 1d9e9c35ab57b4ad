//go:build unix

package readers

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A FIFO named like an input answers at once, refused.
func TestFIFOIsRefusedAtOnce(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "z.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	if _, err := Open(fifo, Options{}); err == nil || !strings.Contains(err.Error(), "no es un archivo común") {
		t.Errorf("err = %v", err)
	}
}
