package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// The samples in samples/ are what this command makes, byte for byte: the
// export a test or make run reads is the one described here.
func TestTheSamplesAreThisCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	list := docs()
	if err := writeXLSX(filepath.Join(dir, "x.xlsx"), list); err != nil {
		t.Fatal(err)
	}
	if err := writeCSV(filepath.Join(dir, "x.csv"), list); err != nil {
		t.Fatal(err)
	}
	for made, kept := range map[string]string{"x.xlsx": "dian-recibidos.xlsx", "x.csv": "dian-recibidos.csv"} {
		a, _ := os.ReadFile(filepath.Join(dir, made))
		b, err := os.ReadFile(filepath.Join("..", "..", "samples", kept))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("samples/%s is not what go run ./tools/muestras makes (%v): run it again", kept, err)
		}
	}
	if kept, _ := os.ReadFile(filepath.Join("..", "..", "samples", "por-pagar.csv")); string(kept) != payables(list) {
		t.Error("samples/por-pagar.csv is not what go run ./tools/muestras makes: run it again")
	}
	if len(list) != 26 {
		t.Errorf("%d rows", len(list))
	}
}
