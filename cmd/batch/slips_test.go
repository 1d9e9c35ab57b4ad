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

// slipNight is a night of one company, ACME, whose nit is written as
// given, over the sandbox: its configuration file, and a run of it that
// gives the exit code and stderr.
type slipNight struct {
	t            *testing.T
	dir, cfg     string
	state        string
	sb           *sandbox.Server
	url, journal string
}

func newSlipNight(t *testing.T) *slipNight {
	sb, url := stands.Sandbox(t, sandbox.Config{RatePerMinute: -1, Tokens: map[string]string{"tok-acme": "900111111", "tok-beta": "900222222"}}, token)
	dir := t.TempDir()
	n := &slipNight{t: t, dir: dir, cfg: filepath.Join(dir, "batch.toml"), state: t.TempDir(), sb: sb, url: url, journal: filepath.Join(dir, "journal.db")}
	return n
}

// write writes the configuration with the companies' tables as given.
func (n *slipNight) write(companies string) {
	writeText(n.t, n.cfg, "url = \""+n.url+"\"\nrate = 60000\njournal = \""+n.journal+"\"\ncarpeta_resultados = \""+filepath.Join(n.dir, "salida")+"\"\n"+companies)
}

func (n *slipNight) run(args ...string) (int, string, string) {
	vars := env(map[string]string{"AFACTURAR_TOKEN_ACME": "tok-acme", "AFACTURAR_TOKEN_BETA": "tok-beta", "XDG_STATE_HOME": n.state})
	var stdout, stderr bytes.Buffer
	code := Main(append([]string{"run", "--config", n.cfg}, args...), vars, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

const acmeTable = `
[[obligados]]
nombre = "ACME"
nit = "%s"
token_env = "AFACTURAR_TOKEN_ACME"
archivos = ["acme/*.csv"]
`

// A NIT written as on an invoice, with dots and its check digit, is the
// same company as its digits: the second night, so written, sends nothing
// again and speaks to Afacturar with the digits alone; one whose check
// digit is not the DIAN's is refused at its line, naming the right one.
func TestANITAsWrittenOnAnInvoice(t *testing.T) {
	t.Parallel()
	n := newSlipNight(t)
	os.MkdirAll(filepath.Join(n.dir, "acme"), 0o755)
	writeCSV(t, filepath.Join(n.dir, "acme", "r.csv"), []string{testutil.CUFE(3501), testutil.CUFE(3502), testutil.CUFE(3503)})
	n.write(strings.Replace(acmeTable, "%s", "900111111", 1))
	if code, _, stderr := n.run(); code != exitOK || n.sb.Requests() != 3 {
		t.Fatalf("first night: exit %d, %d requests\n%s", code, n.sb.Requests(), stderr)
	}
	n.write(strings.Replace(acmeTable, "%s", "900.111.111-0", 1))
	if code, _, stderr := n.run(); code != exitOK || n.sb.Requests() != 3 {
		t.Errorf("the same company written 900.111.111-0: exit %d, %d requests in all (want 3)\n%s", code, n.sb.Requests(), stderr)
	}
	n.write(strings.Replace(acmeTable, "%s", "900.111.111-1", 1))
	code, _, stderr := n.run()
	for _, want := range []string{n.cfg + " (línea 8)", "dígito de verificación 1", "el de 900111111 es 0"} {
		if code != exitNothing || !strings.Contains(stderr, want) {
			t.Errorf("a wrong check digit: exit %d, want 2 and %q\n%s", code, want, stderr)
		}
	}
	// The single run's --obligado reads it the same way.
	var stdout, errs bytes.Buffer
	code = Main([]string{"run", "--url", n.url, "--rate", "60000", "--journal", n.journal, "--obligado", "900.111.111-0",
		"-o", filepath.Join(n.dir, "uno.xlsx"), filepath.Join(n.dir, "acme", "r.csv")},
		env(map[string]string{"AFACTURAR_TOKEN": "tok-acme", "XDG_STATE_HOME": n.state}), &stdout, &errs)
	if code != exitOK || n.sb.Requests() != 3 {
		t.Errorf("--obligado 900.111.111-0: exit %d, %d requests in all\n%s", code, n.sb.Requests(), errs.String())
	}
	errs.Reset()
	if code := Main([]string{"run", "--sandbox", "--obligado", "900111111-7", filepath.Join(n.dir, "acme", "r.csv")}, env(nil), &stdout, &errs); code != exitNothing ||
		!strings.Contains(errs.String(), "--obligado: el NIT \"900111111-7\"") {
		t.Errorf("--obligado with a wrong check digit: exit %d\n%s", code, errs.String())
	}
}
