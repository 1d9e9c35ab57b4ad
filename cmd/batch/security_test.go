package main

import (
	"bytes"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/xuri/excelize/v2"
	_ "modernc.org/sqlite"

	"batch/internal/stands"
	"batch/internal/testutil"
	"batch/sandbox"
)

// capture is a server that must never be reached: it counts what arrives
// and keeps every header and body.
type capture struct {
	mu       sync.Mutex
	requests int
	seen     bytes.Buffer
}

func newCapture(t *testing.T) (*capture, string) {
	t.Helper()
	c := &capture{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.requests++
		fmt.Fprintf(&c.seen, "%s %s %v\n%s\n", r.Method, r.URL, r.Header, body)
		c.mu.Unlock()
		io.WriteString(w, `{"codigo_error":0,"descripcion_error":"OK","resultado":{"cude":"`+strings.Repeat("c", 96)+`"}}`)
	}))
	t.Cleanup(srv.Close)
	return c, srv.URL
}

func (c *capture) count() int { c.mu.Lock(); defer c.mu.Unlock(); return c.requests }

// forms are the ways a secret can be written back: as sent, JSON- and
// XML-escaped, URL-encoded, base64. Written here apart from the masker.
func forms(secret string) []string {
	j, _ := json.Marshal(secret)
	var x bytes.Buffer
	xml.EscapeText(&x, []byte(secret))
	return []string{secret, string(j[1 : len(j)-1]), x.String(), url.QueryEscape(secret), base64.StdEncoding.EncodeToString([]byte(secret))}
}

// assertNoFormAnywhere looks for every form of secret in the output and in
// every file under dir, the workbooks' cells read back.
func assertNoFormAnywhere(t *testing.T, secret, output, dir string) {
	t.Helper()
	for _, f := range forms(secret) {
		if strings.Contains(output, f) {
			t.Errorf("the output holds %q", f)
		}
	}
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(path)
		if strings.HasSuffix(path, ".xlsx") {
			var all strings.Builder
			f, err := excelize.OpenFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, sheet := range f.GetSheetList() {
				rows, _ := f.GetRows(sheet)
				for _, r := range rows {
					all.WriteString(strings.Join(r, "\x00"))
				}
			}
			f.Close()
			b = append(b, all.String()...)
		}
		for _, f := range forms(secret) {
			if bytes.Contains(b, []byte(f)) {
				t.Errorf("%s holds %q", path, f)
			}
		}
		return nil
	})
}

// A sheet anyone could send names files from the whole machine: none of
// them leaves it, the check says so before any request, and a very hidden
// sheet is not read unless asked for.
func TestAttachmentsStayInsideTheirFolder(t *testing.T) {
	t.Parallel()
	server, soapURL := stands.NewASMX(t, false)
	dir := t.TempDir()
	in, outside := filepath.Join(dir, "entrada"), filepath.Join(dir, "fuera")
	os.MkdirAll(in, 0o755)
	os.MkdirAll(outside, 0o755)
	secretFile := filepath.Join(outside, "secreto.txt")
	writeText(t, secretFile, "SECRETO-DE-FUERA")
	writeText(t, filepath.Join(in, "orden.pdf"), "%PDF-1.4 orden")
	os.Symlink(secretFile, filepath.Join(in, "enlace.txt"))
	os.Link(secretFile, filepath.Join(in, "duro.txt"))
	mkfifo(t, filepath.Join(in, "tubo"))
	sheet := filepath.Join(in, "emitidas.xlsx")
	head := []any{"Prefijo", "NumeroFactura", "FechaFactura", "MailRecepcion", "Adjuntos"}
	row := func(n int, adjuntos string) []any {
		return []any{"FE", n, "2026-11-20", "comprador@cliente.co", adjuntos}
	}
	testutil.WriteXLSX(t, sheet,
		testutil.Sheet{Name: "Emitidas", Rows: [][]any{head,
			row(1, "/proc/self/environ"), row(2, "../../../../../../etc/passwd"), row(3, "enlace.txt"), row(4, "duro.txt"),
			row(5, "tubo"), row(6, secretFile), row(7, "../fuera/secreto.txt"), row(8, "orden.pdf")}},
		testutil.Sheet{Name: "Oculta", Rows: [][]any{head, row(9, "orden.pdf")}})
	f, err := excelize.OpenFile(sheet)
	if err != nil {
		t.Fatal(err)
	}
	f.SetSheetVisible("Oculta", false, true)
	f.Save()
	f.Close()

	vars := env(map[string]string{"SSINTEGRAL_NIT": stands.SoapNIT, "SSINTEGRAL_CLAVE": stands.SoapClave, "AFACTURAR_TOKEN": "token-en-el-entorno"})
	reasons := map[string]string{"1": "ruta absoluta", "2": "fuera de la carpeta", "3": "enlace que sale", "4": "enlaces duros",
		"5": "no es un archivo", "6": "ruta absoluta", "7": "fuera de la carpeta"}
	for _, cmd := range []string{"check", "run"} {
		out := filepath.Join(dir, cmd+".xlsx")
		code, msg := runMain(t, vars, cmd, "--soap-url", soapURL, "--rate-correo", "6000", "-o", out, sheet)
		if code != exitSomeRows || !strings.Contains(msg, "hojas ocultas que no se leyeron: «Oculta»") {
			t.Errorf("%s: exit %d:\n%s", cmd, code, msg)
		}
		rows := testutil.ReadSheet(t, out, "Resultados")
		if len(rows) != 8 {
			t.Fatalf("%s: %d rows, want the 8 of the visible sheet", cmd, len(rows))
		}
		for _, r := range rows {
			n := r["NumeroFactura"]
			if want, bad := reasons[n]; bad && (r["correo_estado"] != "INVALIDO" || !strings.Contains(r["correo_mensaje"], want)) {
				t.Errorf("%s, FE%s: %s %q, want INVALIDO %q", cmd, n, r["correo_estado"], r["correo_mensaje"], want)
			}
		}
		if last := rows[7]; cmd == "run" && last["correo_estado"] != "OK" {
			t.Errorf("the attachment inside the folder: %s %q", last["correo_estado"], last["correo_mensaje"])
		}
	}
	if len(server.Calls) != 1 || server.Calls["FE8"] != 1 || server.Files["FE8"] != "orden.pdf:14" {
		t.Errorf("the service received %v with files %v; want FE8 alone, with orden.pdf", server.Calls, server.Files)
	}
	// Asked for, the hidden sheet is read; a pseudo-filesystem is never a root.
	out := filepath.Join(dir, "ocultas.xlsx")
	code, msg := runMain(t, vars, "check", "--hojas-ocultas", "--adjuntos-raiz", "/proc", "-o", out, sheet)
	rows := testutil.ReadSheet(t, out, "Resultados")
	if code != exitSomeRows || len(rows) != 9 || !strings.Contains(rows[8]["correo_mensaje"], "no puede ser la carpeta de adjuntos") {
		t.Errorf("--hojas-ocultas --adjuntos-raiz /proc: exit %d, %d rows, %q\n%s", code, len(rows), rows[len(rows)-1]["correo_mensaje"], msg)
	}
}

// A redirect is never followed: not to another host with the SOAP body
// and its Clave, not to another port with the token. The run stops on it
// as on a wrong address, naming where it pointed without its query.
func TestNoRedirectIsFollowed(t *testing.T) {
	t.Parallel()
	target, targetURL := newCapture(t)
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, targetURL+r.URL.Path+"?token=robado", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redirect.Close)
	dir := t.TempDir()
	received := filepath.Join(dir, "recibidas.csv")
	writeCSV(t, received, cufes(3))
	issued := filepath.Join(dir, "emitidas.csv")
	writeText(t, issued, "Prefijo;NumeroFactura;FechaFactura;MailRecepcion\nFE;1;2026-11-20;a@b.co\nFE;2;2026-11-20;a@b.co\n")
	vars := env(map[string]string{"AFACTURAR_TOKEN": token, "AFACTURAR_OBLIGADO": "900123456", "SSINTEGRAL_NIT": stands.SoapNIT, "SSINTEGRAL_CLAVE": stands.SoapClave})
	for name, args := range map[string][]string{
		"afacturar":  {"run", "--url", redirect.URL, received},
		"ssintegral": {"run", "--soap-url", redirect.URL + "/ServicioSSIntegral.asmx", "--rate-correo", "6000", issued},
	} {
		t.Run(name, func(t *testing.T) {
			code, msg := runMain(t, vars, append(args[:1], append([]string{"--journal", filepath.Join(dir, name+".db")}, args[1:]...)...)...)
			if code != exitNothing || !strings.Contains(msg, "redirección (HTTP 307)") || !strings.Contains(msg, strings.TrimPrefix(targetURL, "http://")) || strings.Contains(msg, "robado") {
				t.Errorf("exit %d:\n%s", code, msg)
			}
		})
	}
	if n := target.count(); n != 0 {
		t.Errorf("the redirect's target received %d requests:\n%s", n, target.seen.String())
	}
}

// --sandbox talks to its own loopback server only, whatever the
// environment names; real credentials never travel over plain http to
// another machine.
func TestSandboxAndPlainHTTPSendNothingOut(t *testing.T) {
	t.Parallel()
	target, targetURL := newCapture(t)
	dir := t.TempDir()
	samples := filepath.Join("..", "..", "samples")
	code, msg := runMain(t, env(map[string]string{"SSINTEGRAL_URL": targetURL + "/ServicioSSIntegral.asmx", "SSINTEGRAL_NIT": stands.SoapNIT, "SSINTEGRAL_CLAVE": stands.SoapClave}),
		"run", "--sandbox", "--quiet", "-o", filepath.Join(dir, "r.xlsx"), filepath.Join(samples, "facturas-emitidas.csv"))
	if code != exitOK || target.count() != 0 {
		t.Errorf("--sandbox with SSINTEGRAL_URL set: exit %d, %d requests left the sandbox\n%s", code, target.count(), msg)
	}
	if code, msg := runMain(t, env(nil), "run", "--sandbox", "--url", targetURL, filepath.Join(samples, "facturas-recibidas.csv")); code != exitNothing || !strings.Contains(msg, "--sandbox") {
		t.Errorf("--sandbox --url: exit %d\n%s", code, msg)
	}
	received := filepath.Join(dir, "r.csv")
	writeCSV(t, received, cufes(1))
	issued := filepath.Join(dir, "e.csv")
	writeText(t, issued, "Prefijo;NumeroFactura;FechaFactura;MailRecepcion\nFE;1;2026-11-20;a@b.co\n")
	vars := env(map[string]string{"AFACTURAR_TOKEN": token, "AFACTURAR_OBLIGADO": "900123456", "SSINTEGRAL_NIT": stands.SoapNIT, "SSINTEGRAL_CLAVE": stands.SoapClave})
	for _, args := range [][]string{{"--url", "http://afacturar.example", received}, {"--soap-url", "http://ssintegral.example/ServicioSSIntegral.asmx", issued}} {
		code, msg := runMain(t, vars, append([]string{"run"}, args...)...)
		if code != exitNothing || !strings.Contains(msg, "no usa https") {
			t.Errorf("%v: exit %d\n%s", args, code, msg)
		}
	}
}

// Whatever the provider echoes, the token and the Clave reach no output
// and no file, in any form; and masking a short Clave leaves the values
// that happen to contain its digits alone.
func TestEchoedSecretsAreMasked(t *testing.T) {
	t.Parallel()
	const tok = "tok&en-Secreto+9f3k2/Z"
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(map[string]any{"codigo_error": 401,
			"descripcion_error": []string{"no autorizado: " + auth, "eco " + base64.StdEncoding.EncodeToString([]byte(auth)), "url " + url.QueryEscape(tok)}})
	}))
	t.Cleanup(echo.Close)
	dir := t.TempDir()
	in := filepath.Join(dir, "r.csv")
	writeCSV(t, in, cufes(5))
	code, msg := runMain(t, env(map[string]string{"AFACTURAR_TOKEN": tok, "AFACTURAR_OBLIGADO": "900123456"}),
		"run", "--json", "--url", echo.URL, "--journal", filepath.Join(dir, "j.db"), in)
	if code != exitNothing || !strings.Contains(msg, "********") {
		t.Errorf("exit %d\n%s", code, msg)
	}
	assertNoFormAnywhere(t, tok, msg, dir)

	const clave = "Cl&ve<2026>"
	cufe := "ab1234cd" + strings.Repeat("0", 88)
	soap := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var esc bytes.Buffer
		xml.EscapeText(&esc, []byte(clave))
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		if strings.Contains(readAll(r), "<NumeroFactura>1</NumeroFactura>") {
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprintf(w, `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Client</faultcode><faultstring>valor %s (%s) no valido</faultstring></soap:Fault></soap:Body></soap:Envelope>`,
				esc.String(), base64.StdEncoding.EncodeToString([]byte(clave)))
			return
		}
		fmt.Fprintf(w, `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><EnvioCorreoResponse xmlns="https://factura.ssintegral.com/"><EnvioCorreoResult><CUFE>%s</CUFE><Descripcion>enviada con la clave 1234</Descripcion><RespuestaProduccion><IsValid>true</IsValid><StatusCode>00</StatusCode></RespuestaProduccion></EnvioCorreoResult></EnvioCorreoResponse></soap:Body></soap:Envelope>`, cufe)
	}))
	t.Cleanup(soap.Close)
	issued := filepath.Join(dir, "emitidas", "e.csv")
	os.MkdirAll(filepath.Dir(issued), 0o755)
	writeText(t, issued, "Prefijo;NumeroFactura;FechaFactura;MailRecepcion\nFE;1;2026-11-20;a@b.co\nFE;2;2026-11-20;a@b.co\n")
	code, msg = runMain(t, env(map[string]string{"SSINTEGRAL_NIT": stands.SoapNIT, "SSINTEGRAL_CLAVE": clave}),
		"run", "--soap-url", soap.URL, "--rate-correo", "6000", "--journal", filepath.Join(dir, "emitidas", "j.db"), issued)
	rows := testutil.ReadSheet(t, filepath.Join(dir, "emitidas", "e-resultados.xlsx"), "Resultados")
	if code != exitSomeRows || rows[0]["correo_estado"] != "REVISAR" || !strings.Contains(rows[0]["correo_mensaje"], "********") {
		t.Fatalf("exit %d, %v\n%s", code, rows, msg)
	}
	assertNoFormAnywhere(t, clave, msg, filepath.Join(dir, "emitidas"))
	// A numeric Clave of four digits: the CUFE that holds them is intact.
	code, msg = runMain(t, env(map[string]string{"SSINTEGRAL_NIT": stands.SoapNIT, "SSINTEGRAL_CLAVE": "1234"}),
		"run", "--soap-url", soap.URL, "--rate-correo", "6000", "--journal", filepath.Join(dir, "corta.db"), "-o", filepath.Join(dir, "corta.xlsx"), issued)
	rows = testutil.ReadSheet(t, filepath.Join(dir, "corta.xlsx"), "Resultados")
	if rows[1]["correo_cufe"] != cufe || rows[1]["correo_descripcion"] != "enviada con la clave ********" {
		t.Errorf("short clave: cufe %q, descripcion %q\n%s", rows[1]["correo_cufe"], rows[1]["correo_descripcion"], msg)
	}
}

func readAll(r *http.Request) string {
	b, _ := io.ReadAll(r.Body)
	return string(b)
}

// Nombre (a supplier's name) and Nombres (who received) both mean the
// person's names: the file is refused, naming both, before any request.
func TestTwoColumnsForOneFieldRefuseTheFile(t *testing.T) {
	t.Parallel()
	sb, url := stands.Sandbox(t, sandbox.Config{RatePerMinute: -1}, token)
	in := filepath.Join(t.TempDir(), "r.csv")
	writeText(t, in, "CUFE;Nombre;Tipo identificacion;Identificacion;Nombres;Apellidos\n"+testutil.CUFE(1)+";Proveedor XYZ SAS;13;52123456;Ana;Gómez\n")
	code, msg := runMain(t, full, "run", "--url", url, in)
	lines := strings.Split(strings.TrimSpace(msg), "\n")
	if code != exitNothing || len(lines) != 1 || !strings.Contains(msg, "«Nombre» (B)") || !strings.Contains(msg, "«Nombres» (E)") || !strings.Contains(msg, "nombres") {
		t.Errorf("exit %d:\n%s", code, msg)
	}
	if sb.Requests() != 0 {
		t.Errorf("%d requests", sb.Requests())
	}
}

// FE1 23 and FE 123 are two invoices: two e-mails, two files. A journal
// written when the key was "FE123" is read in the new form: once the
// operator says which environment it recorded, the invoice it had sent is
// not sent again.
func TestInvoiceKeysKeepPrefixAndNumberApart(t *testing.T) {
	t.Parallel()
	server, soapURL := stands.NewASMX(t, false)
	dir := t.TempDir()
	jr := filepath.Join(dir, "j.db")
	writeOldJournal(t, jr)
	if code, msg := runMain(t, env(nil), "journal", "--asignar-ambiente", "pruebas", "--journal", jr); code != exitOK || !strings.Contains(msg, "1 claves") {
		t.Fatalf("journal --asignar-ambiente: exit %d\n%s", code, msg)
	}
	in := filepath.Join(dir, "e.csv")
	writeText(t, in, "Prefijo;NumeroFactura;FechaFactura;MailRecepcion\nFE1;23;2026-11-20;a@b.co\nFE;123;2026-11-20;a@b.co\nFE;77;2026-11-20;a@b.co\n")
	vars := env(map[string]string{"SSINTEGRAL_NIT": stands.SoapNIT, "SSINTEGRAL_CLAVE": stands.SoapClave})
	code, msg := runMain(t, vars, "run", "--soap-url", soapURL, "--rate-correo", "6000", "--journal", jr, in)
	rows := testutil.ReadSheet(t, filepath.Join(dir, "e-resultados.xlsx"), "Resultados")
	if code != exitOK || len(rows) != 3 {
		t.Fatalf("exit %d, %d rows\n%s", code, len(rows), msg)
	}
	// The service names both FE1+23 and FE+123 "FE123": one call is FE1 23.
	if server.Calls["FE123"] != 1 || server.Calls["FE77"] != 1 || rows[1]["intentos"] != "0" || !strings.Contains(rows[1]["correo_mensaje"], "ejecución anterior") {
		t.Errorf("calls %v; FE 123: %s intentos, %q", server.Calls, rows[1]["intentos"], rows[1]["correo_mensaje"])
	}
	if rows[0]["correo_pdf"] == rows[2]["correo_pdf"] || !strings.HasSuffix(rows[0]["correo_pdf"], "FE1-23.pdf") {
		t.Errorf("files %q and %q", rows[0]["correo_pdf"], rows[2]["correo_pdf"])
	}
}

// writeOldJournal writes a journal as version 0 did: the dispatch of FE
// 123, OK, under the key "FE123".
func writeOldJournal(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	scope := "ssintegral:" + stands.SoapNIT
	for _, q := range []string{
		`CREATE TABLE rows (obligado TEXT NOT NULL, operation TEXT NOT NULL, key TEXT NOT NULL, status TEXT NOT NULL, code TEXT NOT NULL DEFAULT '', message TEXT NOT NULL DEFAULT '', vals TEXT NOT NULL DEFAULT '{}', attempts INTEGER NOT NULL DEFAULT 0, source TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (obligado, operation, key))`,
		`CREATE TABLE attempts (id INTEGER PRIMARY KEY, obligado TEXT NOT NULL, operation TEXT NOT NULL, key TEXT NOT NULL, started_at TEXT NOT NULL, ended_at TEXT, request TEXT NOT NULL, http_status INTEGER, code TEXT, outcome TEXT, message TEXT, response TEXT)`,
		`INSERT INTO rows VALUES ('` + scope + `', 'correo', 'FE123', 'OK', '00', '', '{}', 1, 'e.csv fila 3', '2026-11-20T01:00:00Z', '2026-11-20T01:00:01Z')`,
		`INSERT INTO attempts (obligado, operation, key, started_at, ended_at, request, outcome) VALUES ('` + scope + `', 'correo', 'FE123', '2026-11-20T01:00:00Z', '2026-11-20T01:00:01Z', 'POST x
<correo><NIT>` + stands.SoapNIT + `</NIT><Clave>********</Clave><NumeroFactura>123</NumeroFactura><Prefijo>FE</Prefijo></correo>', 'OK')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
}

// Text from a file reaches the terminal without its control characters.
func TestFileTextCannotDriveTheTerminal(t *testing.T) {
	t.Parallel()
	in := filepath.Join(t.TempDir(), "sin-clave.csv")
	writeText(t, in, "Factura\x1b[2J\x1b]0;titulo\x07;Valor\x1b[31m\nSETP1;100\n")
	code, msg := runMain(t, full, "run", in)
	if code != exitNothing || strings.ContainsAny(msg, "\x1b\x07") || !strings.Contains(msg, "Factura") {
		t.Errorf("exit %d: %q", code, msg)
	}
}
