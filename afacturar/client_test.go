package afacturar

import (
	"context"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"batch"
	"batch/internal/transport"
)

const testCUFE = "f46111923e8a010b647ed4192de51987ada7c2d18d136ab0184d66838c4ae9f5e9ca302f8e0d41fc0e5883357c2423a4"

func testClient(url string) *Client {
	return &Client{BaseURL: url, Token: "secreto-123", Obligado: "888888888", Ambiente: AmbientePruebas, HTTP: transport.NewHTTPClient(5*time.Second, 4)}
}

func testAcuse() Acuse {
	return Acuse{CUFE: testCUFE, Recibio: Persona{TipoIdentificacion: 13, Identificacion: "1111111", Nombres: "Prueba", Apellidos: "Acuse de recibo", Cargo: "Cargo de la empresa"}}
}

// The request is the seed's: multipart with documento_obligado and data,
// Accept and Bearer headers, one event, integrador EXCEL.
func TestAcuseRequestMatchesSeed(t *testing.T) {
	var got struct {
		header   http.Header
		obligado string
		data     map[string]any
		fields   []string
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.header = r.Header.Clone()
		if r.URL.Path != PathAcuse || r.Method != http.MethodPost {
			t.Errorf("request to %s %s", r.Method, r.URL.Path)
		}
		mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mt != "multipart/form-data" {
			t.Errorf("Content-Type = %s", mt)
		}
		mr := multipart.NewReader(r.Body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			b, _ := io.ReadAll(p)
			got.fields = append(got.fields, p.FormName())
			switch p.FormName() {
			case "documento_obligado":
				got.obligado = string(b)
			case "data":
				if err := json.Unmarshal(b, &got.data); err != nil {
					t.Errorf("data is not JSON: %v", err)
				}
			}
		}
		io.WriteString(w, `{"codigo_error":0,"descripcion_error":"OK","resultado":{"cude":"AB1212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212","numero_evento":"1","url_representacion_xml":"https://x/y.xml"}}`)
	}))
	defer srv.Close()
	c := testClient(srv.URL)
	ans := c.AcuseRecibo(context.Background(), testAcuse())
	if ans.Class != batch.ClassOK || ans.Values["cude"] != "ab1212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212" {
		t.Fatalf("answer = %+v", ans)
	}
	if got.header.Get("Accept") != "application/json" || got.header.Get("Authorization") != "Bearer secreto-123" {
		t.Errorf("headers = %v", got.header)
	}
	if strings.Join(got.fields, ",") != "documento_obligado,data" || got.obligado != "888888888" {
		t.Errorf("fields = %v, obligado = %q", got.fields, got.obligado)
	}
	want := `{"evento":[{"informacion_documento_referencia":{"cufe":"` + testCUFE + `"},"quien_recibio_documento":{"tipo_identificacion":13,"identificacion":"1111111","nombres":"Prueba","apellidos":"Acuse de recibo","cargo":"Cargo de la empresa"}}],"generalidades":{"tipo_ambiente_dian":2,"identificador_transmision":"` + c.Transmission("acuse", testCUFE) + `","integrador":{"nombre":"EXCEL","tipo":"EXCEL"}}}`
	b, _ := json.Marshal(got.data)
	var w map[string]any
	json.Unmarshal([]byte(want), &w)
	wb, _ := json.Marshal(w)
	if string(b) != string(wb) {
		t.Errorf("data =\n%s\nwant\n%s", b, wb)
	}
}

func TestTransmissionIsStablePerRow(t *testing.T) {
	c := testClient("")
	a, b := c.Transmission("acuse", testCUFE), c.Transmission("acuse", testCUFE)
	if a != b || len(a) < 5 {
		t.Errorf("identificador_transmision %q, %q: want equal and at least 5 characters", a, b)
	}
	if a == c.Transmission("acuse", strings.Replace(testCUFE, "f", "e", 1)) {
		t.Error("two CUFEs share an identificador_transmision")
	}
}

// Every answer of the seed and of DOMAIN.md's table, and the loose shapes
// the service is known for.
func TestAnswerClassification(t *testing.T) {
	cases := []struct {
		name       string
		status     int
		header     map[string]string
		body       string
		class      batch.Class
		code       string
		msg        string // a part of the message
		kind       batch.Kind
		wide       bool
		cude       string
		retryAfter time.Duration
	}{
		{name: "seed success", status: 200, body: `{"codigo_error":0,"descripcion_error":"OK","tiempo_ejecucion":43.79,"transaccion":"ODMw","resultado":{"cude":"0d2edd7be211e2bb6d93c8408fd03c17dbe1ad479aab3a2187f88c1480163bece48e19ce8941c813638aaec16a0152ee","numero_evento":"1","url_representacion_xml":"https://afacturar.archivamos.com/x.xml"},"entorno":"DOCUMENTO_NO_VALIDO","ErrorMessage_DIAN":""}`,
			class: batch.ClassOK, code: "0", cude: "0d2edd7be211e2bb6d93c8408fd03c17dbe1ad479aab3a2187f88c1480163bece48e19ce8941c813638aaec16a0152ee"},
		{name: "success with string code and numeric evento", status: 200, body: `{"codigo_error":"0","descripcion_error":"OK","resultado":{"cude":"AB1212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212","numero_evento":7}}`, class: batch.ClassOK, code: "0", cude: "ab1212121212121212121212121212121212121212121212121212121212121212121212121212121212121212121212"},
		{name: "a CUDE that is not one (900 KB)", status: 200, body: `{"codigo_error":"0","descripcion_error":"OK","resultado":{"cude":"` + strings.Repeat("a", 900<<10) + `","numero_evento":7}}`, class: batch.ClassUnexpected, code: "0", msg: "no es un CUDE (96 caracteres hexadecimales): 921600 caracteres"},
		{name: "success without cude", status: 200, body: `{"codigo_error":0,"descripcion_error":"OK","resultado":{}}`, class: batch.ClassUnexpected, msg: "sin CUDE"},
		{name: "seed LGC01", status: 200, body: `{"codigo_error":15,"descripcion_error":"La validación en la DIAN devuelve error(es)","resultado":{"cude":"bbc64fda","numero_evento":"PAR170"},"ErrorMessage_DIAN":"Regla: LGC01, Rechazo: Evento registrado previamenteRegla: AAG01a, Rechazo: "}`,
			class: batch.ClassAlreadyDone, code: "LGC01", msg: "Regla LGC01: Evento registrado previamente"},
		{name: "DIAN rejection", status: 200, body: `{"codigo_error":15,"descripcion_error":"La validación en la DIAN devuelve error(es)","ErrorMessage_DIAN":"Regla: AAH07, Rechazo: El documento no existe"}`,
			class: batch.ClassRejected, code: "15", msg: "Regla AAH07: El documento no existe"},
		{name: "code 28", status: 200, body: `{"codigo_error":28,"descripcion_error":"Timeout"}`, class: batch.ClassTransient, code: "28", msg: "60 s"},
		{name: "seed semantic 400", status: 400, body: `{"codigo_error":400,"descripcion_error":"Hay un problema con la informacion entregada","resultado":[{"propiedad":"evento[0].quien_recibio_documento.apellidos","descripcion":"The property apellidos is required"},{"propiedad":"evento[0].quien_recibio_documento","descripcion":"The property apellido is not defined"}]}`,
			class: batch.ClassRejected, code: "400", msg: "evento[0].quien_recibio_documento.apellidos: The property apellidos is required; evento[0].quien_recibio_documento: The property apellido is not defined"},
		{name: "seed data 400, nested lists", status: 400, body: `{"codigo_error":400,"descripcion_error":"Hay problema(s)","resultado":[[{"propiedad":"facturas->fecha_vencimiento","descripcion":"debe ir vacia"}]]}`,
			class: batch.ClassRejected, code: "400", msg: "facturas->fecha_vencimiento: debe ir vacia"},
		{name: "400 with empty propiedad", status: 400, body: `{"codigo_error":400,"descripcion_error":"x","resultado":[{"propiedad":"","descripcion":"The property generaliddes is not defined"}]}`, class: batch.ClassRejected, msg: "The property generaliddes is not defined"},
		{name: "422", status: 422, body: `{"codigo_error":422,"descripcion_error":["campo","invalido"]}`, class: batch.ClassRejected, code: "422", msg: "campo; invalido"},
		{name: "seed Unauthenticated in a 500 body", status: 401, body: `{"codigo_error":500,"descripcion_error":"Unauthenticated."}`, class: batch.ClassFatal, kind: batch.KindCredentials, msg: "autorización"},
		{name: "Unauthenticated with HTTP 200", status: 200, body: `{"codigo_error":500,"descripcion_error":"Unauthenticated."}`, class: batch.ClassFatal, kind: batch.KindCredentials, msg: "autorización"},
		{name: "401", status: 401, body: `{"codigo_error":401,"descripcion_error":"No autorizado"}`, class: batch.ClassFatal, kind: batch.KindCredentials, msg: "autorización"},
		// 403 and 409 may concern one request or every row: the row is
		// refused, and the run stops only when they repeat (wide).
		{name: "403", status: 403, body: `{"codigo_error":403,"descripcion_error":"Prohibido"}`, class: batch.ClassRejected, wide: true, msg: "Prohibido"},
		{name: "409 obligado not tied", status: 409, body: `{"codigo_error":409,"descripcion_error":"El OFE no esta asociado"}`, class: batch.ClassRejected, wide: true, msg: "El OFE no esta asociado"},
		{name: "409 unknown CUV in a 200", status: 200, body: `{"codigo_error":409,"descripcion_error":"El CUV no esta registrado en nuestro sistema"}`, class: batch.ClassRejected, wide: true, msg: "El CUV no esta registrado"},
		{name: "code 11", status: 200, body: `{"codigo_error":11,"descripcion_error":"Token no valido para el obligado"}`, class: batch.ClassFatal},
		{name: "401 HTML", status: 401, body: `<html>Unauthorized</html>`, class: batch.ClassFatal},
		{name: "404 wrong URL", status: 404, body: `<html>Not Found</html>`, class: batch.ClassFatal, kind: batch.KindAddress, msg: "dirección"},
		{name: "404 route not found, framework JSON", status: 404, body: `{"message":"The route api/radian/x could not be found."}`, class: batch.ClassFatal, kind: batch.KindAddress, msg: "dirección"},
		{name: "404 in Afacturar's envelope is about the row", status: 404, body: `{"codigo_error":404,"descripcion_error":"El CUV no existe"}`, class: batch.ClassRejected, wide: true, code: "404", msg: "El CUV no existe"},
		{name: "429 with Retry-After", status: 429, header: map[string]string{"Retry-After": "7"}, body: `{"codigo_error":429}`, class: batch.ClassRateLimited, retryAfter: 7 * time.Second},
		{name: "429 code in a 200", status: 200, body: `{"codigo_error":"429","descripcion_error":"Se excede"}`, class: batch.ClassRateLimited},
		{name: "500", status: 500, body: `{"codigo_error":500,"descripcion_error":"Error de servidor interno"}`, class: batch.ClassTransient, code: "500"},
		{name: "502 empty", status: 502, body: ``, class: batch.ClassTransient, msg: "no es JSON"},
		{name: "503 HTML", status: 503, body: `<html><h1>503 Service Unavailable</h1></html>`, class: batch.ClassTransient, msg: "503"},
		{name: "504 JSON", status: 504, body: `{"codigo_error":504}`, class: batch.ClassTransient},
		{name: "200 not JSON", status: 200, body: `OK`, class: batch.ClassTransient},
		{name: "unknown code", status: 200, body: `{"codigo_error":77,"descripcion_error":"algo raro"}`, class: batch.ClassUnexpected, wide: true, msg: "algo raro"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			ans := testClient(srv.URL).AcuseRecibo(context.Background(), testAcuse())
			if ans.Class != tc.class {
				t.Fatalf("class = %v, want %v (answer %+v)", ans.Class, tc.class, ans)
			}
			if tc.code != "" && ans.Code != tc.code {
				t.Errorf("code = %q, want %q", ans.Code, tc.code)
			}
			if !strings.Contains(ans.Message, tc.msg) {
				t.Errorf("message %q does not contain %q", ans.Message, tc.msg)
			}
			if (tc.kind != batch.KindOther && ans.Kind != tc.kind) || (tc.class == batch.ClassFatal && ans.Kind == batch.KindOther) {
				t.Errorf("kind = %v, want %v", ans.Kind, tc.kind)
			}
			if ans.Wide != tc.wide {
				t.Errorf("wide = %v, want %v", ans.Wide, tc.wide)
			}
			if tc.cude != "" && ans.Values["cude"] != tc.cude {
				t.Errorf("cude = %v, want %s", ans.Values["cude"], tc.cude)
			}
			if tc.class != batch.ClassOK && ans.Values["cude"] != nil {
				t.Errorf("a %v answer carries a CUDE: %v", tc.class, ans.Values)
			}
			if ans.RetryAfter != tc.retryAfter {
				t.Errorf("RetryAfter = %v, want %v", ans.RetryAfter, tc.retryAfter)
			}
			if strings.Contains(ans.Message, "secreto-123") {
				t.Error("the token leaked into the message")
			}
		})
	}
}

func TestNetworkFailuresAreTransient(t *testing.T) {
	t.Run("dropped connection", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		}))
		defer srv.Close()
		ans := testClient(srv.URL).AcuseRecibo(context.Background(), testAcuse())
		if ans.Class != batch.ClassTransient {
			t.Errorf("class = %v, want transient", ans.Class)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		defer srv.Close()
		defer close(release)
		c := testClient(srv.URL)
		c.HTTP.Timeout = 100 * time.Millisecond
		ans := c.AcuseRecibo(context.Background(), testAcuse())
		if ans.Class != batch.ClassTransient || !strings.Contains(ans.Message, "a tiempo") {
			t.Errorf("answer = %+v, want a transient timeout", ans)
		}
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t.Error("a request went through an unverified TLS connection")
		}))
		defer srv.Close()
		ans := testClient(srv.URL).AcuseRecibo(context.Background(), testAcuse())
		if ans.Class != batch.ClassFatal || ans.Code != "TLS" {
			t.Errorf("answer = %+v, want a fatal TLS refusal", ans)
		}
	})
}

func TestParseDIAN(t *testing.T) {
	got := ParseDIAN("Regla: LGC01, Rechazo: Evento registrado previamenteRegla: AAG01a, Rechazo: ")
	if len(got) != 2 || got[0] != (DIANRule{"LGC01", "Evento registrado previamente"}) || got[1] != (DIANRule{"AAG01a", ""}) {
		t.Errorf("ParseDIAN = %+v", got)
	}
}

// A history whose event carries something that is not a CUDE is not read
// as a list of events: nothing of it is kept.
func TestHistoryWithoutAHash(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"codigo_error":0,"descripcion_error":"OK","resultado":[{"numero":"1","codigo":"030","cude":"<html>`+strings.Repeat("x", 500)+`"}]}`)
	}))
	defer srv.Close()
	events, ans := testClient(srv.URL).Historico(context.Background(), testCUFE)
	if events != nil || ans.Class != batch.ClassUnexpected || !strings.Contains(ans.Message, "no es un CUDE en el evento 030: 506 caracteres") {
		t.Errorf("events %v, answer %+v", events, ans)
	}
}
