package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A binary built from a checkout names its commit, as the release
// archives do, with no flags stamped by hand.
func TestVersionNamesTheCommit(t *testing.T) {
	t.Parallel()
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "batch")
	if out, err := exec.Command("go", "build", "-buildvcs=true", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	want := "commit " + strings.TrimSpace(string(head))
	if err != nil || !strings.Contains(string(out), want) {
		t.Errorf("batch version: %v\n%s\nwant %q", err, out, want)
	}
}

// Every command answers --help with its own text, from ayuda/, and
// "batch" alone with the list of commands.
func TestEveryCommandHasItsHelp(t *testing.T) {
	t.Parallel()
	for _, c := range commands {
		if c.name == "version" {
			continue
		}
		code, out := runMain(t, env(nil), c.name, "--help")
		if code != exitOK || !strings.Contains(out, "Uso: batch "+c.name) {
			t.Errorf("batch %s --help: exit %d\n%s", c.name, code, out)
		}
	}
	if code, out := runMain(t, env(nil)); code != exitNothing || !strings.Contains(out, "batch check [opciones] ARCHIVO") {
		t.Errorf("batch alone: exit %d\n%s", code, out)
	}
}
