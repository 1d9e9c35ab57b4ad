package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"batch/internal/stands"
	"batch/internal/testutil"
	"batch/sandbox"
)

// One configuration file, three companies, one run: each obligado with its
// own token and files, all at once. The one whose token is refused stops
// alone; the others finish; one workbook per company, a summary of the
// night, and the worst exit code.
func TestSeveralCompaniesInOneRun(t *testing.T) {
	t.Parallel()
	sb, url := stands.Sandbox(t, sandbox.Config{RatePerMinute: -1, Tokens: map[string]string{"tok-acme": "900111111", "tok-beta": "900222222"}}, token)
	dir := t.TempDir()
	for _, f := range []struct {
		name  string
		first int
	}{{"acme/a.csv", 1100}, {"acme/b.csv", 1110}, {"beta/r.csv", 1200}, {"gama/r.csv", 1300}} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(f.name)), 0o755)
		var c []string
		for i := 0; i < 5; i++ {
			c = append(c, testutil.CUFE(f.first+i))
		}
		writeCSV(t, filepath.Join(dir, f.name), c)
	}
	// A file both companies' rows are in, listed for the whole night: the
	// Obligado column says whose each row is.
	writeText(t, filepath.Join(dir, "compartido.csv"), "CUFE;Obligado;Tipo identificacion;Identificacion;Nombres;Apellidos\n"+
		testutil.CUFE(1400)+";900.111.111;13;1;Ana;Gómez\n"+testutil.CUFE(1401)+";900222222;13;1;Ana;Gómez\n")
	cfg := filepath.Join(dir, "batch.toml")
	writeText(t, cfg, `url = "`+url+`"
rate = 60000
carpeta_resultados = "`+filepath.Join(dir, "salida")+`"
archivos = ["compartido.csv"]

[[obligados]]
nombre = "ACME"
nit = "900111111"
token_env = "AFACTURAR_TOKEN_ACME"
archivos = ["acme/*.csv"]

[[obligados]]
nombre = "Beta"
nit = "900222222"
token_env = "AFACTURAR_TOKEN_BETA"
archivos = ["beta/*.csv"]

[[obligados]]
nombre = "Gama"
nit = "900333333"
token_env = "AFACTURAR_TOKEN_GAMA"
archivos = ["gama/*.csv"]
`)
	os.MkdirAll(filepath.Join(dir, "salida"), 0o755)
	vars := env(map[string]string{"AFACTURAR_TOKEN_ACME": "tok-acme", "AFACTURAR_TOKEN_BETA": "tok-beta", "AFACTURAR_TOKEN_GAMA": "robado"})
	var stdout, stderr bytes.Buffer
	state := t.TempDir()
	code := Main([]string{"run", "--config", cfg, "--json"}, func(k string) string {
		if k == "XDG_STATE_HOME" {
			return state
		}
		return vars(k)
	}, &stdout, &stderr)
	if code != exitNothing {
		t.Fatalf("exit %d, want 2 (Gama's token refused)\n%s", code, stderr.String())
	}
	var night struct {
		Resumen   string
		Obligados []struct {
			Obligado     string
			Resultados   string
			CodigoSalida int `json:"codigo_salida"`
			Filas        int
			Estados      map[string]int
		}
	}
	if err := json.Unmarshal(stdout.Bytes(), &night); err != nil {
		t.Fatalf("--json: %v\n%s", err, stdout.String())
	}
	want := map[string][3]int{"900111111": {0, 11, 11}, "900222222": {0, 6, 6}, "900333333": {2, 5, 0}}
	for _, o := range night.Obligados {
		w := want[o.Obligado]
		if o.CodigoSalida != w[0] || o.Filas != w[1] || o.Estados["OK"] != w[2] {
			t.Errorf("%s: exit %d, %d rows, %d OK; want %v", o.Obligado, o.CodigoSalida, o.Filas, o.Estados["OK"], w)
		}
	}
	// Each company's workbook carries the night's date.
	books := map[string]string{}
	for _, o := range night.Obligados {
		books[o.Obligado] = o.Resultados
	}
	for nit, n := range map[string]int{"900111111": 11, "900222222": 6} {
		if want := filepath.Join(dir, "salida", nit+"-resultados-"+time.Now().Format("2006-01-02")+".xlsx"); books[nit] != want {
			t.Errorf("%s workbook at %s, want %s", nit, books[nit], want)
		}
		if rows := testutil.ReadSheet(t, books[nit], "Resultados"); len(rows) != n || rows[0]["acuse_estado"] != "OK" {
			t.Errorf("%s workbook: %d rows", nit, len(rows))
		}
	}
	summary := testutil.ReadSheet(t, night.Resumen, "Noche")
	if len(summary) != 3 || summary[2]["código de salida"] != "2" || !strings.Contains(summary[2]["detenido"], "autorización") {
		t.Errorf("summary of the night: %v", summary)
	}
	if !strings.Contains(stderr.String(), "[ACME 900111111] ") || !strings.Contains(night.Resumen, time.Now().Format("2006-01-02")) {
		t.Errorf("log:\n%s", stderr.String())
	}
	for cufe, nit := range map[string]string{testutil.CUFE(1200): "900222222", testutil.CUFE(1400): "900111111", testutil.CUFE(1401): "900222222"} {
		if seen := sb.Seen(cufe); len(seen) != 1 || seen[0].Obligado != nit {
			t.Errorf("%s was sent as %+v; want once, for %s", cufe[:8], seen, nit)
		}
	}
	// pendientes says whose night stopped and, in that company's terms,
	// what to change.
	var pending bytes.Buffer
	code = Main([]string{"pendientes", "--config", cfg}, func(k string) string {
		if k == "XDG_STATE_HOME" {
			return state
		}
		return vars(k)
	}, &pending, &stderr)
	if text := pending.String(); code != exitSomeRows || !strings.Contains(text, "900333333 (pruebas): la noche del") || !strings.Contains(text, "revise la variable AFACTURAR_TOKEN_GAMA (token_env de Gama") {
		t.Errorf("pendientes: exit %d\n%s", code, text)
	}
}

// A dry run of the night the evening before writes its revisions only:
// last night's workbooks and summary stay as they were, byte for byte.
func TestDryRunNightLeavesLastNightsWorkbooks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "acme"), 0o755)
	os.MkdirAll(filepath.Join(dir, "salida"), 0o755)
	writeCSV(t, filepath.Join(dir, "acme", "a.csv"), cufes(3))
	cfg := filepath.Join(dir, "batch.toml")
	writeText(t, cfg, `carpeta_resultados = "`+filepath.Join(dir, "salida")+`"

[[obligados]]
nombre = "ACME"
nit = "900111111"
token_env = "AFACTURAR_TOKEN_ACME"
archivos = ["acme/*.csv"]
`)
	results := filepath.Join(dir, "salida", "900111111-resultados.xlsx")
	summary := filepath.Join(dir, "salida", "noche-"+time.Now().Format("2006-01-02")+".xlsx")
	for _, p := range []string{results, summary} {
		writeText(t, p, "los resultados de anoche")
	}
	var stdout, stderr bytes.Buffer
	state := t.TempDir()
	code := Main([]string{"run", "--dry-run", "--config", cfg}, func(k string) string {
		if k == "XDG_STATE_HOME" {
			return state
		}
		return ""
	}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	for _, p := range []string{results, summary} {
		if b, _ := os.ReadFile(p); string(b) != "los resultados de anoche" {
			t.Errorf("the dry run replaced %s", filepath.Base(p))
		}
	}
	rows := testutil.ReadSheet(t, filepath.Join(dir, "salida", "900111111-revision.xlsx"), "Resultados")
	if len(rows) != 3 || rows[0]["acuse_codigo"] != "SIN_ENVIAR" {
		t.Errorf("revision: %v", rows)
	}
	if strings.Contains(stderr.String(), "resumen de la noche") {
		t.Errorf("a dry run announced a summary of the night:\n%s", stderr.String())
	}
}
