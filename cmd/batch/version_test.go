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
