package sandbox

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"batch"
	"batch/ssintegral"
)

func soapClient(t *testing.T, cfg Config, soap12 bool) (*Server, *ssintegral.Client) {
	t.Helper()
	sb := New(cfg)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	return sb, &ssintegral.Client{URL: srv.URL + SOAPPath, SOAP12: soap12, HTTP: &http.Client{Timeout: 5 * time.Second},
		Facturador: ssintegral.Facturador{NIT: DefaultNIT, Clave: DefaultClave, TipoAmbiente: 2}, Spool: t.TempDir()}
}

func factura(numero, fecha string) ssintegral.Factura {
	return ssintegral.Factura{Prefijo: "SETT", NumeroFactura: numero, FechaFactura: fecha + "T00:00:00",
		MailRecepcion: "compras@cliente.co", Adjuntos: []ssintegral.Adjunto{{Nombre: "oc.pdf", Contenido: []byte("%PDF-1.4 oc")}}}
}

func TestSOAPBothVersionsThenRule90(t *testing.T) {
	for _, soap12 := range []bool{false, true} {
		sb, c := soapClient(t, Config{}, soap12)
		c.Facturador.TipoAmbiente = 1 // production: DIAN's verdict comes at once
		first := c.EnvioCorreo(context.Background(), factura("1", "2026-11-20"))
		if first.Class != batch.ClassOK || first.Values["cufe"] != CUFEOf(DefaultNIT, "SETT", "1", "2026-11-20") {
			t.Fatalf("soap12=%v: first = %v %q %v", soap12, first.Class, first.Message, first.Values["cufe"])
		}
		var pdf []byte
		if f, ok := first.Values["pdf"].(ssintegral.Spooled); ok {
			pdf, _ = os.ReadFile(f.Path)
		}
		if !strings.HasPrefix(string(pdf), "%PDF-1.4") || !strings.Contains(string(pdf), "Factura electronica SETT1") || !strings.HasSuffix(string(pdf), "%%EOF\n") {
			t.Errorf("PDF: %.80q", pdf)
		}
		got := sb.Correos("SETT1")
		if len(got) != 1 || got[0].SOAP12 != soap12 || string(got[0].Adjuntos["oc.pdf"]) != "%PDF-1.4 oc" {
			t.Errorf("received %+v", got)
		}
		again := c.EnvioCorreo(context.Background(), factura("1", "2026-11-20"))
		if again.Class != batch.ClassAlreadyDone {
			t.Errorf("second dispatch: %v %q", again.Class, again.Message)
		}
		future := c.EnvioCorreo(context.Background(), factura("2", time.Now().AddDate(0, 1, 0).Format("2006-01-02")))
		if future.Class != batch.ClassRejected || !strings.Contains(future.Message, "FAD09e") {
			t.Errorf("future date: %v %q", future.Class, future.Message)
		}
	}
}

func TestSOAPFaults(t *testing.T) {
	post := func(t *testing.T, url, contentType, action, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		if action != "" {
			req.Header.Set("SOAPAction", action)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return resp.StatusCode, b.String()
	}
	sb, c := soapClient(t, Config{}, false)
	env, _ := c.Envelope(factura("9", "2026-11-20"))
	cases := []struct {
		name, contentType, action, body, want string
	}{
		{"wrong SOAPAction", "text/xml; charset=utf-8", `"https://factura.ssintegral.com/Otra"`, string(env),
			"<faultcode>soap:Client</faultcode><faultstring>Server did not recognize the value of HTTP Header SOAPAction: &#34;https://factura.ssintegral.com/Otra&#34;.</faultstring>"},
		{"bad envelope", "text/xml; charset=utf-8", `"https://factura.ssintegral.com/EnvioCorreo"`, "<soap:Envelope><soap:Body>",
			"<faultcode>soap:Client</faultcode><faultstring>Server was unable to read request."},
		{"1.1 envelope sent as 1.2", "application/soap+xml; charset=utf-8", "", string(env),
			"<soap:Value>soap:VersionMismatch</soap:Value>"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := post(t, c.URL, tc.contentType, tc.action, tc.body)
			if status != http.StatusInternalServerError || !strings.Contains(body, tc.want) {
				t.Errorf("HTTP %d\n%s\nwant %s", status, body, tc.want)
			}
		})
	}
	t.Run("wrong Clave", func(t *testing.T) {
		c.Facturador.Clave = "otra-clave"
		a := c.EnvioCorreo(context.Background(), factura("9", "2026-11-20"))
		if a.Class != batch.ClassFatal || a.Kind != batch.KindCredentials || a.Message != "SS Integral respondió con un error SOAP: Server was unable to process request. ---> NIT o clave incorrectos" {
			t.Errorf("%v %q", a.Class, a.Message)
		}
	})
	if n := len(sb.Correos("SETT9")); n != 0 {
		t.Errorf("%d dispatches recorded for refused requests", n)
	}
}

// In pruebas the answer carries RespuestaHabilitacion with the test set's
// ZipKey and no RespuestaProduccion: the invoice is accepted, its verdict
// comes later; a resend is answered the same.
func TestSOAPPruebasAnswersWithHabilitacion(t *testing.T) {
	_, c := soapClient(t, Config{}, false)
	for i := 0; i < 2; i++ {
		a := c.EnvioCorreo(context.Background(), factura("5", "2026-11-20"))
		estado, _ := a.Values["dian_estado"].(string)
		if a.Class != batch.ClassOK || !strings.HasPrefix(estado, "ZipKey ") || a.Values["dian_valido"] != nil {
			t.Errorf("attempt %d: %v %q %v", i+1, a.Class, a.Message, a.Values)
		}
		if !strings.Contains(a.Response, "<ZipKey>") || !strings.Contains(a.Response, `<RespuestaProduccion xsi:nil="true" />`) {
			t.Errorf("answer: %.400s", a.Response)
		}
	}
	future := c.EnvioCorreo(context.Background(), factura("6", time.Now().AddDate(0, 1, 0).Format("2006-01-02")))
	if future.Class != batch.ClassRejected || !strings.Contains(future.Message, "posterior") {
		t.Errorf("future date in pruebas: %v %q", future.Class, future.Message)
	}
}
