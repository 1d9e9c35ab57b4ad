package afacturar

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"batch"
)

const seedCUV = "639ebf209b4c5e4111111111dca663922ff398669f118c0a718e276e75d3805a44281a8ec45a9dbbd1369ee7c48c"

func TestConsultarCUVRequestAndAnswers(t *testing.T) {
	var data map[string]any
	var status int
	var body string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != PathCUV {
			t.Errorf("path %s", r.URL.Path)
		}
		r.ParseMultipartForm(1 << 20)
		json.Unmarshal([]byte(r.FormValue("data")), &data)
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	defer srv.Close()
	c := testClient(srv.URL)
	q := CUVQuery{CUV: seedCUV, NumeroDocumento: "SETT28", FechaDocumento: "2025-01-30"}

	status, body = 200, `{"codigo_error":"0","descripcion_error":"OK","tiempo_ejecucion":1.87,"transaccion":"OTAw","resultado":{"codigoUnicoValidacion":"`+seedCUV+`","fechaValidacion":"2025-01-28T07:31:31.5138302","numDocumentoIdObligado":"88888888","numeroDocumento":"SETT32","fechaEmision":"2025-01-28T11:25:00","totalFactura":113814,"cantidadUsuarios":1,"cantidadAtenciones":0,"totalValorServicios":0,"identificacionAdquiriente":"830830830","codigoPrestador":"111111111","modalidadPago":"01","numDocumentoReferenciado":null},"entorno":"DOCUMENTO_NO_VALIDO"}`
	ans := c.ConsultarCUV(context.Background(), q)
	if ans.Class != batch.ClassOK {
		t.Fatalf("seed success: %+v", ans)
	}
	info, _ := data["informacion_documento"].(map[string]any)
	if info["cuv"] != seedCUV || info["numero_documento"] != "SETT28" || info["fecha_documento"] != "2025-01-30" {
		t.Errorf("informacion_documento = %v", info)
	}
	if g, _ := data["generalidades"].(map[string]any); g["tipo_ambiente_dian"] != float64(2) {
		t.Errorf("generalidades = %v", g)
	}
	want := map[string]any{"totalFactura": 113814.0, "cantidadUsuarios": 1.0, "numeroDocumento": "SETT32",
		"fechaValidacion": "2025-01-28T07:31:31", "fechaEmision": "2025-01-28T11:25:00", "modalidadPago": "01"}
	for k, v := range want {
		if ans.Values[k] != v {
			t.Errorf("%s = %#v, want %#v", k, ans.Values[k], v)
		}
	}
	if _, ok := ans.Values["numDocumentoReferenciado"]; ok {
		t.Error("a null field is present")
	}
	// An OK about another CUV, or one that does not say which, is not OK.
	for _, other := range []string{`"codigoUnicoValidacion":"` + strings.Repeat("f", 96) + `",`, ""} {
		status, body = 200, `{"codigo_error":"0","descripcion_error":"OK","resultado":{`+other+`"numeroDocumento":"SETT28"}}`
		if ans := c.ConsultarCUV(context.Background(), q); ans.Class != batch.ClassUnexpected || !strings.Contains(ans.Message, "otro CUV") {
			t.Errorf("answer %q: %+v", other, ans)
		}
	}

	for name, tc := range map[string]struct {
		status int
		body   string
		class  batch.Class
		msg    string
	}{
		"seed semantic 400": {400, `{"codigo_error":400,"descripcion_error":"Error en la estructura del json de data","resultado":[{"propiedad":"generalidades","descripcion":"The property generalidades is required"},{"propiedad":"","descripcion":"The property generaliddes is not defined and the definition does not allow additional properties"}]}`,
			batch.ClassRejected, "generalidades: The property generalidades is required; The property generaliddes is not defined"},
		"seed data 400": {400, `{"codigo_error":400,"descripcion_error":"Error en la estructura del json de data","resultado":[{"propiedad":"informacion_documento.cuv","descripcion":"Must be at least 90 characters long"}]}`,
			batch.ClassRejected, "informacion_documento.cuv: Must be at least 90 characters long"},
		"unknown CUV": {400, `{"codigo_error":400,"descripcion_error":"Hay problema(s)","resultado":[{"propiedad":"informacion_documento.cuv","descripcion":"El CUV no se encuentra registrado"}]}`,
			batch.ClassRejected, "no se encuentra registrado"},
		"seed Unauthenticated": {500, `{"codigo_error":500,"descripcion_error":"Unauthenticated."}`, batch.ClassFatal, "rechazó la autorización"},
	} {
		status, body = tc.status, tc.body
		ans := c.ConsultarCUV(context.Background(), q)
		if ans.Class != tc.class || !strings.Contains(ans.Message, tc.msg) {
			t.Errorf("%s: %+v", name, ans)
		}
	}
}
