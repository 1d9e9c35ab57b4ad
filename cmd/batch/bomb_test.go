package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"batch/internal/testutil"
)

// A 100 KB workbook whose one 100 MB shared string stands in sixty cells
// is refused by batch check, naming the limit, and leaves no temporary
// file behind. (What reading it costs is measured in the readers' test:
// a child's peak memory, as the system reports it, carries this test
// process's own.)
func TestSharedStringBombStaysSmall(t *testing.T) {
	t.Parallel()
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
	if cmd.ProcessState.ExitCode() != exitNothing || !strings.Contains(string(out), "32767") {
		t.Errorf("exit %d\n%s", cmd.ProcessState.ExitCode(), out)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("left in the temporary folder: %v", left)
	}
}
