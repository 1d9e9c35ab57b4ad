package main

import (
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
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
		"srv/batch/entrada": 0o770 | os.ModeDir, "srv/batch/resultados": 0o750 | os.ModeDir, "var/lib/batch": 0o700 | os.ModeDir,
		"var/log/batch": 0o750 | os.ModeDir,
	} {
		st, err := os.Stat(filepath.Join(root, path))
		if err != nil || st.Mode()&(os.ModeDir|os.ModePerm) != mode {
			t.Errorf("%s: %v, %v; want %v", path, err, st.Mode(), mode)
		}
	}
	// What the unit writes to exists, so systemd can start it.
	unit, _ := os.ReadFile(filepath.Join(root, "etc/systemd/system/batch-nocturno.service"))
	for _, line := range strings.Split(string(unit), "\n") {
		if rest, ok := strings.CutPrefix(line, "ReadWritePaths="); ok {
			for _, p := range strings.Fields(rest) {
				if _, err := os.Stat(filepath.Join(root, p)); err != nil {
					t.Errorf("the unit writes to %s, which the installation did not create", p)
				}
			}
		}
	}
	env := filepath.Join(root, "etc/batch/batch.env")
	os.WriteFile(env, []byte("AFACTURAR_TOKEN_ACME=el-de-verdad\n"), 0o600)
	if out := install(); !strings.Contains(out, "se conserva /etc/batch/batch.env") {
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
		task.Limit != "PT6H" || !strings.HasSuffix(task.Command, `batch.exe"`) || !strings.HasPrefix(task.Arguments, "run --config ") ||
		strings.Contains(strings.ToUpper(text), "TOKEN=") {
		t.Errorf("%+v", task)
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
