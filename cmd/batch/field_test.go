package main

// A night in the field: what an operator does in the first week, tried
// against stand-ins that are not the sandbox.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"batch/internal/stands"
	"batch/internal/testutil"
)

// DIAN's pruebas, then producción, on one journal: the production night
// sends every row again to production and shows production's answers; a
// sandbox run on the same journal leaves both alone; historial shows each
// environment apart. A journal written before environments were recorded
// is reused by no one until the operator names its environment.
func TestAnAnswerCountsOnlyInItsEnvironment(t *testing.T) {
	t.Parallel()
	pruebas, pruebasURL := stands.NewAfacturar(t)
	produccion, produccionURL := stands.NewAfacturar(t)
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
		if pruebas.Count(c) != 1 || produccion.Count(c) != 1 {
			t.Errorf("%s: %d in pruebas, %d in produccion; want 1 each", c[:8], pruebas.Count(c), produccion.Count(c))
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
	if produccion.Count(list[0]) != 1 {
		t.Errorf("production sent %d times", produccion.Count(list[0]))
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
	t.Parallel()
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
	t.Parallel()
	server, soapURL := stands.NewASMX(t, false)
	dir := t.TempDir()
	jr, in := filepath.Join(dir, "j.db"), filepath.Join(dir, "e.csv")
	writeOldJournal(t, jr)
	writeText(t, in, "Prefijo;NumeroFactura;FechaFactura;MailRecepcion\nFE;123;2026-11-20;a@b.co\n")
	vars := env(map[string]string{"SSINTEGRAL_NIT": stands.SoapNIT, "SSINTEGRAL_CLAVE": stands.SoapClave})
	if code, msg := runMain(t, vars, "run", "--ambiente", "produccion", "--soap-url", soapURL, "--rate-correo", "6000", "--journal", jr, in); code != exitOK {
		t.Fatalf("exit %d\n%s", code, msg)
	}
	if server.Calls["FE123"] != 1 {
		t.Errorf("FE 123 sent %d times to production; want 1 (the old journal's answer is in no known environment)", server.Calls["FE123"])
	}
	if code, msg := runMain(t, env(nil), "journal", "--asignar-ambiente", "producción", "--journal", jr); code != exitNothing || !strings.Contains(msg, "produccion") {
		t.Errorf("a misspelt environment: exit %d\n%s", code, msg)
	}
}

// The command line answers in Spanish, on one line, with what to do.
func TestCommandLineSpeaksSpanish(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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

// nightConfig writes a configuration file of companies (name, NIT, file
// patterns) against url, in dir.
func nightConfig(t *testing.T, dir, url, extra string, companies ...[3]string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("url = \"" + url + "\"\nrate = 60000\n" + extra + "\n")
	for _, c := range companies {
		fmt.Fprintf(&b, "[[obligados]]\nnombre = %q\nnit = %q\ntoken_env = \"TOK_%s\"\narchivos = [%s]\n\n", c[0], c[1], c[0], c[2])
	}
	cfg := filepath.Join(dir, "batch.toml")
	writeText(t, cfg, b.String())
	return cfg
}

var nightTokens = env(map[string]string{"TOK_ACME": token, "TOK_Beta": token, "TOK_Gama": token})

// A file that cannot be read is its own trouble: the company's other files
// run, the file is named with why in the log, the company's Atención and
// the night's summary; Excel's owner files, hidden files and everything
// batch wrote are never read; a company without files has a quiet night;
// the second night of the day gets its own workbooks.
func TestAFileIsItsOwnTrouble(t *testing.T) {
	t.Parallel()
	stand, url := stands.NewAfacturar(t)
	dir := t.TempDir()
	for _, d := range []string{"acme", "beta"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	good, hidden := cufes(3), testutil.CUFE(990)
	writeCSV(t, filepath.Join(dir, "acme", "bueno.csv"), good)
	writeText(t, filepath.Join(dir, "acme", "malo.csv"), "Fecha;Valor\n2026-11-02;10\n")
	writeText(t, filepath.Join(dir, "acme", "~$libro.xlsx"), "\x00propietario")
	writeCSV(t, filepath.Join(dir, "acme", ".oculto.csv"), []string{hidden})
	writeCSV(t, filepath.Join(dir, "beta", "r.csv"), []string{testutil.CUFE(980), testutil.CUFE(981)})
	os.MkdirAll(filepath.Join(dir, "gama"), 0o755) // no files tonight
	cfg := nightConfig(t, dir, url, "", [3]string{"ACME", "900111111", `"acme/*", "*.xlsx"`},
		[3]string{"Beta", "900222222", `"beta/*.csv"`}, [3]string{"Gama", "900333333", `"gama/*.csv"`})
	var stdout, stderr bytes.Buffer
	vars := isolatedState(t, nightTokens) // one journal for both nights
	code := Main([]string{"run", "--config", cfg, "--json"}, vars, &stdout, &stderr)
	log := stderr.String()
	if code != exitSomeRows {
		t.Fatalf("exit %d, want 1\n%s", code, log)
	}
	for _, want := range []string{"malo.csv no se leyó", "~$libro.xlsx: archivo de bloqueo de Excel", ".oculto.csv: archivo oculto",
		"[Gama 900333333] batch: ningún archivo coincide con", "ACME 900111111: código 1, 3 filas, 1 archivos sin leer",
		"Beta 900222222: código 0, 2 filas, todo OK", "Gama 900333333: código 0, 0 filas, sin archivos"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if strings.Count(log, "~$libro.xlsx") != 1 {
		t.Errorf("the owner file is logged %d times", strings.Count(log, "~$libro.xlsx"))
	}
	for _, c := range good {
		if stand.Count(c) != 1 {
			t.Errorf("%s sent %d times", c[:8], stand.Count(c))
		}
	}
	if stand.Count(hidden) != 0 {
		t.Error("a hidden file was read")
	}
	var first nightJSON
	json.Unmarshal(stdout.Bytes(), &first)
	acme := first.Obligados[0].Resultados
	attention := testutil.ReadSheet(t, acme, "Atención")
	if len(attention) == 0 || attention[0]["estado"] != "ARCHIVO SIN LEER" || !strings.Contains(attention[0]["mensaje"], "columna") {
		t.Errorf("Atención: %v", attention)
	}
	summary := testutil.ReadSheet(t, first.Resumen, "Noche")
	if !strings.Contains(summary[0]["sin leer"], "malo.csv") || summary[2]["sin leer"] != "sin archivos" || summary[0]["filas"] != "3" {
		t.Errorf("summary: %v", summary)
	}
	before, _ := os.ReadFile(acme)

	// The evening: a check of one file leaves its revision beside it. The
	// second night the same day reads neither it nor the first night's
	// workbooks, which its own do not replace.
	if code, msg := runMain(t, env(nil), "check", "--quiet", filepath.Join(dir, "acme", "bueno.csv")); code != exitOK {
		t.Fatalf("check: exit %d\n%s", code, msg)
	}
	stderr.Reset()
	stdout.Reset()
	code = Main([]string{"run", "--config", cfg, "--json"}, vars, &stdout, &stderr)
	log = stderr.String()
	var second nightJSON
	json.Unmarshal(stdout.Bytes(), &second)
	if code != exitSomeRows || second.Resumen == first.Resumen || second.Obligados[0].Resultados == acme {
		t.Fatalf("second night: exit %d, %s, %s\n%s", code, second.Resumen, second.Obligados[0].Resultados, log)
	}
	for _, want := range []string{"bueno-revision.xlsx: libro que escribió batch (revision)", filepath.Base(acme) + ": libro que escribió batch (resultados)",
		filepath.Base(first.Resumen) + ": libro que escribió batch (noche)"} {
		if !strings.Contains(log, want) {
			t.Errorf("second night's log lacks %q:\n%s", want, log)
		}
	}
	if after, _ := os.ReadFile(acme); !bytes.Equal(before, after) {
		t.Error("the second night replaced the first night's workbook")
	}
}

// A night whose only company has no files tonight is a quiet night.
func TestNoFilesIsAQuietNight(t *testing.T) {
	t.Parallel()
	_, url := stands.NewAfacturar(t)
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "gama"), 0o755)
	cfg := nightConfig(t, dir, url, "", [3]string{"Gama", "900333333", `"gama/*.csv"`})
	code, msg := runMain(t, nightTokens, "run", "--config", cfg)
	if code != exitOK || !strings.Contains(msg, "sin archivos") {
		t.Errorf("exit %d\n%s", code, msg)
	}
}

// A company whose folder is not there (a typo, a share not mounted) did
// not run: that is the night's trouble, exit 1, named in the log, the
// JSON, batch config and batch check; not a quiet night.
func TestAMissingFolderIsNotAQuietNight(t *testing.T) {
	t.Parallel()
	stand, url := stands.NewAfacturar(t)
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "gama"), 0o755)
	writeCSV(t, filepath.Join(dir, "gama", "r.csv"), cufes(2))
	cfg := nightConfig(t, dir, url, "", [3]string{"Gama", "900333333", `"gamma/*.csv"`})
	vars := isolatedState(t, nightTokens)
	var stdout, stderr bytes.Buffer
	code := Main([]string{"run", "--config", cfg, "--json", "--quiet"}, vars, &stdout, &stderr)
	missing := filepath.Join(dir, "gamma") + " no se leyó: la carpeta no existe"
	if code != exitSomeRows || !strings.Contains(stderr.String(), missing) || !strings.Contains(stdout.String(), "la carpeta no existe") {
		t.Errorf("run: exit %d\n%s\n%s", code, stderr.String(), stdout.String())
	}
	if code, msg := runMain(t, vars, "config", "--config", cfg); code != exitOK || !strings.Contains(msg, "0 ahora — "+filepath.Join(dir, "gamma")+": la carpeta no existe") {
		t.Errorf("config: exit %d\n%s", code, msg)
	}
	if code, msg := runMain(t, vars, "check", "--config", cfg); code != exitSomeRows || !strings.Contains(msg, missing) {
		t.Errorf("check: exit %d\n%s", code, msg)
	}
	if n := stand.Total(); n != 0 {
		t.Errorf("%d requests", n)
	}
}

// Outputs that would replace an input or each other refuse the night
// before anything is sent, naming both.
func TestCollidingOutputsAreRefused(t *testing.T) {
	t.Parallel()
	stand, url := stands.NewAfacturar(t)
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "beta"), 0o755)
	writeCSV(t, filepath.Join(dir, "acme.csv"), cufes(1))
	writeText(t, filepath.Join(dir, "beta", "entrada.xlsx"), "el libro de Beta")
	company := func(name, nit, files, results string) string {
		return fmt.Sprintf("[[obligados]]\nnombre = %q\nnit = %q\ntoken_env = \"TOK_%s\"\narchivos = [%q]\nresultados = %q\n\n", name, nit, name, files, results)
	}
	cfg := filepath.Join(dir, "batch.toml")
	for _, c := range []struct{ text, want string }{
		{company("ACME", "900111111", "acme.csv", "beta/entrada.xlsx") + company("Beta", "900222222", "beta/*", ""), "entrada de Beta 900222222"},
		{company("ACME", "900111111", "acme.csv", "todo.xlsx") + company("Beta", "900222222", "beta/*", "todo.xlsx"), "resultados de ACME 900111111"},
	} {
		writeText(t, cfg, "url = \""+url+"\"\n\n"+c.text)
		code, msg := runMain(t, nightTokens, "run", "--config", cfg)
		if code != exitNothing || !strings.Contains(msg, c.want) || len(strings.Split(strings.TrimSpace(msg), "\n")) != 1 {
			t.Errorf("exit %d\n%s", code, msg)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "beta", "entrada.xlsx")); string(b) != "el libro de Beta" || stand.Count(cufes(1)[0]) != 0 {
		t.Error("something was written or sent before the refusal")
	}
}

type nightJSON struct {
	Resumen   string
	Obligados []struct {
		Obligado   string
		Resultados string
	}
}

// isolatedState is getenv with a journal of the test's own.
func isolatedState(t *testing.T, getenv func(string) string) func(string) string {
	state := t.TempDir()
	return func(k string) string {
		if k == "XDG_STATE_HOME" {
			return state
		}
		return getenv(k)
	}
}

// Each company its own person and SS Integral account: e-mails go only
// through the company's own account (the others' rows are INVALIDO, never
// sent through another's), and every message about a missing secret names
// the company and its variable.
func TestEachCompanyItsOwnAccounts(t *testing.T) {
	t.Parallel()
	stand, url := stands.NewAfacturar(t)
	asmx, soapURL := stands.NewASMX(t, false)
	dir := t.TempDir()
	issued := "Prefijo;NumeroFactura;FechaFactura;MailRecepcion\nFE;%d;2026-11-20;a@b.co\n"
	writeText(t, filepath.Join(dir, "acme.csv"), fmt.Sprintf(issued, 1))
	writeText(t, filepath.Join(dir, "beta-emitidas.csv"), fmt.Sprintf(issued, 2))
	writeText(t, filepath.Join(dir, "beta-recibidas.csv"), "CUFE\n"+testutil.CUFE(970)+"\n")
	writeText(t, filepath.Join(dir, "gama.csv"), fmt.Sprintf(issued, 3))
	writeText(t, filepath.Join(dir, "delta.csv"), "CUFE\n"+testutil.CUFE(971)+"\n")
	cfg := filepath.Join(dir, "batch.toml")
	writeText(t, cfg, `url = "`+url+`"
rate = 60000

[ssintegral]
url = "`+soapURL+`"
nit = "`+stands.SoapNIT+`"
rate = 6000

[[obligados]]
nombre = "ACME"
nit = "`+stands.SoapNIT+`"
token_env = "TOK_ACME"
archivos = ["acme.csv"]

[[obligados]]
nombre = "Beta"
nit = "900222222"
token_env = "TOK_Beta"
archivos = ["beta-*.csv"]
[obligados.persona]
tipo_identificacion = "CC"
identificacion = "52123456"
nombres = "Berta Lucía"
apellidos = "Suárez Ruiz"

[[obligados]]
nombre = "Gama"
nit = "900333333"
token_env = "TOK_Gama"
archivos = ["gama.csv"]
[obligados.ssintegral]
nit = "900333333"
clave_env = "CLAVE_GAMA"

[[obligados]]
nombre = "Delta"
nit = "900444444"
token_env = "TOK_DELTA"
archivos = ["delta.csv"]
`)
	vars := env(map[string]string{"TOK_ACME": token, "TOK_Beta": token, "TOK_Gama": token, "SSINTEGRAL_CLAVE": stands.SoapClave})
	var stdout, stderr bytes.Buffer
	code := Main([]string{"run", "--config", cfg, "--json"}, isolatedState(t, vars), &stdout, &stderr)
	log := stderr.String()
	if code != exitNothing {
		t.Fatalf("exit %d, want 2 (Gama and Delta lack a secret)\n%s", code, log)
	}
	if asmx.Calls["FE1"] != 1 || asmx.Calls["FE2"] != 0 || asmx.Calls["FE3"] != 0 {
		t.Errorf("SS Integral calls %v; want FE1 only", asmx.Calls)
	}
	var night nightJSON
	json.Unmarshal(stdout.Bytes(), &night)
	beta := testutil.ReadSheet(t, night.Obligados[1].Resultados, "Resultados")
	var correo, acuse map[string]string
	for _, r := range beta {
		if r["correo_estado"] != "" {
			correo = r
		} else {
			acuse = r
		}
	}
	if correo["correo_estado"] != "INVALIDO" || !strings.Contains(correo["correo_mensaje"], "SS Integral") || !strings.Contains(correo["correo_mensaje"], "901555444") {
		t.Errorf("Beta's e-mail: %v", correo)
	}
	if acuse["acuse_estado"] != "OK" || !strings.Contains(stand.Data(testutil.CUFE(970)), "Berta Lucía") {
		t.Errorf("Beta's acuse: %v, sent %s", acuse, stand.Data(testutil.CUFE(970)))
	}
	for _, want := range []string{"[Gama 900333333] batch: falta la clave de SS Integral: defina la variable de entorno CLAVE_GAMA",
		"[Delta 900444444] batch: falta el token de Afacturar: defina la variable de entorno TOK_DELTA (token_env de Delta 900444444)"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "AFACTURAR_TOKEN") {
		t.Errorf("a company's message names the single run's variable:\n%s", log)
	}
}

// The night can be checked before it happens, and looked at after:
// batch config shows the journal, each company's variable, what each
// pattern finds and where each output goes; historial takes the
// configuration's journal and a key's beginning; pendientes lists rows
// left PENDIENTE with their code and the companies whose night did not run.
func TestTheNightBeforeAndAfter(t *testing.T) {
	t.Parallel()
	_, url := stands.NewAfacturar(t)
	dir := t.TempDir()
	jr := filepath.Join(dir, "diario.db")
	shared := strings.Repeat("ab", 10)
	first, second := shared+testutil.CUFE(1)[20:], shared+testutil.CUFE(2)[20:]
	writeText(t, filepath.Join(dir, "acme.csv"), "CUFE;Evento;Tipo identificacion;Identificacion;Nombres;Apellidos\n"+
		first+";030;13;1;Ana;Gómez\n"+second+";030;13;1;Ana;Gómez\n"+testutil.CUFE(3)+";032;13;1;Ana;Gómez\n")
	cfg := nightConfig(t, dir, url, `journal = "`+jr+`"`, [3]string{"ACME", "900111111", `"acme.csv", "otros/*.csv"`},
		[3]string{"Delta", "900444444", `"delta.csv"`})
	writeCSV(t, filepath.Join(dir, "delta.csv"), []string{testutil.CUFE(4)})
	vars := env(map[string]string{"TOK_ACME": token})
	_, show := runMain(t, vars, "config", "--config", cfg)
	for _, want := range []string{"diario: " + jr, "ACME 900111111\n  token: variable TOK_ACME, definido", "token: variable TOK_Delta, falta",
		"archivos «" + filepath.Join(dir, "acme.csv") + "»: 1 ahora", "archivos «" + filepath.Join(dir, "otros/*.csv") + "»: 0 ahora", "libro de resultados: " + filepath.Join(dir, "900111111-resultados-"),
		"resumen de la noche: " + filepath.Join(dir, "noche-")} {
		if !strings.Contains(show, want) {
			t.Errorf("config lacks %q:\n%s", want, show)
		}
	}
	runMain(t, vars, "run", "--config", cfg)
	if code, text := runMain(t, env(nil), "historial", "--config", cfg, first[:30]); code != exitOK || !strings.Contains(text, "acuse de ACME 900111111: OK") || !strings.Contains(text, "acme.csv, fila 2") {
		t.Errorf("historial by a key's beginning: exit %d\n%s", code, text)
	}
	if code, text := runMain(t, env(nil), "historial", "--config", cfg, shared); code == exitOK || !strings.Contains(text, "2 claves") {
		t.Errorf("historial by a shared beginning: exit %d\n%s", code, text)
	}
	code, text := runMain(t, env(nil), "pendientes", "--config", cfg)
	if code != exitSomeRows || !strings.Contains(text, "PENDIENTE") || !strings.Contains(text, "(SIN_PREVIO)") ||
		!strings.Contains(text, "900444444 (pruebas): la noche del") || !strings.Contains(text, "TOK_Delta") {
		t.Errorf("pendientes: exit %d\n%s", code, text)
	}
}

// A first real night with --limite 3 sends three requests; the others
// are PENDIENTE, not attempted, and the next night sends them.
func TestLimitSendsAFewFirst(t *testing.T) {
	t.Parallel()
	stand, url := stands.NewAfacturar(t)
	dir := t.TempDir()
	in, jr := filepath.Join(dir, "r.csv"), filepath.Join(dir, "j.db")
	list := cufes(10)
	writeCSV(t, in, list)
	code, msg := runMain(t, full, "run", "--url", url, "--rate", "60000", "--journal", jr, "--limite", "3", in)
	sent := 0
	for _, c := range list {
		sent += stand.Count(c)
	}
	rows := testutil.ReadSheet(t, filepath.Join(dir, "r-resultados.xlsx"), "Resultados")
	limited := 0
	for _, r := range rows {
		if r["acuse_estado"] == "PENDIENTE" && r["acuse_codigo"] == "LIMITE" {
			limited++
		}
	}
	if code != exitSomeRows || sent != 3 || limited != 7 {
		t.Fatalf("exit %d, %d sent, %d limited\n%s", code, sent, limited, msg)
	}
	if code, msg := runMain(t, full, "run", "--url", url, "--rate", "60000", "--journal", jr, in); code != exitOK || !strings.Contains(msg, "3 ya resueltas") {
		t.Errorf("next night: exit %d\n%s", code, msg)
	}
}

// A company's setting that Afacturar would refuse stops the whole night
// before any request, and the message says where in the configuration
// file it is; a single run's names the option too.
func TestARefusedSettingSaysWhereItIs(t *testing.T) {
	t.Parallel()
	stand, url := stands.NewAfacturar(t)
	dir := t.TempDir()
	writeCSV(t, filepath.Join(dir, "acme.csv"), cufes(2))
	cfg := nightConfig(t, dir, url, "", [3]string{"ACME", "900111111", `"acme.csv"`})
	before, _ := os.ReadFile(cfg)
	writeText(t, cfg, string(before)+"[obligados.persona]\nnombres = \"Al\"\n")
	code, msg := runMain(t, nightTokens, "run", "--config", cfg)
	lines := strings.Count(string(before), "\n")
	if code != exitNothing || !strings.Contains(msg, "ACME 900111111") || !strings.Contains(msg, "nombres de [obligados.persona]") ||
		!strings.Contains(msg, fmt.Sprintf("en %s, línea %d)", cfg, lines+2)) {
		t.Errorf("a company's short nombres: exit %d, want line %d\n%s", code, lines+2, msg)
	}
	// A single run's value from its file is named at its line too.
	single := filepath.Join(dir, "uno.toml")
	writeText(t, single, "url = \""+url+"\"\n\n[persona]\nnombres = \"Al\"\n")
	if code, msg := runMain(t, full, "run", "--config", single, filepath.Join(dir, "acme.csv")); code != exitNothing ||
		!strings.Contains(msg, "opción --nombres, o nombres de [persona] en "+single+", línea 4)") {
		t.Errorf("a single run's short nombres from its file: exit %d\n%s", code, msg)
	}
	code, msg = runMain(t, full, "run", "--url", url, "--nombres", "Al", filepath.Join(dir, "acme.csv"))
	if code != exitNothing || !strings.Contains(msg, "opción --nombres, o nombres de [persona]") {
		t.Errorf("a single run's short nombres: exit %d\n%s", code, msg)
	}
	if n := stand.Total(); n != 0 {
		t.Errorf("%d requests were sent", n)
	}
}
