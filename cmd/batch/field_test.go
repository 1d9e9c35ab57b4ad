package main

// A night in the field: what an operator does in the first week, tried
// against stand-ins that are not the sandbox.

import (
	"path/filepath"
	"strings"
	"testing"

	"batch/internal/testutil"
)

// DIAN's pruebas, then producción, on one journal: the production night
// sends every row again to production and shows production's answers; a
// sandbox run on the same journal leaves both alone; historial shows each
// environment apart. A journal written before environments were recorded
// is reused by no one until the operator names its environment.
func TestAnAnswerCountsOnlyInItsEnvironment(t *testing.T) {
	pruebas, pruebasURL := newStandIn(t)
	produccion, produccionURL := newStandIn(t)
	dir := t.TempDir()
	jr, in, out := filepath.Join(dir, "j.db"), filepath.Join(dir, "r.csv"), filepath.Join(dir, "r.xlsx")
	list := cufes(4)
	writeCSV(t, in, list)
	night := func(args ...string) (int, string) {
		t.Helper()
		return runMain(t, full, append(append([]string{"run", "--rate", "60000", "--journal", jr, "-o", out}, args...), in)...)
	}
	if code, msg := night("--ambiente", "pruebas", "--url", pruebasURL); code != exitOK {
		t.Fatalf("pruebas: exit %d\n%s", code, msg)
	}
	if code, msg := night("--ambiente", "produccion", "--url", produccionURL); code != exitOK || !strings.Contains(msg, "0 ya resueltas") {
		t.Fatalf("produccion: exit %d\n%s", code, msg)
	}
	for _, c := range list {
		if pruebas.count(c) != 1 || produccion.count(c) != 1 {
			t.Errorf("%s: %d in pruebas, %d in produccion; want 1 each", c[:8], pruebas.count(c), produccion.count(c))
		}
	}
	for _, r := range testutil.ReadSheet(t, out, "Resultados") {
		if r["acuse_estado"] != "OK" || strings.Contains(r["acuse_mensaje"], "anterior") {
			t.Errorf("production workbook: %s %q", r["acuse_estado"], r["acuse_mensaje"])
		}
	}
	// The sandbox, named on the same journal, answers for itself only.
	if code, msg := runMain(t, env(nil), "run", "--sandbox", "--journal", jr, "-o", filepath.Join(dir, "s.xlsx"), in); code != exitOK || !strings.Contains(msg, "0 ya resueltas") {
		t.Fatalf("sandbox: exit %d\n%s", code, msg)
	}
	if code, msg := night("--ambiente", "produccion", "--url", produccionURL); code != exitOK || !strings.Contains(msg, "4 ya resueltas") {
		t.Fatalf("produccion again: exit %d\n%s", code, msg)
	}
	if produccion.count(list[0]) != 1 {
		t.Errorf("production sent %d times", produccion.count(list[0]))
	}
	_, text := runMain(t, env(nil), "historial", "--journal", jr, list[0])
	for _, want := range []string{"pruebas · acuse de 900123456: OK", "produccion · acuse de 900123456: OK", "sandbox · acuse de "} {
		if !strings.Contains(text, want) {
			t.Errorf("historial lacks %q:\n%s", want, text)
		}
	}
}

// A sandbox run keeps its own journal even when the configuration file
// names the real nights' one: no simulated answer lands there.
func TestSandboxKeepsOutOfTheConfiguredJournal(t *testing.T) {
	dir := t.TempDir()
	jr, in, cfg := filepath.Join(dir, "real.db"), filepath.Join(dir, "r.csv"), filepath.Join(dir, "batch.toml")
	writeCSV(t, in, cufes(2))
	writeText(t, cfg, "journal = \""+jr+"\"\n")
	if code, msg := runMain(t, env(nil), "run", "--sandbox", "--config", cfg, "-o", filepath.Join(dir, "s.xlsx"), in); code != exitOK {
		t.Fatalf("sandbox: exit %d\n%s", code, msg)
	}
	if code, text := runMain(t, env(nil), "historial", "--journal", jr, cufes(1)[0]); code == exitOK || strings.Contains(text, "OK") {
		t.Errorf("the configured journal holds the sandbox's answer (exit %d):\n%s", code, text)
	}
}

// A journal from before environments were recorded: its dispatch of FE 123
// is not reused for producción until the operator says where it came from.
func TestOldJournalIsNotReusedWithoutTheOperatorsWord(t *testing.T) {
	server, soapURL := newASMX(t, false)
	dir := t.TempDir()
	jr, in := filepath.Join(dir, "j.db"), filepath.Join(dir, "e.csv")
	writeOldJournal(t, jr)
	writeText(t, in, "Prefijo;NumeroFactura;FechaFactura;MailRecepcion\nFE;123;2026-11-20;a@b.co\n")
	vars := env(map[string]string{"SSINTEGRAL_NIT": soapNIT, "SSINTEGRAL_CLAVE": soapClave})
	if code, msg := runMain(t, vars, "run", "--ambiente", "produccion", "--soap-url", soapURL, "--rate-correo", "6000", "--journal", jr, in); code != exitOK {
		t.Fatalf("exit %d\n%s", code, msg)
	}
	if server.calls["FE123"] != 1 {
		t.Errorf("FE 123 sent %d times to production; want 1 (the old journal's answer is in no known environment)", server.calls["FE123"])
	}
	if code, msg := runMain(t, env(nil), "journal", "--asignar-ambiente", "producción", "--journal", jr); code != exitNothing || !strings.Contains(msg, "produccion") {
		t.Errorf("a misspelt environment: exit %d\n%s", code, msg)
	}
}

// The command line answers in Spanish, on one line, with what to do.
func TestCommandLineSpeaksSpanish(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "r.csv")
	writeCSV(t, in, cufes(2))
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"check", in, "--quiet"}, exitOK, ""},
		{[]string{"run", "--sandbx", in}, exitNothing, "¿quiso decir «--sandbox»?"},
		{[]string{"run", "--timeout", "noventa", in}, exitNothing, "--timeout \"noventa\" no es un valor válido: use una duración como 90"},
		{[]string{"run", "--rate", "x", in}, exitNothing, "debe ser un número entero"},
		{[]string{"check", "--timeout", "90", "--quiet", in}, exitOK, ""},
		{[]string{"config", "--config", filepath.Join(dir, "no-existe.toml")}, exitNothing, "no existe"},
		{[]string{"enviar"}, exitNothing, ""},
	} {
		code, msg := runMain(t, env(nil), c.args...)
		lines := strings.Split(strings.TrimSpace(msg), "\n")
		if code != c.code || !strings.Contains(msg, c.want) || (code == exitNothing && len(lines) != 1) ||
			strings.Contains(msg, "flag") || strings.Contains(msg, "invalid") || strings.Contains(msg, "parse error") {
			t.Errorf("%v: exit %d\n%s", c.args, code, msg)
		}
	}
	_, help := runMain(t, env(nil), "run", "--help")
	if !strings.Contains(help, "  --timeout DURACIÓN\n") || !strings.Contains(help, "(predeterminado: 1m30s)") || strings.Contains(help, "default") {
		t.Errorf("help:\n%s", help)
	}
}

// A configuration file's mistakes are named with file, line and a guess.
func TestConfigurationMistakesAreNamed(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "batch.toml")
	for _, c := range []struct{ text, want string }{
		{"rate = 60\nambiente = \"pruebas\n", "línea 2"},
		{"ambiente = \"pruebas\"\nreintento = 3\n", "¿quiso decir «reintentos»?"},
		{"[[obligados]]\nnit = \"900111111\"\ntoken_evn = \"TOK\"\narchivos = [\"*.csv\"]\n", "¿quiso decir «token_env»?"},
		{"[persona]\nnombre = \"Ana\"\n", "¿quiso decir «nombres»?"},
	} {
		writeText(t, cfg, c.text)
		code, msg := runMain(t, env(nil), "config", "--config", cfg)
		if code != exitNothing || !strings.Contains(msg, c.want) || !strings.Contains(msg, cfg) || len(strings.Split(strings.TrimSpace(msg), "\n")) != 1 {
			t.Errorf("%q: exit %d\n%s", c.text, code, msg)
		}
	}
}
