package ops

import (
	"os"
	"path/filepath"
	"testing"
)

// A file with a second name (a hard link) has two, on every system.
func TestLinksCountsNames(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.pdf")
	os.WriteFile(a, []byte("%PDF"), 0o600)
	for _, want := range []uint64{1, 2} {
		if want == 2 {
			if err := os.Link(a, filepath.Join(dir, "b.pdf")); err != nil {
				t.Skip(err)
			}
		}
		f, err := os.Open(a)
		if err != nil {
			t.Fatal(err)
		}
		info, _ := f.Stat()
		if got := links(f, info); got != want {
			t.Errorf("links = %d, want %d", got, want)
		}
		f.Close()
	}
}
