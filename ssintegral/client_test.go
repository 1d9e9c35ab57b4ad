package ssintegral

import (
	"bytes"
	"context"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"batch"
)

var update = flag.Bool("update", false, "rewrite the golden envelopes under testdata/")

const clave = "s3cr3t-Clave"

func testClient(url string, soap12 bool) *Client {
	return &Client{URL: url, SOAP12: soap12, HTTP: &http.Client{Timeout: 5 * time.Second}, Facturador: Facturador{
		NIT: "900123456", Clave: clave, CodigoEmpresa: 17, TipoAmbiente: 2, Server: "SRV01",
		MailAreaFacturacion: "facturacion@empresa.com.co", RazonSocial: "Empresa & Cía S.A.S.",
		DigitoVerificacion: "8", TipoIdentificacion: "31",
	}}
}

// classifyBody is how an answer of status with body is read.
func classifyBody(t testing.TB, status int, body []byte) batch.Answer {
	return classify(status, 0, newSpooler(bytes.NewReader(body), t.TempDir()))
}

// spooled is the content of an answer's file.
func spooled(t testing.TB, v any) []byte {
	t.Helper()
	f, ok := v.(Spooled)
	if !ok {
		t.Fatalf("%T is not a received file", v)
	}
	b, err := os.ReadFile(f.Path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testFactura(t *testing.T) Factura {
	t.Helper()
	pdf, err := os.ReadFile(filepath.Join("testdata", "factura.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	return Factura{
		Resolucion: "18760000001", NumeroFactura: "990000002", Prefijo: "SETP",
		MailRecepcion: "compras@cliente.com.co", TelefonoRecepcion: "6015550000",
		NombreEmpresaRecepcion: "Cliente <Ñandú> Ltda.", NitEmpresaRecepcion: "800999111",
		Adjuntos:      []Adjunto{{Nombre: "factura.pdf", Contenido: pdf}, {Nombre: "orden.txt", Contenido: []byte("OC-77")}},
		TipoDocumento: "01", DigitoVerificacionCliente: "3", FechaFactura: "2026-11-20T00:00:00",
		RutaArchivo: `C:\Facturas\SETP990000002.xml`, TipoIdentificacionCliente: "31", NombreDocumento: "SETP990000002",
	}
}

// skeleton keeps an XML document's markup and drops its text: what must
// match the service's page byte for byte (names, prefixes, namespace
// declarations, order) and not the placeholders' values.
func skeleton(b []byte) string {
	s := regexp.MustCompile(`>[^<]*<`).ReplaceAllString(strings.TrimSpace(string(b)), "><")
	return regexp.MustCompile(`<([A-Za-z0-9:]+)([^>]*)/>`).ReplaceAllString(s, "<$1$2></$1>")
}

func TestEnvelopeMatchesTheServicePage(t *testing.T) {
	for _, v := range []struct {
		name   string
		soap12 bool
		seed   string
	}{{"soap11", false, "seed-soap11-request.xml"}, {"soap12", true, "seed-soap12-request.xml"}} {
		t.Run(v.name, func(t *testing.T) {
			seed, err := os.ReadFile(filepath.Join("testdata", v.seed))
			if err != nil {
				t.Fatal(err)
			}
			env, err := testClient("http://127.0.0.1", v.soap12).Envelope(testFactura(t))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(env, []byte(`<?xml version="1.0" encoding="utf-8"?>`)) {
				t.Errorf("the envelope does not start with the page's declaration: %.60s", env)
			}
			if got, want := skeleton(env), skeleton(seed); got != want {
				t.Errorf("envelope markup differs from the service page\n got: %s\nwant: %s", got, want)
			}
		})
	}
}

// An invoice without attachments still carries Adjuntos, empty, where the
// service page puts it.
func TestEnvelopeWithoutAttachmentsKeepsAdjuntos(t *testing.T) {
	f := testFactura(t)
	f.Adjuntos = nil
	env, err := testClient("http://127.0.0.1", false).Envelope(f)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(env, []byte("</NitEmpresaRecepcion><Adjuntos></Adjuntos><TipoDocumento>")) {
		t.Errorf("no empty Adjuntos in its place: %s", env)
	}
}

func TestEnvelopeGolden(t *testing.T) {
	for _, v := range []struct {
		name   string
		soap12 bool
	}{{"soap11", false}, {"soap12", true}} {
		t.Run(v.name, func(t *testing.T) {
			env, err := testClient("http://127.0.0.1", v.soap12).Envelope(testFactura(t))
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "envelope-"+v.name+".golden.xml")
			if *update {
				if err := os.WriteFile(golden, env, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to write it)", err)
			}
			if !bytes.Equal(env, want) {
				t.Errorf("envelope differs from %s:\n got: %s\nwant: %s", golden, env, want)
			}
		})
	}
}

func TestRequestForTheJournalHidesClaveAndFiles(t *testing.T) {
	c := testClient("http://127.0.0.1/ServicioSSIntegral.asmx", false)
	f := testFactura(t)
	req := c.Request(f)
	full, _ := c.Envelope(f)
	if strings.Contains(req, clave) || !strings.Contains(string(full), clave) {
		t.Fatalf("the Clave must be in the envelope and out of the journal's copy:\n%s", req)
	}
	for _, want := range []string{"<Clave>********</Clave>", "<NombreArchivo>factura.pdf</NombreArchivo><Archivo></Archivo>", "<NumeroFactura>990000002</NumeroFactura>"} {
		if !strings.Contains(req, want) {
			t.Errorf("journal copy lacks %s:\n%s", want, req)
		}
	}
}

// exchange is what a test server saw of one request.
type exchange struct {
	contentType, action string
	body                []byte
}

func serve(t *testing.T, status int, answer string) (*httptest.Server, *[]exchange) {
	t.Helper()
	var seen []exchange
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seen = append(seen, exchange{r.Header.Get("Content-Type"), r.Header.Get("SOAPAction"), b})
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestEnvioCorreoSendsEachVersionAndDecodesTheAnswer(t *testing.T) {
	pdf, _ := os.ReadFile(filepath.Join("testdata", "factura.pdf"))
	for _, v := range []struct {
		name                string
		soap12              bool
		contentType, action string
	}{
		{"soap11", false, "text/xml; charset=utf-8", `"https://factura.ssintegral.com/EnvioCorreo"`},
		{"soap12", true, `application/soap+xml; charset=utf-8; action="https://factura.ssintegral.com/EnvioCorreo"`, ""},
	} {
		t.Run(v.name, func(t *testing.T) {
			srv, seen := serve(t, http.StatusOK, fixture(t, "response-ok-"+v.name+".xml"))
			c := testClient(srv.URL+"/ServicioSSIntegral.asmx", v.soap12)
			c.Spool = t.TempDir()
			f := testFactura(t)
			a := c.EnvioCorreo(context.Background(), f)
			if len(*seen) != 1 {
				t.Fatalf("%d requests, want 1", len(*seen))
			}
			ex := (*seen)[0]
			if ex.contentType != v.contentType || ex.action != v.action {
				t.Errorf("headers Content-Type %q SOAPAction %q, want %q %q", ex.contentType, ex.action, v.contentType, v.action)
			}
			env, _ := c.Envelope(f)
			if !bytes.Equal(ex.body, env) {
				t.Errorf("the body sent is not the envelope")
			}
			if a.Class != batch.ClassOK {
				t.Fatalf("class %v, message %q", a.Class, a.Message)
			}
			want := map[string]string{
				ValueCUFE:        "a3f1" + strings.Repeat("0", 88) + "beef",
				ValueQR:          "https://catalogo-vpfe.dian.gov.co/document/searchqr?documentkey=a3f1" + strings.Repeat("0", 88) + "beef",
				ValueDescripcion: "Correo enviado a compras@cliente.com.co",
				ValueDIANValido:  "sí",
				ValueDIANEstado:  "00 Procesado Correctamente.",
				ValueDIANMensaje: "",
				ValueCUDE:        "",
			}
			for k, w := range want {
				if got := a.Values[k]; got != w {
					t.Errorf("%s = %q, want %q", k, got, w)
				}
			}
			if got := spooled(t, a.Values[ValuePDF]); !bytes.Equal(got, pdf) {
				t.Errorf("decoded PDF (%d bytes) is not the one sent (%d bytes)", len(got), len(pdf))
			}
			if got := spooled(t, a.Values[ValueXML]); !bytes.HasPrefix(got, []byte("<?xml")) {
				t.Errorf("decoded XML %q", got)
			}
			if strings.Contains(a.Response, "JVBER") || !strings.Contains(a.Response, "bytes en base64]") {
				t.Errorf("the journal's copy of the answer keeps the files: %.300s", a.Response)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	cases := []struct {
		name    string
		status  int
		body    string
		class   batch.Class
		code    string
		message string
	}{
		{"fault 1.1 with HTTP 500 is an error, not retried", 500, fixture(t, "response-fault-soap11.xml"), batch.ClassUnexpected, "soap:Client",
			"SS Integral respondió con un error SOAP: Server was unable to read request. ---> There is an error in XML document (1, 310). ---> The string '' is not a valid AllXsd value."},
		{"fault 1.2 about the Clave stops the dispatch", 500, fixture(t, "response-fault-soap12.xml"), batch.ClassFatal, "soap12:Sender",
			"SS Integral respondió con un error SOAP: Usuario o clave incorrectos para el NIT 900123456 (clave recibida: ********)"},
		{"DIAN rejection", 200, fixture(t, "response-rechazo.xml"), batch.ClassRejected, "99",
			"la DIAN rechazó la factura: Regla: FAD09e, Rechazo: Fecha de emisión posterior a la fecha de envío; Regla: FAJ43b, Notificación: Nombre informado no corresponde al registrado en el RUT"},
		{"rule 90: sent before", 200, fixture(t, "response-regla90.xml"), batch.ClassAlreadyDone, "99",
			"la DIAN ya había recibido esta factura (Regla 90: documento procesado anteriormente)"},
		{"proxy 503 page", 503, "<html><body>Service Unavailable</body></html>", batch.ClassTransient, "HTTP 503",
			"SS Integral no pudo atender la solicitud (HTTP 503)"},
		{"429", 429, "", batch.ClassRateLimited, "429", "SS Integral pidió esperar (más solicitudes de las que admite)"},
		{"wrong address", 404, "<html>Not Found</html>", batch.ClassFatal, "HTTP 404",
			"la dirección no es el servicio EnvioCorreo de SS Integral (HTTP 404)"},
		{"200 that is not SOAP", 200, "<html><body>Mantenimiento</body></html>", batch.ClassUnexpected, "HTTP 200",
			"SS Integral dio una respuesta que no se puede interpretar (HTTP 200): la respuesta no trae EnvioCorreoResult; comienza: <html><body>Mantenimiento</body></html>"},
		{"the page's placeholders: a CUFE that is not one", 200, fixture(t, "seed-soap11-response.xml"), batch.ClassUnexpected, "",
			"SS Integral respondió con algo que no es un CUFE (96 caracteres hexadecimales): 6 caracteres, «string»"},
		{"the page's placeholders with a CUFE: IsValid is not a boolean", 200, strings.NewReplacer("<CUFE>string</CUFE>", "<CUFE>"+strings.Repeat("ab", 48)+"</CUFE>", "<CUDE>string</CUDE>", "<CUDE/>").Replace(fixture(t, "seed-soap11-response.xml")),
			batch.ClassUnexpected, "string", "la respuesta de la DIAN no dice si la factura es válida (IsValid «boolean»)"},
		{"answer without anything", 200, `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><EnvioCorreoResponse xmlns="https://factura.ssintegral.com/"><EnvioCorreoResult /></EnvioCorreoResponse></soap:Body></soap:Envelope>`,
			batch.ClassUnexpected, "", "SS Integral respondió sin CUFE, sin descripción y sin respuesta de la DIAN"},
		{"SS Integral refuses with a description", 200, `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><EnvioCorreoResponse xmlns="https://factura.ssintegral.com/"><EnvioCorreoResult><Descripcion>La factura SETP1 no existe</Descripcion></EnvioCorreoResult></EnvioCorreoResponse></soap:Body></soap:Envelope>`,
			batch.ClassRejected, "", "SS Integral no envió la factura: La factura SETP1 no existe"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := serve(t, tc.status, tc.body)
			c := testClient(srv.URL, false)
			c.Spool = t.TempDir()
			a := c.EnvioCorreo(context.Background(), Factura{NumeroFactura: "1"})
			if a.Class != tc.class || a.Code != tc.code || a.Message != tc.message {
				t.Errorf("got class %v code %q message %q\nwant class %v code %q message %q", a.Class, a.Code, a.Message, tc.class, tc.code, tc.message)
			}
			// Whether the invoice may have been e-mailed: the service read
			// the request and answered with nothing that says.
			unsure := map[string]bool{"200 that is not SOAP": true, "the page's placeholders: a CUFE that is not one": true,
				"the page's placeholders with a CUFE: IsValid is not a boolean": true, "answer without anything": true}
			if a.Unsure != unsure[tc.name] {
				t.Errorf("unsure %v, want %v", a.Unsure, unsure[tc.name])
			}
			if strings.Contains(a.Message+a.Response, clave) {
				t.Errorf("the Clave reached the answer")
			}
			if a.Class == batch.ClassFatal && a.Kind == batch.KindOther {
				t.Errorf("a fatal answer without a kind")
			}
		})
	}
	t.Run("seed answer's structure", func(t *testing.T) {
		cufe := strings.Repeat("ab", 48)
		body := strings.NewReplacer("<CUFE>string</CUFE>", "<CUFE>"+strings.ToUpper(cufe)+"</CUFE>", "<CUDE>string</CUDE>", "<CUDE/>").Replace(fixture(t, "seed-soap12-response.xml"))
		a := classifyBody(t, 200, []byte(body))
		if a.Values[ValueCUFE] != cufe || a.Values[ValueDIANMensaje] != "string; string" || a.Values[ValueDIANEstado] != "string string" {
			t.Errorf("values %v", a.Values)
		}
	})
}
