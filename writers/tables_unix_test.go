//go:build unix

package writers

import (
	"path/filepath"
	"syscall"
	"testing"

	"batch"
	"batch/internal/testutil"
)

// Every workbook follows the process's umask and is never executable.
func TestWorkbooksFollowTheUmask(t *testing.T) {
	old := syscall.Umask(0o027)
	defer syscall.Umask(old)
	dir := t.TempDir()
	night, pend, results := filepath.Join(dir, "n.xlsx"), filepath.Join(dir, "p.xlsx"), filepath.Join(dir, "r.xlsx")
	if err := WriteNight(night, []NightRow{{NIT: "900111111"}}); err != nil {
		t.Fatal(err)
	}
	if err := WritePending(pend, nil); err != nil {
		t.Fatal(err)
	}
	sheet := &batch.Sheet{Name: "h", Columns: []string{"CUFE"}, Index: map[batch.Field]int{batch.FieldCUFE: 0}}
	w, err := Create(results, []*batch.Sheet{sheet}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(Run{}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{night, pend, results} {
		if mode := testutil.Mode(t, p); mode != 0o640 {
			t.Errorf("%s: %v, want 0640 under umask 027", filepath.Base(p), mode)
		}
	}
}
