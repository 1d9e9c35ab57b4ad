package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// One truth: a CUV the provider answered but whose row names another
// invoice is REVISAR in the workbook, the JSON, pendientes and historial
// alike; historial finds a key by its invoice's number and its issuer, and
// lists by date and state; pendientes names the file and row.
func TestOneTruthForEveryKey(t *testing.T) {
	t.Parallel()
	_, url := stands.Sandbox(t, sandbox.Config{RatePerMinute: -1, CUVs: map[string]sandbox.CUV{
		cuvOf(600): {NumDocumentoIdObligado: "900123456", NumeroDocumento: "FE100", FechaEmision: "2026-11-02"},
		cuvOf(601): {NumDocumentoIdObligado: "900123456", NumeroDocumento: "FE101", FechaEmision: "2026-11-02"}}}, token)
	dir := t.TempDir()
	rips, recibidas := filepath.Join(dir, "rips.csv"), filepath.Join(dir, "recibidas.csv")
	writeText(t, rips, "CUV;Numero documento\n"+cuvOf(600)+";FE100\n"+cuvOf(601)+";FE999\n")
	writeText(t, recibidas, "CUFE;Prefijo;Numero documento;NIT emisor;Tipo identificacion;Identificacion;Nombres;Apellidos\n"+
		testutil.CUFE(6100)+";SETP;990000200;800.197.268-4;13;1;Ana;Gómez\n"+testutil.CUFE(6101)+";SETP;990000201;900.555.555;13;1;Ana;Gómez\n")
	jr := filepath.Join(dir, "diario.db")
	vars := env(map[string]string{"AFACTURAR_TOKEN": token, "AFACTURAR_OBLIGADO": "900123456", "XDG_STATE_HOME": t.TempDir()})
	var stdout, stderr bytes.Buffer
	out := filepath.Join(dir, "r.xlsx")
	if code := Main([]string{"run", "--url", url, "--rate", "60000", "--journal", jr, "--json", "-o", out, rips}, vars, &stdout, &stderr); code != exitSomeRows {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	if rows := testutil.ReadSheet(t, out, "Resultados"); rows[1]["cuv_estado"] != "REVISAR" {
		t.Errorf("workbook: %v", rows)
	}
	if !strings.Contains(stdout.String(), `"REVISAR": 1`) && !strings.Contains(stdout.String(), `"REVISAR":1`) {
		t.Errorf("--json does not count the REVISAR: %s", stdout.String())
	}
	if code := Main([]string{"run", "--url", url, "--rate", "60000", "--journal", jr, "-o", filepath.Join(dir, "r2.xlsx"), recibidas}, vars, &stdout, &stderr); code != exitOK {
		t.Fatalf("acuses: exit %d\n%s", code, stderr.String())
	}
	code, text := runMain(t, vars, "pendientes", "--journal", jr)
	if code != exitSomeRows || !strings.Contains(text, "cuv        REVISAR       "+cuvOf(601)) || !strings.Contains(text, "(rips.csv, fila 3; factura FE999)") || strings.Contains(text, cuvOf(600)) {
		t.Errorf("pendientes: exit %d\n%s", code, text)
	}
	code, text = runMain(t, vars, "historial", "--journal", jr, cuvOf(601))
	if code != exitOK || !strings.Contains(text, "cuv de 900123456: REVISAR") || !strings.Contains(text, "el proveedor respondió OK; la fila quedó REVISAR") {
		t.Errorf("historial of the CUV: exit %d\n%s", code, text)
	}
	for _, c := range []struct {
		args []string
		want []string
		not  string
	}{
		{[]string{"--factura", "setp-990000200"}, []string{testutil.CUFE(6100), "factura SETP 990000200 de 800197268", "1 claves"}, testutil.CUFE(6101)},
		{[]string{"SETP990000201"}, []string{testutil.CUFE(6101), "acuse de 900123456: OK", "recibidas.csv, fila 3"}, testutil.CUFE(6100)},
		{[]string{"--proveedor", "900 555 555"}, []string{testutil.CUFE(6101), "1 claves"}, testutil.CUFE(6100)},
		{[]string{"--desde", time.Now().Format("2006-01-02"), "--estado", "revisar"}, []string{cuvOf(601), "1 claves"}, cuvOf(600)},
		{[]string{"--hasta", time.Now().AddDate(0, 0, -1).Format("2006-01-02")}, []string{"0 claves"}, cuvOf(600)},
	} {
		_, text := runMain(t, vars, append([]string{"historial", "--journal", jr}, c.args...)...)
		for _, want := range c.want {
			if !strings.Contains(text, want) || strings.Contains(text, c.not) {
				t.Errorf("historial %v: want %q, not %s\n%s", c.args, want, c.not[:8], text)
			}
		}
	}
}
