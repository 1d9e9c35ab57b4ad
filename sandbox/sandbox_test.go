package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"batch"
	"batch/afacturar"
	"batch/internal/testutil"
	"batch/internal/transport"
)

func start(t *testing.T, cfg Config) (*Server, *afacturar.Client) {
	t.Helper()
	sb := New(cfg)
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	return sb, &afacturar.Client{BaseURL: srv.URL, Token: DefaultToken, Obligado: DefaultObligado,
		Ambiente: afacturar.AmbientePruebas, HTTP: transport.NewHTTPClient(5*time.Second, 4)}
}

func acuse(cufe string) afacturar.Acuse {
	return afacturar.Acuse{CUFE: cufe, Recibio: afacturar.Persona{TipoIdentificacion: 13, Identificacion: "52123456", Nombres: "Ana", Apellidos: "Gómez"}}
}

func TestRegistersOnceThenLGC01(t *testing.T) {
	sb, c := start(t, Config{})
	cufe := testutil.CUFE(1)
	first := c.AcuseRecibo(context.Background(), acuse(cufe))
	second := c.AcuseRecibo(context.Background(), acuse(cufe))
	if first.Class != batch.ClassOK {
		t.Fatalf("first = %+v", first)
	}
	if second.Class != batch.ClassAlreadyDone {
		t.Fatalf("second = %+v, want LGC01", second)
	}
	registered, _ := sb.Registered(cufe)
	if first.Values["cude"] != registered {
		t.Errorf("CUDE %v, registered %s", first.Values["cude"], registered)
	}
	if sb.Registrations() != 1 || sb.Attempts(cufe) != 2 {
		t.Errorf("registrations %d, attempts %d; want 1, 2", sb.Registrations(), sb.Attempts(cufe))
	}
	seen := sb.Seen(cufe)
	if seen[0].Transmission != seen[1].Transmission {
		t.Errorf("identificador_transmision changed between sends: %q, %q", seen[0].Transmission, seen[1].Transmission)
	}
}

func TestUnknownCUFEIsRejectedByDIAN(t *testing.T) {
	sb, c := start(t, Config{})
	cufe := UnknownPrefix + testutil.CUFE(2)[4:]
	ans := c.AcuseRecibo(context.Background(), acuse(cufe))
	if ans.Class != batch.ClassRejected || !strings.Contains(ans.Message, "DOC01") {
		t.Errorf("answer = %+v", ans)
	}
	if sb.Registrations() != 0 {
		t.Error("an unknown CUFE was registered")
	}
}

func TestAuthorization(t *testing.T) {
	_, c := start(t, Config{})
	bad := *c
	bad.Token = "otro"
	if ans := bad.AcuseRecibo(context.Background(), acuse(testutil.CUFE(1))); ans.Class != batch.ClassFatal {
		t.Errorf("wrong token: %+v", ans)
	}
	other := *c
	other.Obligado = "800000000"
	// A 409 may be about this request as often as about the token: the
	// row is refused, and only its repetition stops the run.
	if ans := other.AcuseRecibo(context.Background(), acuse(testutil.CUFE(1))); ans.Class != batch.ClassRejected || !ans.Wide || ans.Code != "409" {
		t.Errorf("obligado not tied to the token: %+v", ans)
	}
}

func post(t *testing.T, url, path string, fields map[string]string) map[string]any {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, url+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+DefaultToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return out
}

// The schema's errors come back in the seed's 400 shape.
func TestSchemaErrors(t *testing.T) {
	// The seed's forms: numbers, a text description, a flat list.
	sb := New(Config{Shapes: func(string) Shapes { return Shapes{} }})
	srv := httptest.NewServer(sb)
	defer srv.Close()
	cufe := testutil.CUFE(3)
	cases := []struct {
		name, data, want string
	}{
		{"missing apellidos, extra apellido", `{"evento":[{"informacion_documento_referencia":{"cufe":"` + cufe + `"},"quien_recibio_documento":{"tipo_identificacion":13,"identificacion":"1","nombres":"Ana","apellido":"X"}}],"generalidades":{"tipo_ambiente_dian":2,"identificador_transmision":"12345","integrador":{"nombre":"EXCEL","tipo":"EXCEL"}}}`,
			"evento[0].quien_recibio_documento.apellidos: The property apellidos is required"},
		{"short nombres", `{"evento":[{"informacion_documento_referencia":{"cufe":"` + cufe + `"},"quien_recibio_documento":{"tipo_identificacion":13,"identificacion":"1","nombres":"Al","apellidos":"Gómez"}}],"generalidades":{"tipo_ambiente_dian":2,"identificador_transmision":"12345","integrador":{"nombre":"EXCEL","tipo":"EXCEL"}}}`,
			"nombres: Must be at least 3 characters long"},
		{"bad tipo and ambiente", `{"evento":[{"informacion_documento_referencia":{"cufe":"` + cufe + `"},"quien_recibio_documento":{"tipo_identificacion":99,"identificacion":"1","nombres":"Ana","apellidos":"Gómez"}}],"generalidades":{"tipo_ambiente_dian":3,"identificador_transmision":"12345","integrador":{"nombre":"EXCEL","tipo":"EXCEL"}}}`,
			"tipo_identificacion: Does not have a value in the enumeration"},
		{"cufe with hyphens", `{"evento":[{"informacion_documento_referencia":{"cufe":"ab-cd"},"quien_recibio_documento":{"tipo_identificacion":13,"identificacion":"1","nombres":"Ana","apellidos":"Gómez"}}],"generalidades":{"tipo_ambiente_dian":2,"identificador_transmision":"12345","integrador":{"nombre":"EXCEL","tipo":"EXCEL"}}}`,
			"No se permiten caracteres adicionales"},
		{"two events", `{"evento":[{},{}],"generalidades":{"tipo_ambiente_dian":2,"identificador_transmision":"12345","integrador":{"nombre":"EXCEL","tipo":"EXCEL"}}}`,
			"exactly 1 item"},
		{"short transmission", `{"evento":[{"informacion_documento_referencia":{"cufe":"` + cufe + `"},"quien_recibio_documento":{"tipo_identificacion":13,"identificacion":"1","nombres":"Ana","apellidos":"Gómez"}}],"generalidades":{"tipo_ambiente_dian":2,"identificador_transmision":"1","integrador":{"nombre":"EXCEL","tipo":"EXCEL"}}}`,
			"identificador_transmision: Must be at least 5 characters long"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := post(t, srv.URL, "/api/radian/acuse_recibo_fev", map[string]string{"documento_obligado": DefaultObligado, "data": tc.data})
			if out["codigo_error"] != float64(400) {
				t.Fatalf("answer = %v", out)
			}
			b, _ := json.Marshal(out["resultado"])
			var props []problem
			json.Unmarshal(b, &props)
			var lines []string
			for _, p := range props {
				lines = append(lines, p.Propiedad+": "+p.Descripcion)
			}
			if !strings.Contains(strings.Join(lines, "\n"), tc.want) {
				t.Errorf("resultado = %v, want %q", lines, tc.want)
			}
		})
	}
	if sb.Registrations() != 0 {
		t.Error("an invalid request registered an event")
	}
}

// The limit is a sliding window per token: the 121st request within the
// window gets 429 with Retry-After.
func TestRateLimit(t *testing.T) {
	sb, c := start(t, Config{RatePerMinute: 5, Window: time.Hour})
	var limited batch.Answer
	for i := 0; i < 6; i++ {
		ans := c.AcuseRecibo(context.Background(), acuse(testutil.CUFE(100+i)))
		if i < 5 && ans.Class != batch.ClassOK {
			t.Fatalf("request %d: %+v", i, ans)
		}
		limited = ans
	}
	if limited.Class != batch.ClassRateLimited || limited.RetryAfter < 59*time.Minute {
		t.Errorf("sixth = %+v, want 429 with Retry-After about an hour", limited)
	}
	if sb.RateLimited() != 1 || sb.Registrations() != 5 {
		t.Errorf("429s %d, registrations %d", sb.RateLimited(), sb.Registrations())
	}
}

func TestFaults(t *testing.T) {
	cases := []struct {
		fault      Fault
		class      batch.Class
		registered bool
	}{
		{Fault500, batch.ClassTransient, false},
		{Fault503HTML, batch.ClassTransient, false},
		{Fault28, batch.ClassTransient, false},
		{Fault28Registered, batch.ClassTransient, true},
		{FaultDrop, batch.ClassTransient, false},
		{FaultDropRegistered, batch.ClassTransient, true},
		{Fault429, batch.ClassRateLimited, false},
	}
	for _, tc := range cases {
		sb, c := start(t, Config{Fault: func(string, int) Fault { return tc.fault }})
		cufe := testutil.CUFE(int(tc.fault))
		ans := c.AcuseRecibo(context.Background(), acuse(cufe))
		_, reg := sb.Registered(cufe)
		if ans.Class != tc.class || reg != tc.registered {
			t.Errorf("fault %d: class %v registered %v; want %v %v", tc.fault, ans.Class, reg, tc.class, tc.registered)
		}
	}
}

func postCUV(t *testing.T, url, data string) map[string]any {
	t.Helper()
	return post(t, url, "/api/rips/consultar_cuv", map[string]string{"documento_obligado": DefaultObligado, "data": data})
}

// consultar_cuv answers with the seed's shapes: "0" as a string on
// success, and the two 400s.
func TestConsultarCUVShapes(t *testing.T) {
	cuv := testutil.CUFE(1)
	srv := httptest.NewServer(New(Config{
		CUVs:   map[string]CUV{cuv: {NumDocumentoIdObligado: "88888888", NumeroDocumento: "SETT28", FechaEmision: "2025-01-28"}},
		Shapes: func(key string) Shapes { return Shapes{CodeAsText: key == cuv} },
	}))
	defer srv.Close()
	gen := `"generalidades":{"tipo_ambiente_dian":2,"identificador_transmision":"12345","integrador":{"nombre":"EXCEL","tipo":"EXCEL"}}`
	ok := postCUV(t, srv.URL, `{"informacion_documento":{"cuv":"`+cuv+`","numero_documento":"SETT28"},`+gen+`}`)
	res, _ := ok["resultado"].(map[string]any)
	if ok["codigo_error"] != "0" || res["numeroDocumento"] != "SETT28" || res["numDocumentoReferenciado"] != nil {
		t.Errorf("success = %v", ok)
	}
	short := postCUV(t, srv.URL, `{"informacion_documento":{"cuv":"abc"},`+gen+`}`)
	if b, _ := json.Marshal(short["resultado"]); short["codigo_error"] != float64(400) || !strings.Contains(string(b), "Must be at least 90 characters long") {
		t.Errorf("short CUV = %v", short)
	}
	typo := postCUV(t, srv.URL, `{"informacion_documento":{"cuv":"`+cuv+`"},"generaliddes":{}}`)
	if b, _ := json.Marshal(typo["resultado"]); !strings.Contains(string(b), "The property generalidades is required") || !strings.Contains(string(b), "generaliddes is not defined") {
		t.Errorf("misspelt generalidades = %v", typo)
	}
	unknown := postCUV(t, srv.URL, `{"informacion_documento":{"cuv":"`+UnknownPrefix+cuv[4:]+`"},`+gen+`}`)
	if b, _ := json.Marshal(unknown["resultado"]); unknown["codigo_error"] != float64(400) || !strings.Contains(string(b), "informacion_documento.cuv") {
		t.Errorf("unknown CUV = %v", unknown)
	}
}

// Every answer form the documents show, through the client: whatever the
// sandbox draws, the client classifies it the same.
func TestEveryShapeOfEveryAnswer(t *testing.T) {
	faults := map[Fault]batch.Class{FaultNone: batch.ClassOK, Fault500: batch.ClassTransient, Fault503HTML: batch.ClassTransient,
		Fault503JSON: batch.ClassTransient, Fault28: batch.ClassTransient, Fault20: batch.ClassTransient, Fault429: batch.ClassRateLimited,
		Fault15: batch.ClassRejected, Fault403: batch.ClassRejected, Fault409: batch.ClassRejected, Fault422: batch.ClassRejected}
	for i := 0; i < 16; i++ {
		sh := Shapes{CodeAsText: i&1 == 1, DescAsList: i&2 == 2, NestedErrors: i&4 == 4, NoRetryAfter: i&8 == 8}
		for fault, class := range faults {
			t.Run(fmt.Sprintf("%+v/%d", sh, fault), func(t *testing.T) {
				_, c := start(t, Config{RatePerMinute: -1, Shapes: func(string) Shapes { return sh }, Fault: func(string, int) Fault { return fault }})
				ans := c.AcuseRecibo(context.Background(), acuse(testutil.CUFE(7)))
				if ans.Class != class {
					t.Errorf("class %v, want %v: %+v", ans.Class, class, ans)
				}
				if class == batch.ClassRateLimited && (ans.RetryAfter > 0) == sh.NoRetryAfter {
					t.Errorf("Retry-After %v with NoRetryAfter %v", ans.RetryAfter, sh.NoRetryAfter)
				}
				if fault == Fault15 && !strings.Contains(ans.Message, "LGC62") || fault == Fault422 && !strings.Contains(ans.Message, "no admite el evento") {
					t.Errorf("message %q", ans.Message)
				}
			})
		}
	}
}

// Pruebas does not accept identification types the page does not list.
func TestOnlyDocumentedTipos(t *testing.T) {
	_, c := start(t, Config{})
	a := acuse(testutil.CUFE(8))
	a.Recibio.TipoIdentificacion = 47
	if ans := c.AcuseRecibo(context.Background(), a); ans.Class != batch.ClassRejected || !strings.Contains(ans.Message, "tipo_identificacion") {
		t.Errorf("47: %+v", ans)
	}
}
