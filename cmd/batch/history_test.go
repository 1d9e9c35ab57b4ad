package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"batch/internal/stands"
	"batch/internal/testutil"
	"batch/sandbox"
)

// Two nights on one journal; in the morning, historial tells one CUFE's
// story across them and pendientes lists what still needs a person, by
// obligado, without writing to the journal.
func TestHistorialAndPendientes(t *testing.T) {
	t.Parallel()
	failing := testutil.CUFE(950)
	sb, url := stands.Sandbox(t, sandbox.Config{RatePerMinute: -1, Fault: func(cufe string, attempt int) sandbox.Fault {
		if cufe == failing && attempt <= 2 {
			return sandbox.Fault500
		}
		return sandbox.FaultNone
	}}, token)
	dir := t.TempDir()
	jr, in := filepath.Join(dir, "j.db"), filepath.Join(dir, "r.csv")
	unknown := sandbox.UnknownPrefix + testutil.CUFE(951)[4:]
	writeCSV(t, in, []string{failing, unknown, testutil.CUFE(952), "no-es-un-cufe"})
	args := []string{"run", "--url", url, "--rate", "60000", "--reintentos", "2", "--espera-reintento", "5ms", "--journal", jr, in}
	runMain(t, full, args...) // night 1: the failing CUFE stays PENDIENTE
	runMain(t, full, args...) // night 2: it goes through
	stat := func() int64 { st, _ := os.Stat(jr); return st.Size() }
	size := stat()

	var out, errOut bytes.Buffer
	code := Main([]string{"historial", "--journal", jr, strings.ToUpper(failing)}, env(nil), &out, &errOut)
	text := out.String()
	if code != exitOK || !strings.Contains(text, "acuse de 900123456: OK, CUDE ") || strings.Count(text, " PENDIENTE ") != 2 || strings.Count(text, " OK ") != 1 {
		t.Errorf("historial: exit %d\n%s%s", code, text, errOut.String())
	}
	if cude, _ := sb.Registered(failing); !strings.Contains(text, cude) {
		t.Errorf("historial does not show the CUDE %s:\n%s", cude, text)
	}

	out.Reset()
	xlsx := filepath.Join(dir, "pendientes.xlsx")
	code = Main([]string{"pendientes", "--journal", jr, "-o", xlsx}, env(nil), &out, &errOut)
	if code != exitSomeRows || !strings.Contains(out.String(), "900123456\n") || !strings.Contains(out.String(), unknown) ||
		strings.Contains(out.String(), failing) || !strings.Contains(out.String(), "INVALIDO      no-es-un-cufe") ||
		!strings.Contains(out.String(), "2 claves necesitan atención") {
		t.Errorf("pendientes: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	rows := testutil.ReadSheet(t, xlsx, "Pendientes")
	if len(rows) != 2 || rows[0]["estado"] != "RECHAZADO" || rows[0]["clave"] != unknown || rows[1]["estado"] != "INVALIDO" {
		t.Errorf("pendientes.xlsx: %v", rows)
	}
	if stat() != size {
		t.Error("reading the journal changed it")
	}
	// The next night the invalid row is fixed: it no longer shows.
	writeCSV(t, in, []string{failing, unknown, testutil.CUFE(952), testutil.CUFE(953)})
	runMain(t, full, args...)
	out.Reset()
	Main([]string{"pendientes", "--journal", jr}, env(nil), &out, &errOut)
	if strings.Contains(out.String(), "INVALIDO") || !strings.Contains(out.String(), "1 claves necesitan atención") {
		t.Errorf("pendientes after the fix:\n%s", out.String())
	}
	if code := Main([]string{"pendientes", "--journal", filepath.Join(dir, "no-existe.db")}, env(nil), &out, &errOut); code != exitNothing {
		t.Errorf("a journal that does not exist: exit %d", code)
	}
}
