package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestCUVHasNoProductionURL(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := filepath.Join(dir, "rips.csv")
	writeText(t, in, "CUV\n"+cuvOf(1)+"\n")
	code, msg := runMain(t, full, "run", "--ambiente", "produccion", in)
	if code != exitNothing || !strings.Contains(msg, "consultar_cuv") || !strings.Contains(msg, "--url") {
		t.Errorf("exit %d: %s", code, msg)
	}
}
