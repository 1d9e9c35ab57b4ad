package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"batch/internal/stands"
	"batch/sandbox"
)

// inFolder runs the built binary with the working folder wd, as cron or
// the Task Scheduler starts it wherever they like.
func inFolder(t *testing.T, bin, wd, state string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = wd
	cmd.Env = append(os.Environ(), "AFACTURAR_TOKEN="+token, "AFACTURAR_OBLIGADO=900123456", "XDG_STATE_HOME="+state, "TOK_ACME="+token)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, string(out)
}

// A relative path in the configuration file is read from the file's own
// folder: every command finds one journal for one configuration, whatever
// folder it starts in, and a second night from another folder sends
// nothing again.
func TestPathsAreTheConfigurationFiles(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	for _, night := range []bool{false, true} {
		sb, url := stands.Sandbox(t, sandbox.Config{RatePerMinute: -1}, token)
		root := t.TempDir()
		etc, wd1, wd2, state := filepath.Join(root, "etc"), filepath.Join(root, "uno"), filepath.Join(root, "dos"), filepath.Join(root, "estado")
		for _, d := range []string{etc, wd1, wd2, filepath.Join(etc, "entrada")} {
			os.MkdirAll(d, 0o755)
		}
		writeCSV(t, filepath.Join(etc, "entrada", "r.csv"), cufes(3))
		cfg := filepath.Join(etc, "batch.toml")
		text := "journal = \"diario.db\"\nurl = \"" + url + "\"\n"
		files := []string{filepath.Join(etc, "entrada", "r.csv"), "-o", filepath.Join(root, "r.xlsx")}
		if night {
			text += "carpeta_resultados = \"salidas\"\n[[obligados]]\nnombre = \"ACME\"\nnit = \"900123456\"\ntoken_env = \"TOK_ACME\"\narchivos = [\"entrada/*.csv\"]\n"
			files = nil
			os.MkdirAll(filepath.Join(etc, "salidas"), 0o755)
		}
		writeText(t, cfg, text)
		journal := filepath.Join(etc, "diario.db")
		for i, wd := range []string{wd1, wd2} {
			code, out := inFolder(t, bin, wd, state, append([]string{"run", "--config", cfg}, files...)...)
			if code != exitOK || sb.Requests() != 3 {
				t.Fatalf("night %v, run %d from %s: exit %d, %d requests in all\n%s", night, i+1, wd, code, sb.Requests(), out)
			}
			for _, cmd := range [][]string{{"config"}, {"pendientes"}, {"historial", cufes(3)[0]}, {"journal", "--asignar-ambiente", "pruebas"}, append([]string{"check"}, files...)} {
				code, out := inFolder(t, bin, wd, state, append(append([]string{cmd[0], "--config", cfg}, cmd[1:]...), files[:0]...)...)
				if cmd[0] == "check" {
					code, out = inFolder(t, bin, wd, state, append([]string{"check", "--config", cfg}, files...)...)
				}
				if code == exitNothing || strings.Contains(out, "no hay diario") {
					t.Errorf("night %v: %s from %s: exit %d\n%s", night, cmd[0], wd, code, out)
				}
				if cmd[0] == "config" && !strings.Contains(out, "diario: "+journal+"\n") {
					t.Errorf("night %v: batch config does not print the absolute journal %s:\n%s", night, journal, out)
				}
				if cmd[0] == "historial" && !strings.Contains(out, ": OK, CUDE ") {
					t.Errorf("night %v: historial from %s does not find the key:\n%s", night, wd, out)
				}
			}
		}
		for _, wd := range []string{wd1, wd2} {
			if left, _ := filepath.Glob(filepath.Join(wd, "*")); len(left) > 0 {
				t.Errorf("night %v: the working folder %s got %v", night, wd, left)
			}
		}
		if _, err := os.Stat(journal); err != nil {
			t.Errorf("night %v: no journal beside the configuration: %v", night, err)
		}
		// Its lock is named from the provider, the NIT and the environment.
		if locks, _ := filepath.Glob(journal + ".lock-*"); len(locks) != 1 || filepath.Base(locks[0]) != "diario.db.lock-afacturar-900123456-pruebas" {
			t.Errorf("night %v: lock files %v", night, locks)
		}
	}
}

// A journal where an earlier batch put it (the folder the night started
// in) is never traded for a new, empty one: the night refuses to start and
// says where the journal was found and where it belongs.
func TestAJournalLeftInTheWorkingFolderIsNamed(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	sb, url := stands.Sandbox(t, sandbox.Config{RatePerMinute: -1}, token)
	root := t.TempDir()
	etc, wd, state := filepath.Join(root, "etc"), filepath.Join(root, "tareas"), filepath.Join(root, "estado")
	os.MkdirAll(etc, 0o755)
	os.MkdirAll(wd, 0o755)
	in := filepath.Join(root, "r.csv")
	writeCSV(t, in, cufes(3))
	old := filepath.Join(wd, "diario.db")
	// Last night's journal, in the working folder as the old rule had it.
	if code, out := inFolder(t, bin, wd, state, "run", "--url", url, "--journal", old, "-o", filepath.Join(root, "a.xlsx"), in); code != exitOK || sb.Requests() != 3 {
		t.Fatalf("last night: exit %d, %d requests\n%s", code, sb.Requests(), out)
	}
	cfg := filepath.Join(etc, "batch.toml")
	writeText(t, cfg, "journal = \"diario.db\"\nurl = \""+url+"\"\n")
	now := filepath.Join(etc, "diario.db")
	for _, cmd := range [][]string{{"run", "--config", cfg, "-o", filepath.Join(root, "b.xlsx"), in}, {"pendientes", "--config", cfg}, {"config", "--config", cfg}} {
		code, out := inFolder(t, bin, wd, state, cmd...)
		if code != exitNothing || !strings.Contains(out, old) || !strings.Contains(out, now) || !strings.Contains(out, "Muévalo") {
			t.Errorf("%s: exit %d, want 2 naming %s and %s:\n%s", cmd[0], code, old, now, out)
		}
	}
	if sb.Requests() != 3 {
		t.Errorf("the refused night sent %d requests", sb.Requests()-3)
	}
	if _, err := os.Stat(now); err == nil {
		t.Errorf("a new, empty journal was made at %s", now)
	}
	// Moved where it belongs, the night goes on and sends nothing again.
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Rename(old+suffix, now+suffix)
	}
	if code, out := inFolder(t, bin, wd, state, "run", "--config", cfg, "-o", filepath.Join(root, "c.xlsx"), in); code != exitOK || sb.Requests() != 3 {
		t.Errorf("after moving it: exit %d, %d requests in all\n%s", code, sb.Requests(), out)
	}
	// A journal in both places: neither is chosen on a guess. (The old
	// place's locks and copies say a journal lived there: starting one
	// there again takes --diario-nuevo.)
	if code, out := inFolder(t, bin, wd, state, "run", "--url", url, "--journal", old, "-o", filepath.Join(root, "d.xlsx"), in); code != exitNothing || !strings.Contains(out, "--diario-nuevo") {
		t.Fatalf("a journal where one was: exit %d\n%s", code, out)
	}
	if code, out := inFolder(t, bin, wd, state, "run", "--url", url, "--journal", old, "--diario-nuevo", "-o", filepath.Join(root, "d.xlsx"), in); code != exitOK {
		t.Fatalf("a second journal: exit %d\n%s", code, out)
	}
	if code, out := inFolder(t, bin, wd, state, "run", "--config", cfg, "-o", filepath.Join(root, "e.xlsx"), in); code != exitNothing || !strings.Contains(out, "Quédese con uno") {
		t.Errorf("two journals: exit %d\n%s", code, out)
	}
}
