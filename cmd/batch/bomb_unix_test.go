//go:build unix

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"batch/internal/testutil"
)

// A 100 KB workbook whose one 100 MB shared string stands in sixty cells
// is refused by batch check in a few megabytes, and leaves no temporary
// file behind.
func TestSharedStringBombStaysSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	dir, tmp := t.TempDir(), t.TempDir()
	book := filepath.Join(dir, "bomba.xlsx")
	testutil.WriteBomb(t, book, 100<<20)
	cmd := exec.Command(bin, "check", "-o", filepath.Join(dir, "r.xlsx"), book)
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	out, _ := cmd.CombinedOutput()
	rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10 // kilobytes on Linux
	if cmd.ProcessState.ExitCode() != exitNothing || !strings.Contains(string(out), "32767") || rss > 512<<20 {
		t.Errorf("exit %d, %d MB resident\n%s", cmd.ProcessState.ExitCode(), rss>>20, out)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("left in the temporary folder: %v", left)
	}
}
