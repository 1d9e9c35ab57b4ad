package main

// The second security round: what a provider answers, what the
// configuration file says, and what another local account plants beside
// batch's files.

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"batch/internal/stands"
	"batch/internal/testutil"
)

// A token inside a value the provider answers (the event's XML address)
// reaches neither the workbook nor the journal; an address that is not
// https is text, never a link.
func TestProviderValuesAreMaskedAndLinksSafe(t *testing.T) {
	t.Parallel()
	tok := "tk-9f8e7d6c5b4a"
	urls := map[string]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseMultipartForm(1 << 20)
		url := "https://afacturar.example/xml?t=" + tok
		if strings.Contains(r.FormValue("data"), testutil.CUFE(2)) {
			url = `\\servidor\compartido\evento.xml`
		}
		fmt.Fprintf(w, `{"codigo_error":0,"descripcion_error":"OK","resultado":{"cude":"c%s","numero_evento":"1","url_representacion_xml":%q}}`, strings.Repeat("0", 95), url)
		urls[url] = url
	}))
	defer srv.Close()
	dir := t.TempDir()
	in, jr := filepath.Join(dir, "r.csv"), filepath.Join(dir, "j.db")
	writeCSV(t, in, []string{testutil.CUFE(1), testutil.CUFE(2)})
	code, msg := runMain(t, env(map[string]string{"AFACTURAR_TOKEN": tok, "AFACTURAR_OBLIGADO": "900123456"}), "run", "--url", srv.URL, "--journal", jr, in)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, msg)
	}
	out := filepath.Join(dir, "r-resultados.xlsx")
	assertNoFormAnywhere(t, tok, msg, dir)
	f, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cols, _ := f.GetRows("Resultados")
	col := -1
	for j, name := range cols[0] {
		if name == "acuse_url_xml" {
			col = j
		}
	}
	cell, _ := excelize.CoordinatesToCellName(col+1, 3)
	if formula, _ := f.GetCellFormula("Resultados", cell); formula != "" {
		t.Errorf("a UNC address became a link: %s", formula)
	}
}

// The configuration file is trusted only as far as it can be: a secret at
// any depth, a token variable that holds another secret, a file or folder
// others can write refuse the night before anything is sent.
func TestConfigurationIsTrustedOnlyWhenItCanBe(t *testing.T) {
	t.Parallel()
	stand, url := stands.NewAfacturar(t)
	dir := filepath.Join(t.TempDir(), "conf")
	os.MkdirAll(dir, 0o755)
	in := filepath.Join(dir, "r.csv")
	writeCSV(t, in, cufes(1))
	cfg := filepath.Join(dir, "batch.toml")
	company := "\n[[obligados]]\nnit = \"900123456\"\ntoken_env = \"%s\"\narchivos = [\"r.csv\"]\n"
	vars := env(map[string]string{"SSINTEGRAL_CLAVE": "S3CR3T-CLAVE", "TOK": token})
	for _, c := range []struct{ text, want string }{
		{"url = \"" + url + "\"\n" + fmt.Sprintf(company, "SSINTEGRAL_CLAVE"), "otro secreto"},
		{"url = \"" + url + "\"\n[persona.apellidos]\ntoken = \"S3CR3T\"\n" + fmt.Sprintf(company, "TOK"), "persona.apellidos.token"},
		{"url = \"" + url + "\"\npersona.apellidos.token = \"S3CR3T\"\n" + fmt.Sprintf(company, "TOK"), "persona.apellidos.token"},
		{"url = \"" + url + "\"\n[ssintegral.nit]\nclave = \"S3CR3T\"\n" + fmt.Sprintf(company, "TOK"), "ssintegral.nit.clave"},
		{"url = \"" + url + "\"\n[ssintegral]\nPassword = \"S3CR3T\"\n" + fmt.Sprintf(company, "TOK"), "ssintegral.Password"},
	} {
		writeText(t, cfg, c.text)
		for _, cmd := range []string{"run", "config"} {
			code, msg := runMain(t, vars, cmd, "--config", cfg)
			if code != exitNothing || !strings.Contains(msg, c.want) || strings.Contains(msg, "S3CR3T") {
				t.Errorf("%s with %q: exit %d\n%s", cmd, c.text, code, msg)
			}
		}
	}
	writeText(t, cfg, "url = \""+url+"\"\n"+fmt.Sprintf(company, "TOK"))
	os.Chmod(cfg, 0o666)
	if code, msg := runMain(t, vars, "run", "--config", cfg); code != exitNothing || !strings.Contains(msg, "chmod go-w "+cfg) {
		t.Errorf("a file others can write: exit %d\n%s", code, msg)
	}
	os.Chmod(cfg, 0o644)
	os.Chmod(dir, 0o777)
	if code, msg := runMain(t, vars, "run", "--config", cfg); code != exitNothing || !strings.Contains(msg, "chmod go-w "+dir) {
		t.Errorf("a folder others can write: exit %d\n%s", code, msg)
	}
	os.Chmod(dir, 0o755)
	if code, msg := runMain(t, vars, "run", "--config", cfg); code != exitOK {
		t.Errorf("a file only its owner writes: exit %d\n%s", code, msg)
	}
	if n := stand.Count(cufes(1)[0]); n != 1 {
		t.Errorf("sent %d times, want once (by the trusted file alone)", n)
	}
}

// Links another account plants where batch writes are never followed: the
// journal path, the lock file, the night's summary and pendientes -o.
func TestPlantedLinksAreNotFollowed(t *testing.T) {
	t.Parallel()
	_, url := stands.NewAfacturar(t)
	dir := t.TempDir()
	victim := filepath.Join(dir, "victima")
	writeText(t, victim, "lo que había")
	os.Chmod(victim, 0o644)
	in := filepath.Join(dir, "r.csv")
	writeCSV(t, in, cufes(2))

	link := filepath.Join(dir, "enlace.db")
	os.Symlink(victim, link)
	if code, msg := runMain(t, full, "run", "--url", url, "--journal", link, in); code != exitNothing || !strings.Contains(msg, "enlace") {
		t.Errorf("a journal that is a link: exit %d\n%s", code, msg)
	}

	jr := filepath.Join(dir, "j.db")
	runMain(t, full, "run", "--url", url, "--journal", jr, in)
	locks, _ := filepath.Glob(jr + ".lock-*")
	if len(locks) == 0 {
		t.Fatal("no lock file")
	}
	os.Remove(locks[0])
	os.Symlink(victim, locks[0])
	runMain(t, full, "run", "--url", url, "--journal", jr, in)

	pend := filepath.Join(dir, "pendientes.xlsx")
	os.Symlink(victim, pend)
	runMain(t, env(nil), "pendientes", "--journal", jr, "-o", pend)

	if b, _ := os.ReadFile(victim); !bytes.Equal(b, []byte("lo que había")) || testutil.Mode(t, victim) != 0o644 {
		t.Errorf("the victim changed: %q, %v", b, testutil.Mode(t, victim))
	}
}

// A row in one company's own file that names another obligado is that
// file's row, INVALIDO, never sent with the other company's token.
func TestARowOfAnotherCompanyIsRefused(t *testing.T) {
	t.Parallel()
	stand, url := stands.NewAfacturar(t)
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "acme"), 0o755)
	theirs := testutil.CUFE(1501)
	writeText(t, filepath.Join(dir, "acme", "r.csv"), "CUFE;Obligado;Tipo identificacion;Identificacion;Nombres;Apellidos\n"+
		testutil.CUFE(1500)+";900111111;13;1;Ana;Gómez\n"+theirs+";900222222;13;1;Ana;Gómez\n")
	cfg := nightConfig(t, dir, url, "", [3]string{"ACME", "900111111", `"acme/*.csv"`}, [3]string{"Beta", "900222222", `"beta/*.csv"`})
	code, msg := runMain(t, nightTokens, "run", "--config", cfg, "--json")
	if code != exitSomeRows || stand.Count(theirs) != 0 || !strings.Contains(msg, "INVALIDO 1") {
		t.Errorf("exit %d, sent %d\n%s", code, stand.Count(theirs), msg)
	}
}

// A file that quotes a secret, or whose name carries terminal escapes,
// reaches the log, the workbooks and --json masked and stripped.
func TestQuotedSecretsAndEscapesAreCleaned(t *testing.T) {
	t.Parallel()
	_, url := stands.NewAfacturar(t)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "entrada"), filepath.Join(dir, "salida")
	os.MkdirAll(in, 0o755)
	os.MkdirAll(out, 0o755)
	writeCSV(t, filepath.Join(in, "bueno.csv"), cufes(1))
	secretTok := "tok-real-7c1d2e3f"
	writeText(t, filepath.Join(in, "\x1b]0;pwned\x07z.csv"), "TOK_ACME="+secretTok+";otra\nx;y\n")
	cfg := filepath.Join(dir, "batch.toml")
	writeText(t, cfg, "url = \""+url+"\"\ncarpeta_resultados = \"salida\"\n\n[[obligados]]\nnombre = \"ACME\\u001b[2J\"\nnit = \"900111111\"\ntoken_env = \"TOK_ACME\"\narchivos = [\"entrada/*.csv\"]\n")
	var stdout, stderr bytes.Buffer
	code := Main([]string{"run", "--config", cfg, "--json"}, isolatedState(t, env(map[string]string{"TOK_ACME": secretTok})), &stdout, &stderr)
	log := stderr.String() + stdout.String()
	if code != exitSomeRows || strings.ContainsRune(log, '\x1b') || strings.ContainsRune(log, '\x07') || !strings.Contains(log, "z.csv no se leyó") {
		t.Errorf("exit %d; the log:\n%q", code, log)
	}
	// carpeta_resultados = "salida" is read from the configuration's folder.
	if books, _ := filepath.Glob(filepath.Join(out, "900111111-resultados-*.xlsx")); len(books) != 1 {
		t.Fatalf("no workbook in %s", out)
	}
	assertNoFormAnywhere(t, secretTok, log, out)
}

// One obligado's run sends no row whose Obligado column names another.
func TestOneRunSendsOnlyItsObligadosRows(t *testing.T) {
	t.Parallel()
	stand, url := stands.NewAfacturar(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "r.csv")
	theirs := testutil.CUFE(1601)
	writeText(t, in, "CUFE;Obligado;Tipo identificacion;Identificacion;Nombres;Apellidos\n"+
		testutil.CUFE(1600)+";900.123.456;13;1;Ana;Gómez\n"+theirs+";900222222;13;1;Ana;Gómez\n")
	code, msg := runMain(t, full, "run", "--url", url, in)
	rows := testutil.ReadSheet(t, filepath.Join(dir, "r-resultados.xlsx"), "Resultados")
	if code != exitSomeRows || stand.Count(theirs) != 0 || rows[0]["acuse_estado"] != "OK" || rows[1]["acuse_estado"] != "INVALIDO" {
		t.Errorf("exit %d, sent %d\n%s", code, stand.Count(theirs), msg)
	}
}

// A process ended at once by a second signal leaves no temporary file:
// not the sandbox's journal, not a library's copy of a sheet.
func TestSecondSignalLeavesNoTemporaryFile(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	dir, tmp := t.TempDir(), t.TempDir()
	in := filepath.Join(dir, "r.csv")
	writeCSV(t, in, cufes(30))
	cmd := exec.Command(bin, "run", "--sandbox", "--rate", "6", "-o", filepath.Join(dir, "r.xlsx"), in)
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(stderr.String(), "se enviarán") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Signal(os.Interrupt)
	for !strings.Contains(stderr.String(), "señal recibida") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if time.Now().After(deadline) {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the run did not start or take its signal in 30 s:\n%s", stderr.String())
	}
	cmd.Process.Signal(os.Interrupt)
	cmd.Wait()
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("left in the temporary folder: %v\n%s", left, stderr.String())
	}
}
