package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
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
	os.MkdirAll(filepath.Join(dir, "salida"), 0o755)
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

// mountTmpfs mounts a filesystem of size bytes at dir (read-only with
// ro) for the test, or skips it where this machine does not let the test
// mount one (not root, no mount namespace).
func mountTmpfs(t *testing.T, dir string, size int, ro bool) {
	t.Helper()
	opts := fmt.Sprintf("size=%d,mode=0777", size)
	if ro {
		opts += ",ro"
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", opts, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small filesystem here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
}

// A disk that fills while the night writes its workbooks: what was sent is
// counted as sent, no summary is named that was not written, the cause is
// in Spanish with what to do, and the next night sends nothing again. A
// folder on a read-only disk stops the night before it sends.
func TestAFullDiskIsToldRight(t *testing.T) {
	t.Parallel()
	n := newSlipNight(t)
	os.MkdirAll(filepath.Join(n.dir, "acme"), 0o755)
	writeCSV(t, filepath.Join(n.dir, "acme", "r.csv"), []string{testutil.CUFE(3601), testutil.CUFE(3602), testutil.CUFE(3603), testutil.CUFE(3604)})
	n.write(strings.Replace(acmeTable, "%s", "900111111", 1))
	out := filepath.Join(n.dir, "salida")
	mountTmpfs(t, out, 4096, false)
	code, stdout, stderr := n.run("--json")
	if code != exitNothing || n.sb.Requests() != 4 {
		t.Fatalf("exit %d, %d requests\n%s", code, n.sb.Requests(), stderr)
	}
	for _, want := range []string{"no queda espacio en el disco de " + out, "libere espacio", "se hicieron 4 solicitudes, con sus respuestas en el diario"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	for _, not := range []string{"no space left", "no se ejecutó", "resumen de la noche:"} {
		if strings.Contains(stderr, not) {
			t.Errorf("stderr says %q:\n%s", not, stderr)
		}
	}
	if !strings.Contains(stdout, `"resumen": ""`) || !strings.Contains(stdout, `"solicitudes": 4`) || !strings.Contains(stdout, `"OK": 4`) {
		t.Errorf("--json:\n%s", stdout)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("the full folder kept %v", entries)
	}
	exec.Command("umount", out).Run()
	if code, _, stderr := n.run(); code != exitOK || n.sb.Requests() != 4 {
		t.Errorf("the night after: exit %d, %d requests in all\n%s", code, n.sb.Requests(), stderr)
	}
	// A folder the night cannot write in at all: nothing is sent.
	ro := filepath.Join(n.dir, "solo-lectura")
	os.MkdirAll(ro, 0o755)
	mountTmpfs(t, ro, 1<<20, true)
	writeCSV(t, filepath.Join(n.dir, "acme", "s.csv"), []string{testutil.CUFE(3605)})
	writeText(t, n.cfg, strings.Replace(readText(t, n.cfg), `carpeta_resultados = "`+out+`"`, `carpeta_resultados = "`+ro+`"`, 1))
	if code, _, stderr := n.run(); code != exitNothing || n.sb.Requests() != 4 || !strings.Contains(stderr, "disco de solo lectura") {
		t.Errorf("a read-only folder: exit %d, %d requests in all\n%s", code, n.sb.Requests(), stderr)
	}
}

func readText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The sandbox rehearses the night as it will run: a company whose token
// variable is missing stops, naming it, as it would for real; and what an
// earlier rehearsal over the same journal (--journal: a rehearsal keeps
// none of its own otherwise) registered is remembered, so a
// recibo after its acuse registered the night before is accepted.
func TestTheSandboxRehearsesTheNight(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "acme"), 0o755)
	os.MkdirAll(filepath.Join(dir, "beta"), 0o755)
	os.MkdirAll(filepath.Join(dir, "salida"), 0o755)
	acme := filepath.Join(dir, "acme", "r.csv")
	writeText(t, acme, "CUFE;Evento\n"+testutil.CUFE(3701)+";030\n"+testutil.CUFE(3702)+";030\n")
	writeCSV(t, filepath.Join(dir, "beta", "r.csv"), []string{testutil.CUFE(3801)})
	cfg := filepath.Join(dir, "noche.toml")
	writeText(t, cfg, `journal = "diario.db"
carpeta_resultados = "salida"
[persona]
tipo_identificacion = "CC"
identificacion = "52123456"
nombres = "Ana María"
apellidos = "Gómez Ruiz"
`+strings.Replace(acmeTable, "%s", "900111111", 1)+`
[[obligados]]
nombre = "Beta"
nit = "900222222"
token_env = "AFACTURAR_TOKEN_BETA"
archivos = ["beta/*.csv"]
`)
	state := t.TempDir()
	night := func(vars map[string]string, args ...string) (int, string) {
		vars["XDG_STATE_HOME"] = state
		var stdout, stderr bytes.Buffer
		code := Main(append([]string{"run", "--config", cfg, "--sandbox", "--journal", filepath.Join(dir, "ensayo.db")}, args...), env(vars), &stdout, &stderr)
		return code, stderr.String()
	}
	code, log := night(map[string]string{"AFACTURAR_TOKEN_ACME": "token-de-acme"})
	if code != exitNothing || !strings.Contains(log, "[Beta 900222222] batch: falta el token de Afacturar: defina la variable de entorno AFACTURAR_TOKEN_BETA") ||
		!strings.Contains(log, "ACME 900111111: código 0") {
		t.Fatalf("a missing variable: exit %d\n%s", code, log)
	}
	// The night after, the recibos of the invoices acknowledged before.
	writeText(t, acme, "CUFE;Evento\n"+testutil.CUFE(3701)+";030\n"+testutil.CUFE(3701)+";032\n"+testutil.CUFE(3702)+";032\n")
	code, log = night(map[string]string{"AFACTURAR_TOKEN_ACME": "token-de-acme", "AFACTURAR_TOKEN_BETA": "token-de-beta"}, "--empresa", "acme")
	if code != exitOK || strings.Contains(log, "Beta") || !strings.Contains(log, "se enviarán 2 solicitudes; 1 ya resueltas") {
		t.Errorf("the recibo after the acuse of the night before: exit %d\n%s", code, log)
	}
}

// --empresa runs one company of the configuration, by its name in any
// case or its NIT as written on an invoice; a name that is no company's
// is refused with those there are, and --obligado, which chooses no
// company of a night, is refused with --empresa named.
func TestOneCompanyOfTheNight(t *testing.T) {
	t.Parallel()
	n := newSlipNight(t)
	for _, d := range []string{"acme", "beta"} {
		os.MkdirAll(filepath.Join(n.dir, d), 0o755)
	}
	writeCSV(t, filepath.Join(n.dir, "acme", "r.csv"), []string{testutil.CUFE(3901)})
	writeCSV(t, filepath.Join(n.dir, "beta", "r.csv"), []string{testutil.CUFE(3902), testutil.CUFE(3903)})
	n.write(strings.Replace(acmeTable, "%s", "900111111", 1) + `
[[obligados]]
nombre = "Beta Ltda."
nit = "900222222"
token_env = "AFACTURAR_TOKEN_BETA"
archivos = ["beta/*.csv"]
`)
	for _, c := range []struct {
		args     []string
		code     int
		requests int
		want     string
	}{
		{[]string{"--empresa", "Gama"}, exitNothing, 0, "--empresa Gama: ninguna empresa de " + n.cfg + " se llama así ni tiene ese NIT; son: ACME 900111111, Beta Ltda. 900222222"},
		{[]string{"--obligado", "900111111"}, exitNothing, 0, "--obligado no elige uno; use --empresa"},
		{[]string{"--empresa", "900.222.222-6"}, exitOK, 2, "Beta Ltda. 900222222: código 0"},
		{[]string{"--empresa", "beta ltda", "--empresa", "ACME"}, exitOK, 3, "ACME 900111111: código 0"},
	} {
		code, _, stderr := n.run(c.args...)
		if code != c.code || n.sb.Requests() != c.requests || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, %d requests in all; want %d, %d and %q\n%s", c.args, code, n.sb.Requests(), c.code, c.requests, c.want, stderr)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"run", "--sandbox", "--empresa", "ACME", filepath.Join(n.dir, "acme", "r.csv")}, env(nil), &stdout, &stderr); code != exitNothing ||
		!strings.Contains(stderr.String(), "--empresa elige empresas de una noche de varias") {
		t.Errorf("--empresa without a night: exit %d\n%s", code, stderr.String())
	}
}
