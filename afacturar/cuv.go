package afacturar

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"batch"
	"batch/internal/text"
)

// PathCUV is the RIPS CUV query. Afacturar has published it for pruebas
// only; its production address is "próximamente".
const PathCUV = "/api/rips/consultar_cuv"

// CUVQuery asks whether the Ministry's validator issued a CUV.
type CUVQuery struct {
	CUV             string
	NumeroDocumento string // optional
	FechaDocumento  string // optional, AAAA-MM-DD
}

type cuvData struct {
	InformacionDocumento struct {
		CUV             string `json:"cuv"`
		NumeroDocumento string `json:"numero_documento,omitempty"`
		FechaDocumento  string `json:"fecha_documento,omitempty"`
	} `json:"informacion_documento"`
	Generalidades generalidades `json:"generalidades"`
}

// CUVData is the JSON sent in the data field for a CUV query.
func (c *Client) CUVData(q CUVQuery) ([]byte, error) {
	var d cuvData
	d.InformacionDocumento.CUV = q.CUV
	d.InformacionDocumento.NumeroDocumento = q.NumeroDocumento
	d.InformacionDocumento.FechaDocumento = q.FechaDocumento
	d.Generalidades = c.generalidades("cuv", q.CUV)
	return json.Marshal(d)
}

// CUVFields are the resultado fields of a validated CUV, as the service
// names them, in the order the workbook shows them.
var CUVFields = []string{
	"fechaValidacion", "numDocumentoIdObligado", "numeroDocumento", "fechaEmision",
	"totalFactura", "cantidadUsuarios", "cantidadAtenciones", "totalValorServicios",
	"identificacionAdquiriente", "codigoPrestador", "modalidadPago", "numDocumentoReferenciado",
}

// ConsultarCUV queries one CUV. On success Values holds every CUVFields
// entry: amounts and counts as float64, dates as ISO strings, the rest as
// strings; a null field is absent.
func (c *Client) ConsultarCUV(ctx context.Context, q CUVQuery) batch.Answer {
	data, err := c.CUVData(q)
	if err != nil {
		return batch.Answer{Class: batch.ClassUnexpected, Message: err.Error()}
	}
	return c.SendCUV(ctx, q.CUV, data)
}

// SendCUV sends a CUV query's data as CUVData wrote it. An answer about
// another CUV than cuv, or that does not say which, is never OK.
func (c *Client) SendCUV(ctx context.Context, cuv string, data []byte) batch.Answer {
	return c.send(ctx, PathCUV, data, func(r reply, a batch.Answer) batch.Answer { return cuvResult(r, a, cuv) })
}

// cuvResult reads a successful consultar_cuv's resultado for the CUV
// asked.
func cuvResult(r reply, ans batch.Answer, asked string) batch.Answer {
	var res map[string]any
	if err := json.Unmarshal(r.resultado, &res); err != nil || res == nil {
		ans.Class = batch.ClassUnexpected
		ans.Message = "Afacturar respondió OK sin datos del CUV: " + text.FirstNonEmpty(r.desc, string(r.resultado))
		return ans
	}
	if got, _ := res["codigoUnicoValidacion"].(string); !strings.EqualFold(strings.TrimSpace(got), asked) {
		ans.Class = batch.ClassUnexpected
		ans.Message = fmt.Sprintf("Afacturar respondió OK por otro CUV (codigoUnicoValidacion «%s»), no por el consultado", text.FirstNonEmpty(got, "vacío"))
		return ans
	}
	ans.Class, ans.Message = batch.ClassOK, ""
	ans.Values = map[string]any{}
	for _, f := range CUVFields {
		switch v := res[f].(type) {
		case float64:
			ans.Values[f] = v
		case string:
			v = strings.TrimSpace(v)
			if strings.HasPrefix(f, "fecha") {
				v = isoDate(v)
			}
			ans.Values[f] = v
		case nil:
		default:
			b, _ := json.Marshal(v)
			ans.Values[f] = string(b)
		}
	}
	return ans
}

// isoDate normalises the service's timestamps ("2025-01-28T07:31:31.5138302")
// to RFC 3339 without a zone, keeping what cannot be parsed as it came.
func isoDate(s string) string {
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05.999999999Z07:00", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
				return t.Format("2006-01-02")
			}
			return t.Format("2006-01-02T15:04:05")
		}
	}
	return s
}
