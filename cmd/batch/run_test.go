package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"batch/afacturar"
	"batch/internal/progress"
	"batch/internal/stands"
	"batch/internal/testutil"
	"batch/internal/transport"
	"batch/sandbox"
	"batch/writers"
)

// A spreadsheet with every kind of row, sent to the sandbox; the workbook
// is checked against what the sandbox registered and counted.
func TestRunEndToEnd(t *testing.T) {
	t.Parallel()
	sb, url := stands.Sandbox(t, sandbox.Config{RatePerMinute: -1}, token)
	dir := t.TempDir()
	in := filepath.Join(dir, "recibidas.xlsx")
	unknown := sandbox.UnknownPrefix + testutil.CUFE(9)[4:]
	before := testutil.CUFE(8) // registered by someone else before the run
	testutil.WriteXLSX(t, in,
		testutil.Sheet{Name: "Portada", Rows: [][]any{{"Informe"}, {"sin datos"}}},
		testutil.Sheet{Name: "Recibidas", Rows: [][]any{
			{"Facturas recibidas"},
			{"CUFE/CUDE", "Tipo Identificación", "Identificación", "Nombres", "Apellidos", "Área", "Emisor"},
			{testutil.CUFE(1), 13, 52123456, "Ana María", "Gómez", "Compras", "=HYPERLINK(\"x\")"},
			{strings.ToUpper(testutil.CUFE(2)), "CC", 100200300400, "Luis", "Peña", "", "Ñapa Ltda."},
			{testutil.CUFE(1), 13, 52123456, "Ana María", "Gómez", "Compras", "repetida"},
			{"abc-123", 13, 1, "Ana", "Gómez", "", ""},
			{testutil.CUFE(3), 13, 1, "Al", "Gómez", "", ""},
			{testutil.CUFE(4), 99, 1, "Ana", "Gómez", "", ""},
			{testutil.CUFE(5), 13, 1, "Ana", "Gómez", "TI", ""},
			{unknown, 13, 1, "Ana", "Gómez", "", ""},
			{before, 13, 1, "Ana", "Gómez", "", ""},
		}})
	pre := &afacturar.Client{BaseURL: url, Token: token, Obligado: "900123456", Ambiente: 2, HTTP: transport.NewHTTPClient(5*time.Second, 1)}
	if ans := pre.AcuseRecibo(context.Background(), afacturar.Acuse{CUFE: before, Recibio: afacturar.Persona{TipoIdentificacion: 13, Identificacion: "1", Nombres: "Ana", Apellidos: "Gómez"}}); ans.Values["cude"] == nil {
		t.Fatalf("pre-registration: %+v", ans)
	}
	out := filepath.Join(dir, "salida", "resultados.xlsx")
	code, msg := runMain(t, env(map[string]string{"AFACTURAR_TOKEN": token, "AFACTURAR_OBLIGADO": "900123456"}),
		"run", "--url", url, "--rate", "6000", "-o", out, in)
	if code != exitSomeRows {
		t.Fatalf("exit %d, want 1 (some rows need attention)\n%s", code, msg)
	}
	rows := testutil.ReadSheet(t, out, "Resultados")
	want := []struct {
		line, status, msg string
	}{
		{"3", "OK", ""},
		{"4", "OK", ""},
		{"5", "OK", "mismo CUFE que la hoja «Recibidas», fila 3"},
		{"6", "INVALIDO", "guiones"},
		{"7", "INVALIDO", "nombres"},
		{"8", "INVALIDO", "tipo_identificacion"},
		{"9", "INVALIDO", "area"},
		{"10", "RECHAZADO", "DOC01"},
		{"11", "YA_REGISTRADO", "LGC01"},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows in the workbook, want %d", len(rows), len(want))
	}
	for i, w := range want {
		r := rows[i]
		if r["hoja"] != "Recibidas" || r["fila"] != w.line || r["acuse_estado"] != w.status || !strings.Contains(r["acuse_mensaje"], w.msg) {
			t.Errorf("row %d: hoja %s fila %s %s %q; want fila %s %s %q", i, r["hoja"], r["fila"], r["acuse_estado"], r["acuse_mensaje"], w.line, w.status, w.msg)
		}
	}
	// The CUDE in the workbook is the one the provider registered.
	for i, cufe := range []string{testutil.CUFE(1), testutil.CUFE(2), testutil.CUFE(1)} {
		registered, _ := sb.Registered(cufe)
		if rows[i]["acuse_cude"] != registered || registered == "" {
			t.Errorf("row %d: CUDE %q, registered %q", i, rows[i]["acuse_cude"], registered)
		}
	}
	// YA_REGISTRADO carries the registered event's CUDE, from the history,
	// never the rejected attempt's.
	if registered, _ := sb.Registered(before); rows[8]["acuse_cude"] != registered || !strings.Contains(rows[8]["acuse_mensaje"], "histórico") {
		t.Errorf("YA_REGISTRADO shows CUDE %q (%q), registered %q", rows[8]["acuse_cude"], rows[8]["acuse_mensaje"], registered)
	}
	// Each CUFE sent once; no invalid row reached the server.
	if n := sb.Attempts(testutil.CUFE(1)); n != 1 {
		t.Errorf("repeated CUFE sent %d times", n)
	}
	for _, n := range []int{3, 4, 5} {
		if sb.Attempts(testutil.CUFE(n)) != 0 {
			t.Errorf("invalid row with CUFE(%d) reached the server", n)
		}
	}
	if got := sb.Requests(); got != 1+4+1 {
		t.Errorf("server saw %d requests, want 6 (1 before the run, 4 during, 1 history for the YA_REGISTRADO)", got)
	}
	// Input cells as read; a formula-looking text stays text.
	if rows[0]["Identificación"] != "52123456" || rows[1]["Identificación"] != "100200300400" || rows[0]["Emisor"] != `=HYPERLINK("x")` {
		t.Errorf("input cells changed: %v", rows[0])
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "salida", ".*.tmp")); len(files) != 0 {
		t.Errorf("temporary files left: %v", files)
	}
	for _, s := range []string{msg} {
		if strings.Contains(s, token) {
			t.Error("the token appears in the output")
		}
	}
	book, _ := os.ReadFile(out)
	if bytes.Contains(book, []byte(token)) {
		t.Error("the token appears in the workbook")
	}
}

// `make run`: the samples against the built-in sandbox end with exit 0.
func TestSamplesAgainstBuiltInSandbox(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "resultados.xlsx")
	code, msg := runMain(t, env(nil), "run", "--sandbox",
		"--tipo-identificacion", "CC", "--identificacion", "52123456", "--nombres", "Ana María", "--apellidos", "Gómez Ruiz",
		"-o", out, "../../samples/facturas-recibidas.xlsx", "../../samples/facturas-recibidas.csv", "../../samples/facturas-emitidas.csv")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, msg)
	}
	rows := testutil.ReadSheet(t, out, "Resultados")
	if len(rows) != 18 {
		t.Fatalf("%d rows, want 18 (8 from the xlsx, 5 from each csv)", len(rows))
	}
	// The received invoices get an acuse and no e-mail, though they have
	// Prefijo, número and fecha; the issued ones the reverse.
	for _, r := range rows[:13] {
		if r["acuse_estado"] != "OK" || len(r["acuse_cude"]) != 96 || r["correo_estado"] != "" {
			t.Errorf("%s fila %s: acuse %s %q, correo %q", r["archivo"], r["fila"], r["acuse_estado"], r["acuse_cude"], r["correo_estado"])
		}
	}
	for _, r := range rows[13:] {
		if r["correo_estado"] != "OK" || len(r["correo_cufe"]) != 96 || r["acuse_estado"] != "" {
			t.Errorf("%s fila %s: correo %s %q (%s), acuse %q", r["archivo"], r["fila"], r["correo_estado"], r["correo_cufe"], r["correo_mensaje"], r["acuse_estado"])
		}
		if pdf, err := os.ReadFile(filepath.Join(dir, r["correo_pdf"])); err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
			t.Errorf("fila %s: PDF %q: %v", r["fila"], r["correo_pdf"], err)
		}
	}
	if rows[12]["Emisor"] != "Distribuidora La Ñapa Ltda." {
		t.Errorf("Windows-1252 CSV decoded as %q", rows[12]["Emisor"])
	}
	assertDimensions(t, out)
	readByOthers(t, out)
	// What is a number to a person is a number to a program.
	f, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if typ := cellType(t, f, "acuse_numero_evento", 2); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Errorf("acuse_numero_evento is stored as %v, not a number", typ)
	}
}

// A refused token stops the run after the first request, with one message
// naming the variable, exit 2, and every row accounted for as PENDIENTE.
func TestRefusedTokenStopsEarly(t *testing.T) {
	t.Parallel()
	sb, url := stands.Sandbox(t, sandbox.Config{RatePerMinute: -1}, token)
	dir := t.TempDir()
	in := filepath.Join(dir, "r.csv")
	writeCSV(t, in, cufes(200))
	code, msg := runMain(t, env(map[string]string{"AFACTURAR_TOKEN": "otro-token-secreto", "AFACTURAR_OBLIGADO": "900123456"}),
		"run", "--url", url, "--rate", "60000", "--concurrencia", "1", in)
	if code != exitNothing {
		t.Fatalf("exit %d, want 2\n%s", code, msg)
	}
	if !strings.Contains(msg, "AFACTURAR_TOKEN") || strings.Contains(msg, "otro-token-secreto") {
		t.Errorf("message: %s", msg)
	}
	if n := sb.Requests(); n != 1 {
		t.Errorf("%d requests with a refused token, want 1", n)
	}
	rows := testutil.ReadSheet(t, filepath.Join(dir, "r-resultados.xlsx"), "Resultados")
	if len(rows) != 200 {
		t.Fatalf("%d rows, want 200", len(rows))
	}
	for _, r := range rows {
		if r["acuse_estado"] != "PENDIENTE" {
			t.Fatalf("fila %s: %s", r["fila"], r["acuse_estado"])
		}
	}
}

func TestNothingCanBeDone(t *testing.T) {
	t.Parallel()
	sb, url := stands.Sandbox(t, sandbox.Config{}, token)
	dir := t.TempDir()
	noKey := filepath.Join(dir, "sin-cufe.csv")
	os.WriteFile(noKey, []byte("Factura;Valor\nSETP1;100\n"), 0o644)
	good := filepath.Join(dir, "ok.csv")
	os.WriteFile(good, []byte("CUFE\n"+testutil.CUFE(1)+"\n"), 0o644)
	full := map[string]string{"AFACTURAR_TOKEN": token, "AFACTURAR_OBLIGADO": "900123456"}
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no file", full, []string{"run"}, "falta el archivo"},
		{"no token", map[string]string{"AFACTURAR_OBLIGADO": "1"}, []string{"run", good}, "AFACTURAR_TOKEN"},
		{"no obligado", map[string]string{"AFACTURAR_TOKEN": token}, []string{"run", good}, "--obligado"},
		{"no CUFE column", full, []string{"run", "--url", url, noKey}, "CUFE"},
		{"bad ambiente", full, []string{"run", "--ambiente", "staging", good}, "pruebas o produccion"},
		{"bad tipo flag", full, []string{"run", "--tipo-identificacion", "ZZ", good}, "--tipo-identificacion"},
		{"output over input", full, []string{"run", "-o", good, good}, ".xlsx"},
		{"unknown command", full, []string{"enviar"}, "orden desconocida"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, msg := runMain(t, env(c.env), c.args...)
			if code != exitNothing || !strings.Contains(msg, c.want) {
				t.Errorf("exit %d, message %q; want 2 and %q", code, msg, c.want)
			}
		})
	}
	if sb.Requests() != 0 {
		t.Errorf("%d requests were sent", sb.Requests())
	}
}

func TestVersionAndHelp(t *testing.T) {
	t.Parallel()
	if code, out := runMain(t, env(nil), "version"); code != 0 || !strings.HasPrefix(out, "batch ") {
		t.Errorf("version: %d %q", code, out)
	}
	if code, out := runMain(t, env(nil), "run", "--help"); code != 0 || !strings.Contains(out, "Ejemplos") || !strings.Contains(out, "--sandbox") {
		t.Errorf("run --help: %d %q", code, out)
	}
}

// `batch check` (run --dry-run) reads, checks and writes the workbook with
// what would be sent, without a token and without a single request; the
// estimate it prints is what the real run then does. It answers from the
// journal what an earlier run finished.
func TestCheckSendsNothing(t *testing.T) {
	t.Parallel()
	sb, url := stands.Sandbox(t, sandbox.Config{RatePerMinute: -1}, token)
	dir := t.TempDir()
	in := filepath.Join(dir, "r.csv")
	writeCSV(t, in, append(cufes(30), testutil.CUFE(0), "no-es-un-cufe")) // a repeated and an invalid one
	state := t.TempDir()
	vars := map[string]string{"XDG_STATE_HOME": state, "AFACTURAR_OBLIGADO": "900123456"}

	code, msg := runMain(t, env(vars), "check", "--url", url, in)
	if code != exitSomeRows {
		t.Fatalf("exit %d, want 1 (an invalid row)\n%s", code, msg)
	}
	if sb.Requests() != 0 {
		t.Fatalf("check sent %d requests", sb.Requests())
	}
	if !strings.Contains(msg, "32 filas: se enviarán 30 solicitudes; 0 ya resueltas en ejecuciones anteriores, 1 repetidas en el archivo, 1 inválidas") || !strings.Contains(msg, "unos 15 s") {
		t.Errorf("estimate: %s", msg)
	}
	rows := testutil.ReadSheet(t, filepath.Join(dir, "r-revision.xlsx"), "Resultados")
	if len(rows) != 32 || rows[0]["acuse_estado"] != "PENDIENTE" || !strings.Contains(rows[0]["acuse_mensaje"], "se enviaría") ||
		rows[31]["acuse_estado"] != "INVALIDO" || !strings.Contains(rows[30]["acuse_mensaje"], "fila 2") {
		t.Fatalf("revision workbook: %d rows, %v / %v / %v", len(rows), rows[0], rows[30], rows[31])
	}
	if _, err := os.Stat(filepath.Join(dir, "r-resultados.xlsx")); err == nil {
		t.Error("check wrote the results workbook's name")
	}
	if _, err := os.Stat(filepath.Join(state, "batch", "journal.db")); err == nil {
		t.Error("check created a journal")
	}

	// The real run announces the same figures, then sends 30.
	vars["AFACTURAR_TOKEN"] = token
	code, msg = runMain(t, env(vars), "run", "--url", url, "--rate", "60000", in)
	if code != exitSomeRows || sb.Requests() != 30 || !strings.Contains(msg, "se enviarán 30 solicitudes") {
		t.Fatalf("run: exit %d, %d requests\n%s", code, sb.Requests(), msg)
	}
	// Afterwards check finds every key done, from the journal.
	delete(vars, "AFACTURAR_TOKEN")
	code, msg = runMain(t, env(vars), "check", "--url", url, in)
	if sb.Requests() != 30 || !strings.Contains(msg, "se enviarán 0 solicitudes; 30 ya resueltas") {
		t.Errorf("check after the run: exit %d, %d requests\n%s", code, sb.Requests(), msg)
	}
}

// Off a terminal (cron, a log), progress is a line at an interval; --json
// prints the final figures for automation; --quiet prints only errors.
func TestProgressJSONAndQuiet(t *testing.T) {
	_, url := stands.Sandbox(t, sandbox.Config{RatePerMinute: -1, Latency: func() time.Duration { return 5 * time.Millisecond }}, token)
	dir := t.TempDir()
	in := filepath.Join(dir, "r.csv")
	writeCSV(t, in, append(cufes(40), "no-es-un-cufe"))
	vars := map[string]string{"AFACTURAR_TOKEN": token, "AFACTURAR_OBLIGADO": "900123456"}

	defer func(d time.Duration) { progress.Every = d }(progress.Every)
	progress.Every = 10 * time.Millisecond
	var stdout, stderr lockedBuffer
	code := Main([]string{"run", "--url", url, "--rate", "600", "--json", "--journal", filepath.Join(dir, "j.db"), in}, env(vars), &stdout, &stderr)
	if code != exitSomeRows {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "de 41 filas") {
		t.Errorf("no progress line:\n%s", stderr.String())
	}
	var sum writers.RunJSON
	if err := json.Unmarshal([]byte(stdout.String()), &sum); err != nil {
		t.Fatalf("--json output %q: %v", stdout.String(), err)
	}
	if sum.Filas != 41 || sum.Solicitudes != 40 || sum.CodigoSalida != exitSomeRows || sum.Estados["acuse"]["OK"] != 40 || sum.Estados["acuse"]["INVALIDO"] != 1 {
		t.Errorf("summary = %+v", sum)
	}

	var quietOut, quietErr lockedBuffer
	code = Main([]string{"run", "--url", url, "--quiet", "--journal", filepath.Join(dir, "j.db"), in}, env(vars), &quietOut, &quietErr)
	if code != exitSomeRows || quietOut.String() != "" || quietErr.String() != "" {
		t.Errorf("--quiet: exit %d, printed %q / %q", code, quietOut.String(), quietErr.String())
	}
}
