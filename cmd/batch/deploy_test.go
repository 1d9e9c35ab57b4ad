package main

import (
	"encoding/xml"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf16"
)

// deploy/instalar.sh installs the night into a folder as it would on the
// machine: the program, the units, the folders the unit writes to, the
// configuration and the secrets file 0600; run again, it keeps what the
// operator edited.
func TestDeployInstallsItself(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	bin := buildBinary(t)
	root := filepath.Join(t.TempDir(), "raiz")
	install := func() string {
		t.Helper()
		out, err := exec.Command("sh", filepath.Join("..", "..", "deploy", "instalar.sh"), "--raiz", root, "--binario", bin).CombinedOutput()
		if err != nil {
			t.Fatalf("instalar.sh: %v\n%s", err, out)
		}
		return string(out)
	}
	install()
	for path, mode := range map[string]os.FileMode{
		"usr/local/bin/batch": 0o755, "etc/batch/batch.env": 0o600, "etc/batch/config.toml": 0o640,
		"etc/systemd/system/batch-nocturno.service": 0o644, "etc/systemd/system/batch-nocturno.timer": 0o644,
		"etc/systemd/system/batch-aviso@.service": 0o644, "usr/local/lib/batch/avisar.sh": 0o755,
		"srv/batch/entrada": 0o770 | os.ModeDir, "srv/batch/resultados": 0o750 | os.ModeDir, "var/lib/batch": 0o700 | os.ModeDir,
		"var/log/batch": 0o750 | os.ModeDir,
	} {
		if st, err := os.Stat(filepath.Join(root, path)); err != nil || st.Mode()&(os.ModeDir|os.ModePerm) != mode {
			t.Errorf("%s: %v; want %v", path, err, mode)
		}
	}
	// What the unit writes to exists, so systemd can start it.
	unit, _ := os.ReadFile(filepath.Join(root, "etc/systemd/system/batch-nocturno.service"))
	for _, line := range strings.Split(string(unit), "\n") {
		if rest, ok := strings.CutPrefix(line, "ReadWritePaths="); ok {
			for _, p := range strings.Fields(rest) {
				if _, err := os.Stat(p); err != nil || !strings.HasPrefix(p, root+"/") {
					t.Errorf("the unit writes to %s, which the installation under %s did not create", p, root)
				}
			}
		}
	}
	// Every path of the machine in what was installed is under --raiz.
	machine := regexp.MustCompile(`/(etc|srv|var|usr/local)/[^\s"'#]*`)
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, "/bin/batch") {
			return err
		}
		text, _ := os.ReadFile(path)
		for _, loc := range machine.FindAllStringIndex(string(text), -1) {
			if !strings.HasSuffix(string(text[:loc[0]]), root) {
				t.Errorf("%s names %s, outside %s", path, text[loc[0]:loc[1]], root)
			}
		}
		return nil
	})
	if out, _ := exec.Command(filepath.Join(root, "usr/local/bin/batch"), "config", "--config", filepath.Join(root, "etc/batch/config.toml")).CombinedOutput(); !strings.Contains(string(out), "diario: "+filepath.Join(root, "var/lib/batch/journal.db")) {
		t.Errorf("the installed configuration's journal is not under %s:\n%s", root, out)
	}
	env := filepath.Join(root, "etc/batch/batch.env")
	os.WriteFile(env, []byte("AFACTURAR_TOKEN_ACME=el-de-verdad\n"), 0o600)
	if out := install(); !strings.Contains(out, "se conserva "+env) {
		t.Errorf("second installation:\n%s", out)
	}
	if b, _ := os.ReadFile(env); string(b) != "AFACTURAR_TOKEN_ACME=el-de-verdad\n" {
		t.Error("the second installation replaced the secrets")
	}
	if out, err := exec.Command(filepath.Join(root, "usr/local/bin/batch"), "version").Output(); err != nil || !strings.HasPrefix(string(out), "batch ") {
		t.Errorf("installed program: %v %q", err, out)
	}
}

// The Windows task runs daily at 2:00 whether anyone is logged on or not,
// never twice at once, stopped at 6 hours, with no secret in it.
func TestWindowsTaskIsWhatTheREADMESays(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join("..", "..", "deploy", "tarea-programada.xml"))
	if err != nil {
		t.Fatal(err)
	}
	u16 := make([]uint16, 0, len(raw)/2)
	for i := 2; i+1 < len(raw); i += 2 { // past the byte-order mark
		u16 = append(u16, uint16(raw[i])|uint16(raw[i+1])<<8)
	}
	text := string(utf16.Decode(u16))
	var task struct {
		Start     string `xml:"Triggers>CalendarTrigger>StartBoundary"`
		Days      int    `xml:"Triggers>CalendarTrigger>ScheduleByDay>DaysInterval"`
		Logon     string `xml:"Principals>Principal>LogonType"`
		Instances string `xml:"Settings>MultipleInstancesPolicy"`
		Limit     string `xml:"Settings>ExecutionTimeLimit"`
		Command   string `xml:"Actions>Exec>Command"`
		Arguments string `xml:"Actions>Exec>Arguments"`
	}
	dec := xml.NewDecoder(strings.NewReader(text))
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	if err := dec.Decode(&task); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(task.Start, "T02:00:00") || task.Days != 1 || task.Logon != "Password" || task.Instances != "IgnoreNew" ||
		task.Limit != "PT6H" || task.Command != "powershell.exe" || !strings.HasSuffix(task.Arguments, `-File "C:\Program Files\batch\noche.ps1"`) ||
		strings.Contains(strings.ToUpper(text), "TOKEN=") {
		t.Errorf("%+v", task)
	}
	// The script the task runs runs the night, gives its exit code back
	// and leaves an error in the event log for a night that went badly;
	// the installer copies it and makes the log's source once.
	script, _ := os.ReadFile(filepath.Join("..", "..", "deploy", "noche.ps1"))
	installer, _ := os.ReadFile(filepath.Join("..", "..", "deploy", "instalar-windows.ps1"))
	for file, wants := range map[string][]string{
		"noche.ps1":            {"run --config", "--quiet --json", "if ($codigo -ge 2)", "Write-EventLog -LogName Application -Source batch", ".resumen", "exit $codigo"},
		"instalar-windows.ps1": {"'noche.ps1'", "New-EventLog -LogName Application -Source batch"},
	} {
		for _, want := range wants {
			if text := map[string][]byte{"noche.ps1": script, "instalar-windows.ps1": installer}[file]; !strings.Contains(string(text), want) {
				t.Errorf("%s lacks %q", file, want)
			}
		}
	}
}

// A build stamped as make dist stamps it says its commit and date.
func TestVersionSaysItsCommit(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "batch")
	ld := "-X batch.Version=v1.2.3 -X batch.Commit=abc123 -X batch.Date=2026-12-01T22:00:00Z"
	if out, err := exec.Command("go", "build", "-ldflags", ld, "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	out, _ := exec.Command(bin, "version").Output()
	if string(out) != "batch v1.2.3\ncommit abc123 del 2026-12-01T22:00:00Z\n" {
		t.Errorf("%q", out)
	}
}

// The failure notice names the night's exit code and its summary's path,
// read from the failed invocation's own log, in the system log and by
// mail where the machine has it.
func TestTheFailureNoticeNamesTheSummary(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	bin, out := t.TempDir(), t.TempDir()
	fake := map[string]string{
		"systemctl":  `case "$*" in *ExecMainStatus*) echo 3 ;; *InvocationID*) echo 5f3c ;; esac`,
		"journalctl": `echo "$*" > "$OUT/journalctl"; printf '%s\n' 'batch: ACME 900111111: código 3, 4 filas, interrumpida' '{' '  "resumen": "/srv/batch/resultados/noche-2026-12-07.xlsx",' '  "codigo_salida": 3' '}'`,
		"logger":     `echo "$*" > "$OUT/logger"`,
		"mail":       `echo "$*" > "$OUT/mail-to"; cat > "$OUT/mail"`,
	}
	for name, body := range fake {
		if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("sh", filepath.Join("..", "..", "deploy", "avisar.sh"), "batch-nocturno.service")
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "OUT="+out, "BATCH_AVISO_PARA=contabilidad@example.com")
	if text, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("avisar.sh: %v\n%s", err, text)
	}
	read := func(name string) string { b, _ := os.ReadFile(filepath.Join(out, name)); return string(b) }
	for file, want := range map[string]string{
		"journalctl": "_SYSTEMD_INVOCATION_ID=5f3c",
		"logger":     "se interrumpió (lo que no se envió queda PENDIENTE para la próxima noche). Resumen de la noche: /srv/batch/resultados/noche-2026-12-07.xlsx",
		"mail-to":    "contabilidad@example.com",
		"mail":       "ACME 900111111: código 3",
	} {
		if !strings.Contains(read(file), want) {
			t.Errorf("%s lacks %q:\n%s", file, want, read(file))
		}
	}
}
