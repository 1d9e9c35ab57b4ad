package main

import (
	"bytes"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/xuri/excelize/v2"

	"batch/internal/testutil"
)

const (
	soapNIT   = "901555444"
	soapClave = "Cl4ve-Secreta#2026"
)

// asmx is an .asmx-like EnvioCorreo service written apart from the client:
// it reads the request token by token, checks the transport of each SOAP
// version, and answers with the service page's own sample answer, its
// placeholders filled in.
type asmx struct {
	t        *testing.T
	template string // the page's sample answer, SOAP 1.1 or 1.2

	mu      sync.Mutex
	calls   map[string]int    // Prefijo+NumeroFactura → requests
	files   map[string]string // invoice → attachments' names and sizes
	pdfs    map[string][]byte // invoice → the PDF answered
	version map[string]string
	// trouble, when set, says how an attempt on an invoice fails: "503"
	// (a proxy's page), "fault" (the service's own Fault), or "".
	trouble func(invoice string, attempt int) string
}

// cufeFor is how this service computes an invoice's CUFE.
func cufeFor(nit, invoice, fecha string) string {
	sum := sha512.Sum384([]byte("asmx|" + nit + "|" + invoice + "|" + fecha))
	return hex.EncodeToString(sum[:])
}

func newASMX(t *testing.T, soap12 bool) (*asmx, string) {
	t.Helper()
	seed := "seed-soap11-response.xml"
	if soap12 {
		seed = "seed-soap12-response.xml"
	}
	tmpl, err := os.ReadFile(filepath.Join("..", "..", "ssintegral", "testdata", seed))
	if err != nil {
		t.Fatal(err)
	}
	a := &asmx{t: t, template: string(tmpl), calls: map[string]int{}, files: map[string]string{}, pdfs: map[string][]byte{}, version: map[string]string{}}
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	return a, srv.URL + "/ServicioSSIntegral.asmx"
}

func (a *asmx) fault(w http.ResponseWriter, text string) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Client</faultcode><faultstring>%s</faultstring></soap:Fault></soap:Body></soap:Envelope>`, text)
}

func (a *asmx) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/ServicioSSIntegral.asmx" {
		http.NotFound(w, r)
		return
	}
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var envNS string
	switch {
	case mt == "text/xml" && params["charset"] == "utf-8" && r.Header.Get("SOAPAction") == `"https://factura.ssintegral.com/EnvioCorreo"`:
		envNS = "http://schemas.xmlsoap.org/soap/envelope/"
	case mt == "application/soap+xml" && params["charset"] == "utf-8" && r.Header.Get("SOAPAction") == "":
		envNS = "http://www.w3.org/2003/05/soap-envelope"
	default:
		a.fault(w, "transport: Content-Type "+r.Header.Get("Content-Type")+" SOAPAction "+r.Header.Get("SOAPAction"))
		return
	}
	if strings.Contains(a.template, "soap12:") != (envNS == "http://www.w3.org/2003/05/soap-envelope") {
		a.fault(w, "this service speaks the other SOAP version")
		return
	}
	// Walk the document: every element's path of namespace-qualified
	// names, and the text of the leaves.
	fields := map[string]string{}
	var (
		path  []string
		order []string
		text  strings.Builder
		files []string
		name  string
	)
	dec := xml.NewDecoder(r.Body)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			a.fault(w, "XML: "+err.Error())
			return
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			path = append(path, tok.Name.Space+" "+tok.Name.Local)
			text.Reset()
		case xml.CharData:
			text.Write(tok)
		case xml.EndElement:
			p := strings.Join(path, "/")
			const correo = "https://factura.ssintegral.com/ correo"
			if i := strings.Index(p, correo+"/"); i >= 0 && strings.HasPrefix(p, envNS+" Envelope/"+envNS+" Body/https://factura.ssintegral.com/ EnvioCorreo/") {
				leaf := strings.ReplaceAll(p[i+len(correo)+1:], "https://factura.ssintegral.com/ ", "")
				switch leaf {
				case "Adjuntos/Archivos/NombreArchivo":
					name = text.String()
				case "Adjuntos/Archivos/Archivo":
					b, err := base64.StdEncoding.DecodeString(text.String())
					if err != nil {
						a.fault(w, "Archivo is not base64")
						return
					}
					files = append(files, fmt.Sprintf("%s:%d", name, len(b)))
				case "Adjuntos/Archivos", "Adjuntos":
				default:
					fields[leaf] = text.String()
					order = append(order, leaf)
				}
			}
			path = path[:len(path)-1]
		}
	}
	want := "NIT Clave Resolucion NumeroFactura Prefijo CodigoEmpresa TipoAmbiente server MailAreaFacturacionFacturador RazonSocialFacturador MailRecepcion TelefonoRecepcion NombreEmpresaRecepcion NitEmpresaRecepcion TipoDocumento DigitoVerificacionCliente DigitoVerificacionFacturador FechaFactura RutaArchivo TipoIdentificacionCliente TipoIdentificacionFacturador NombreDocumento"
	if got := strings.Join(order, " "); got != want {
		a.fault(w, "correo's fields: "+got)
		return
	}
	if fields["NIT"] != soapNIT || fields["Clave"] != soapClave {
		a.fault(w, "NIT o clave incorrectos")
		return
	}
	invoice := fields["Prefijo"] + fields["NumeroFactura"]
	cufe := cufeFor(fields["NIT"], invoice, fields["FechaFactura"])
	pdf := []byte("%PDF-1.4\n% factura " + invoice + "\n%%EOF\n")
	a.mu.Lock()
	a.calls[invoice]++
	attempt := a.calls[invoice]
	a.mu.Unlock()
	if a.trouble != nil {
		switch a.trouble(invoice, attempt) {
		case "503":
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "<html><body>503 Service Unavailable</body></html>")
			return
		case "fault":
			a.fault(w, "Server was unable to process request. ---> Object reference not set to an instance of an object.")
			return
		}
	}
	a.mu.Lock()
	a.files[invoice] = strings.Join(files, ",")
	a.pdfs[invoice] = pdf
	a.version[invoice] = envNS
	a.mu.Unlock()

	body := a.template
	for placeholder, value := range map[string]string{
		"<CUFE>string</CUFE>":                           "<CUFE>" + strings.ToUpper(cufe) + "</CUFE>",
		"<CUDE>string</CUDE>":                           "<CUDE></CUDE>",
		"<QR>string</QR>":                               "<QR>https://catalogo-vpfe.dian.gov.co/document/searchqr?documentkey=" + cufe + "</QR>",
		"<xml>base64Binary</xml>":                       "<xml>" + base64.StdEncoding.EncodeToString([]byte("<Invoice>"+invoice+"</Invoice>")) + "</xml>",
		"<FacturaPDF>base64Binary</FacturaPDF>":         "<FacturaPDF>" + base64.StdEncoding.EncodeToString(pdf) + "</FacturaPDF>",
		"<Descripcion>string</Descripcion>":             "<Descripcion>Enviada a " + fields["MailRecepcion"] + "</Descripcion>",
		"<IsValid>boolean</IsValid>":                    "<IsValid>true</IsValid>",
		"<StatusCode>string</StatusCode>":               "<StatusCode>00</StatusCode>",
		"<StatusDescription>string</StatusDescription>": "<StatusDescription>Procesado Correctamente.</StatusDescription>",
		"<string>string</string>":                       "<string>Regla: FAJ44b, Notificación: Nit o Documento de Identificación informado No corresponde al registrado en el RUT</string>",
	} {
		body = strings.ReplaceAll(body, placeholder, value)
	}
	ct := "text/xml; charset=utf-8"
	if strings.Contains(body, "soap12:") {
		ct = "application/soap+xml; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	io.WriteString(w, body)
}

// Issued invoices, one row each, sent to an independent .asmx-like service
// in both SOAP versions: every valid row is OK with the service's CUFE and
// its PDF saved beside the workbook, each invoice is called once, and the
// Clave is nowhere on disk.
func TestCorreoAgainstAnIndependentService(t *testing.T) {
	for _, v := range []struct {
		name   string
		soap12 bool
	}{{"soap11", false}, {"soap12", true}} {
		t.Run(v.name, func(t *testing.T) {
			server, url := newASMX(t, v.soap12)
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "orden-77.pdf"), bytes.Repeat([]byte("x"), 1234), 0o644)
			os.WriteFile(filepath.Join(dir, "acta.txt"), []byte("acta"), 0o644)
			in := filepath.Join(dir, "emitidas.xlsx")
			testutil.WriteXLSX(t, in, testutil.Sheet{Name: "Emitidas", Rows: [][]any{
				{"Prefijo", "NumeroFactura", "Resolucion", "MailRecepcion", "TelefonoRecepcion", "NombreEmpresaRecepcion", "NitEmpresaRecepcion",
					"TipoDocumento", "DigitoVerificacionCliente", "FechaFactura", "RutaArchivo", "TipoIdentificacionCliente", "NombreDocumento", "Adjuntos"},
				{"SETP", 990000001, "18760000001", "compras@cliente.com.co", "6015550000", "Cliente Uno S.A.S.", "800111222", "01", "7", "2026-11-20", "", "31", "SETP990000001", "orden-77.pdf; acta.txt"},
				{"setp", "990000002", "18760000001", "pagos@otro.co;copia@otro.co", "", "Otro Ltda.", "800333444", "01", "1", "20/11/2026", "", "31", "", ""},
				{"SETP", 990000001, "18760000001", "compras@cliente.com.co", "", "Cliente Uno S.A.S.", "800111222", "01", "7", "2026-11-20", "", "31", "", "orden-77.pdf; acta.txt"},
				{"SETP", 990000003, "18760000001", "sin-arroba.cliente.co", "", "Tercero", "800555666", "01", "2", "2026-11-20", "", "31", "", ""},
				{"SETP", 990000004, "18760000001", "ok@cliente.co", "", "Cuarto", "800777888", "01", "2", "2026-11-19", "", "31", "", "no-existe.pdf"},
			}})
			out := filepath.Join(dir, "envios.xlsx")
			journalPath := filepath.Join(dir, "estado", "journal.db")
			args := []string{"run", "--soap-url", url, "--rate-correo", "600", "--journal", journalPath, "-o", out,
				"--ssintegral-codigo-empresa", "12", "--ssintegral-razon-social", "Facturadora S.A.S."}
			if v.soap12 {
				args = append(args, "--soap12")
			}
			vars := env(map[string]string{"SSINTEGRAL_NIT": soapNIT, "SSINTEGRAL_CLAVE": soapClave})
			code, msg := runMain(t, vars, append(args, in)...)
			if code != exitSomeRows {
				t.Fatalf("exit %d, want %d (two invalid rows):\n%s", code, exitSomeRows, msg)
			}
			rows := testutil.ReadSheet(t, out, "Resultados")
			if len(rows) != 5 {
				t.Fatalf("%d rows in the workbook, want 5", len(rows))
			}
			for i, invoice := range []string{"SETP990000001", "SETP990000002", "SETP990000001"} {
				r := rows[i]
				fecha := "2026-11-20T00:00:00"
				if want := cufeFor(soapNIT, invoice, fecha); r["correo_estado"] != "OK" || r["correo_cufe"] != want {
					t.Errorf("row %d: %s cufe %s, want OK %s (%s)", i+2, r["correo_estado"], r["correo_cufe"], want, r["correo_mensaje"])
				}
				if r["correo_dian_valido"] != "sí" || r["correo_dian_estado"] != "00 Procesado Correctamente." ||
					!strings.HasPrefix(r["correo_dian_mensaje"], "Regla: FAJ44b") || !strings.Contains(r["correo_dian_mensaje"], "; Regla: FAJ44b") {
					t.Errorf("row %d: DIAN columns %q %q %q", i+2, r["correo_dian_valido"], r["correo_dian_estado"], r["correo_dian_mensaje"])
				}
				pdf, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(r["correo_pdf"])))
				if err != nil || !bytes.Equal(pdf, server.pdfs[invoice]) {
					t.Errorf("row %d: PDF at %q: %v (%d bytes, want %d)", i+2, r["correo_pdf"], err, len(pdf), len(server.pdfs[invoice]))
				}
				if file := strings.Replace(invoice, "SETP", "SETP-", 1); r["correo_pdf"] != "envios-adjuntos/"+file+".pdf" || r["correo_xml"] != "envios-adjuntos/"+file+".xml" {
					t.Errorf("row %d: files %q %q", i+2, r["correo_pdf"], r["correo_xml"])
				}
			}
			if !strings.Contains(rows[2]["correo_mensaje"], "mismo NUMERO_FACTURA que la hoja «Emitidas», fila 2") {
				t.Errorf("repeated invoice: %q", rows[2]["correo_mensaje"])
			}
			if rows[3]["correo_estado"] != "INVALIDO" || rows[3]["correo_mensaje"] != "MailRecepcion: «sin-arroba.cliente.co» no es un correo electrónico" {
				t.Errorf("bad e-mail: %q %q", rows[3]["correo_estado"], rows[3]["correo_mensaje"])
			}
			if rows[4]["correo_estado"] != "INVALIDO" || rows[4]["correo_mensaje"] != "Adjuntos: no se encuentra el archivo «no-existe.pdf»" {
				t.Errorf("missing attachment: %q %q", rows[4]["correo_estado"], rows[4]["correo_mensaje"])
			}
			want := map[string]int{"SETP990000001": 1, "SETP990000002": 1}
			if fmt.Sprint(server.calls) != fmt.Sprint(want) {
				t.Errorf("calls per invoice %v, want %v", server.calls, want)
			}
			if got := server.files["SETP990000001"]; got != "orden-77.pdf:1234,acta.txt:4" {
				t.Errorf("attachments received %q", got)
			}
			f, err := excelize.OpenFile(out)
			if err != nil {
				t.Fatal(err)
			}
			link, _ := f.GetCellFormula("Resultados", cellOf(t, f, "correo_pdf", 2))
			f.Close()
			if link != `HYPERLINK("envios-adjuntos/SETP-990000001.pdf")` {
				t.Errorf("correo_pdf link %q", link)
			}

			// A second night with the same file and journal calls nobody.
			code, msg = runMain(t, vars, append(args, in)...)
			if code != exitSomeRows || fmt.Sprint(server.calls) != fmt.Sprint(want) {
				t.Errorf("second run: exit %d, calls %v:\n%s", code, server.calls, msg)
			}
			if strings.Contains(msg, soapClave) {
				t.Errorf("the Clave reached the output")
			}
			assertNoSecretOnDisk(t, dir, soapClave)
		})
	}
}

// A 5xx without a Fault is retried; a Fault is the row's ERROR with its
// text, not retried in the run, and sent again by the next one.
func TestCorreoRetriesAndFaults(t *testing.T) {
	server, url := newASMX(t, false)
	server.trouble = func(invoice string, attempt int) string {
		switch {
		case invoice == "FE1" && attempt <= 2:
			return "503"
		case invoice == "FE2" && attempt == 1:
			return "fault"
		}
		return ""
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "emitidas.csv")
	writeText(t, in, "Prefijo;NumeroFactura;FechaFactura;MailRecepcion\nFE;1;2026-11-20;a@b.co\nFE;2;2026-11-20;a@b.co\n")
	out := filepath.Join(dir, "envios.xlsx")
	args := []string{"run", "--soap-url", url, "--rate-correo", "600", "--espera-reintento", "10ms", "--journal", filepath.Join(dir, "j.db"), "-o", out, in}
	vars := env(map[string]string{"SSINTEGRAL_NIT": soapNIT, "SSINTEGRAL_CLAVE": soapClave})
	code, msg := runMain(t, vars, args...)
	rows := testutil.ReadSheet(t, out, "Resultados")
	if code != exitSomeRows || len(rows) != 2 {
		t.Fatalf("exit %d, %d rows:\n%s", code, len(rows), msg)
	}
	if r := rows[0]; r["correo_estado"] != "OK" || r["intentos"] != "3" || server.calls["FE1"] != 3 {
		t.Errorf("503 twice then OK: %s after %s attempts (%d calls) %q", r["correo_estado"], r["intentos"], server.calls["FE1"], r["correo_mensaje"])
	}
	want := "SS Integral respondió con un error SOAP: Server was unable to process request. ---> Object reference not set to an instance of an object."
	if r := rows[1]; r["correo_estado"] != "ERROR" || r["correo_codigo"] != "soap:Client" || r["correo_mensaje"] != want || server.calls["FE2"] != 1 {
		t.Errorf("fault: %s %s %q after %d calls", r["correo_estado"], r["correo_codigo"], r["correo_mensaje"], server.calls["FE2"])
	}
	code, msg = runMain(t, vars, args...)
	rows = testutil.ReadSheet(t, out, "Resultados")
	if code != exitOK || rows[1]["correo_estado"] != "OK" || server.calls["FE2"] != 2 || server.calls["FE1"] != 3 {
		t.Errorf("next run: exit %d, %s, calls %v:\n%s", code, rows[1]["correo_estado"], server.calls, msg)
	}
}
