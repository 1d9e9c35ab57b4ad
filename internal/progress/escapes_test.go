package progress

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Off a console (a file, a pipe) the progress is lines, never escape
// sequences, on every system.
func TestOffAConsoleNoEscapes(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "registro.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := Start(f, 10, func() int { return 3 })
	d.Row()
	d.Say("batch: Afacturar no responde")
	d.Stop()
	b, _ := os.ReadFile(f.Name())
	if d.bar != nil || strings.ContainsRune(string(b), '\x1b') || string(b) != "batch: Afacturar no responde\n" {
		t.Errorf("bar %v, %q", d.bar != nil, b)
	}
}
