package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// readmeBlocks are the fenced blocks of lang in a README section (## title),
// before its first subsection: what a newcomer runs first.
func readmeBlocks(t *testing.T, readme, title, lang string) []string {
	t.Helper()
	var blocks []string
	in, fenced, collecting := false, false, false
	var b strings.Builder
	sc := bufio.NewScanner(strings.NewReader(readme))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "```") && !fenced:
			fenced, collecting = true, in && line == "```"+lang
			b.Reset()
		case line == "```" && fenced:
			if collecting {
				blocks = append(blocks, b.String())
			}
			fenced, collecting = false, false
		case fenced:
			if collecting {
				b.WriteString(line + "\n")
			}
		case strings.HasPrefix(line, "#"):
			in = line == "## "+title
		}
	}
	if len(blocks) == 0 {
		t.Fatalf("README has no %s block under «## %s»", lang, title)
	}
	return blocks
}

// The README's first run and first night work as written: the commands
// run one by one in a folder with the samples, the build from the
// checkout itself. The front door cannot rot.
func TestTheReadmesFirstRunAndNight(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	work, home := t.TempDir(), t.TempDir()
	copyDir(t, "../../samples", filepath.Join(work, "samples"))
	environ := append(os.Environ(), "HOME="+home, "XDG_STATE_HOME="+filepath.Join(home, "estado"), "XDG_CONFIG_HOME="+filepath.Join(home, "config"))
	run := func(section, block string) {
		for _, line := range strings.Split(block, "\n") {
			if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue
			}
			cmd := exec.Command("bash", "-c", line)
			cmd.Dir, cmd.Env = work, environ
			if build := "go build -o bin/batch ./cmd/batch"; strings.HasPrefix(line, build) {
				// Built from the checkout, into the folder the rest runs in.
				cmd = exec.Command("go", "build", "-o", filepath.Join(work, "bin", "batch"), "./cmd/batch")
				cmd.Dir = "../.."
			}
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s: %s: %v\n%s", section, line, err, out)
			}
			if strings.Contains(line, " run ") && !strings.Contains(string(out), "resultados:") && !strings.Contains(string(out), "resumen de la noche") {
				t.Errorf("%s: %s printed no results:\n%s", section, line, out)
			}
		}
	}
	for _, b := range readmeBlocks(t, readme, "La primera ejecución", "sh") {
		run("primera ejecución", b)
	}
	if _, err := os.Stat(filepath.Join(work, "primera.xlsx")); err != nil {
		t.Errorf("the first run's workbook: %v", err)
	}
	toml := readmeBlocks(t, readme, "La primera noche", "toml")[0]
	if err := os.WriteFile(filepath.Join(work, "noche.toml"), []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, b := range readmeBlocks(t, readme, "La primera noche", "sh") {
		run("primera noche", b)
	}
	for _, pattern := range []string{"900111111-resultados-*.xlsx", "900222222-resultados-*.xlsx", "noche-*.xlsx"} {
		if found, _ := filepath.Glob(filepath.Join(work, "resultados", pattern)); len(found) != 1 {
			t.Errorf("the first night left %v for %s", found, pattern)
		}
	}
}

// copyDir copies the files of a folder, and of its folders.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
