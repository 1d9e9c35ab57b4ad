package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"batch/internal/stands"
	"batch/internal/testutil"
	"batch/sandbox"
)

// A refused Clave ends the e-mail operation at its first answer; the
// acuses of the same run all go.
func TestRefusedClaveStopsOnlyTheDispatch(t *testing.T) {
	t.Parallel()
	server, soapURL := stands.NewASMX(t, false)
	sb, url := stands.Sandbox(t, sandbox.Config{RatePerMinute: -1}, token)
	dir := t.TempDir()
	received := filepath.Join(dir, "recibidas.csv")
	writeText(t, received, "CUFE;Tipo identificacion;Identificacion;Nombres;Apellidos\n"+strings.Join(func() []string {
		var l []string
		for _, c := range cufes(10) {
			l = append(l, c+";13;52123456;Ana;Gómez")
		}
		return l
	}(), "\n")+"\n")
	issued := filepath.Join(dir, "emitidas.csv")
	writeText(t, issued, "Prefijo;NumeroFactura;FechaFactura;MailRecepcion\nFE;1;2026-11-20;a@b.co\nFE;2;2026-11-20;a@b.co\nFE;3;2026-11-20;a@b.co\n")
	vars := env(map[string]string{"AFACTURAR_TOKEN": token, "AFACTURAR_OBLIGADO": "900123456", "SSINTEGRAL_NIT": stands.SoapNIT, "SSINTEGRAL_CLAVE": "clave-equivocada"})
	code, msg := runMain(t, vars, "run", "--url", url, "--soap-url", soapURL, "--rate", "60000", "--rate-correo", "6000", "--concurrencia", "1",
		"--journal", filepath.Join(dir, "j.db"), "-o", filepath.Join(dir, "r.xlsx"), received, issued)
	rows := testutil.ReadSheet(t, filepath.Join(dir, "r.xlsx"), "Resultados")
	calls := 0
	for _, n := range server.Calls {
		calls += n
	}
	if code != exitNothing || sb.Requests() != 10 || len(rows) != 13 || !strings.Contains(msg, "SSINTEGRAL_CLAVE") {
		t.Fatalf("exit %d, %d acuses, %d rows\n%s", code, sb.Requests(), len(rows), msg)
	}
	for _, r := range rows[:10] {
		if r["acuse_estado"] != "OK" {
			t.Errorf("acuse row %s: %s", r["fila"], r["acuse_estado"])
		}
	}
	for _, r := range rows[10:] {
		if r["correo_estado"] != "PENDIENTE" {
			t.Errorf("correo row %s: %s", r["fila"], r["correo_estado"])
		}
	}
	if calls > 0 {
		t.Errorf("the service counted %d dispatches with a wrong Clave", calls)
	}
}

// Two runs on one journal and one token: the second exits at once naming
// the first; with --esperar it waits and then sends only what is left.
// Nothing is sent twice.
func TestOneRunPerTokenAtATime(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	fault, started := after(5, none)
	sb, url := stands.Sandbox(t, sandbox.Config{RatePerMinute: -1, Fault: fault,
		Latency: func() time.Duration { return 20 * time.Millisecond }}, token)
	dir := t.TempDir()
	in, jr := filepath.Join(dir, "r.csv"), filepath.Join(dir, "j.db")
	writeCSV(t, in, cufes(120))
	first := command(bin, url, "--rate", "1200", "--journal", jr, "-o", filepath.Join(dir, "a.xlsx"), in)
	var firstOut lockedBuffer
	first.Stderr = &firstOut
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	<-started
	second := command(bin, url, "--journal", jr, "-o", filepath.Join(dir, "b.xlsx"), in)
	out, err := second.CombinedOutput()
	if code := second.ProcessState.ExitCode(); code != exitNothing || !strings.Contains(string(out), fmt.Sprintf("pid %d", first.Process.Pid)) || !strings.Contains(string(out), "--esperar") {
		t.Errorf("second run: exit %d (%v)\n%s", code, err, out)
	}
	third := command(bin, url, "--esperar", "2m", "--journal", jr, "-o", filepath.Join(dir, "c.xlsx"), in)
	out, err = third.CombinedOutput()
	if err != nil {
		t.Fatalf("third run: %v\n%s", err, out)
	}
	first.Wait()
	if code := first.ProcessState.ExitCode(); code != exitOK {
		t.Fatalf("first run: exit %d\n%s", code, firstOut.String())
	}
	if !strings.Contains(string(out), "120 ya resueltas") {
		t.Errorf("third run did not find the first's work done:\n%s", out)
	}
	for _, c := range cufes(120) {
		if n := sb.Attempts(c); n != 1 {
			t.Fatalf("%s sent %d times", c, n)
		}
	}
}
