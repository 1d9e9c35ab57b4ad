package afacturar

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"batch"
	"batch/internal/secret"
	"batch/internal/text"
	"batch/nit"
)

// PathTenedor is the legítimo tenedor query: who holds each of up to
// MaxTenedor invoices now.
const PathTenedor = "/api/radian/lector_cufe_tenedor_legitimo"

// MaxTenedor is how many CUFEs one legítimo tenedor query may carry.
const MaxTenedor = 20

// Tenedor is what the query says of one CUFE: its holder, or its own error.
type Tenedor struct {
	Answer      batch.Answer // ClassOK with the holder, or the CUFE's own refusal
	NIT, Nombre string
}

// tenedorItem is one CUFE of the answer's resultado, its fields as loose as
// the rest of the service's.
type tenedorItem struct {
	CUFE        string          `json:"cufe"`
	CodigoError json.RawMessage `json:"codigo_error"`
	Descripcion json.RawMessage `json:"descripcion_error"`
	NIT         json.RawMessage `json:"nit_legitimo_tenedor"`
	RazonSocial json.RawMessage `json:"razon_social_legitimo_tenedor"`
}

// TenedorData is the lista_cufe field: the CUFEs separated by commas.
func TenedorData(cufes []string) string { return strings.Join(cufes, ",") }

// Tenedores asks who holds each CUFE (at most MaxTenedor) in one request.
// The answer concerns the request as a whole (a refused token, an outage,
// an answer that cannot be read); on success each CUFE the provider
// answered has its own Tenedor, by its CUFE in lower case, and a CUFE it
// left out has none.
func (c *Client) Tenedores(ctx context.Context, cufes []string) (map[string]Tenedor, batch.Answer) {
	r, ans, ok := c.postForm(ctx, PathTenedor, [][2]string{{"documento_obligado", c.Obligado}, {"lista_cufe", TenedorData(cufes)}})
	if !ok {
		return nil, c.hide(ans)
	}
	ans, success := r.classify()
	if !success {
		return nil, c.hide(ans)
	}
	var items []tenedorItem
	if err := json.Unmarshal(r.resultado, &items); err != nil {
		ans.Class = batch.ClassUnexpected
		ans.Message = "Afacturar respondió el legítimo tenedor sin una lista por CUFE: " + text.FirstNonEmpty(r.desc, string(r.resultado))
		return nil, c.hide(ans)
	}
	mask := secret.New(c.Token)
	out := make(map[string]Tenedor, len(items))
	for _, it := range items {
		cufe := strings.ToLower(strings.TrimSpace(it.CUFE))
		code, codeText, _ := codeOf(it.CodigoError)
		desc := mask.Text(strings.Join(texts(it.Descripcion), "; "))
		t := Tenedor{NIT: nit.Canonical(mask.Text(strings.Join(texts(it.NIT), ""))), Nombre: mask.Text(strings.Join(texts(it.RazonSocial), " "))}
		switch {
		case code == 0 && t.NIT != "":
			t.Answer = batch.Answer{Class: batch.ClassOK, Code: "0", HTTPStatus: ans.HTTPStatus}
		case code == 0:
			t.Answer = batch.Answer{Class: batch.ClassUnexpected, Code: codeText, HTTPStatus: ans.HTTPStatus,
				Message: "Afacturar respondió el legítimo tenedor sin NIT: " + text.FirstNonEmpty(desc, "sin descripción")}
		default:
			t.Answer = batch.Answer{Class: batch.ClassRejected, Code: codeText, HTTPStatus: ans.HTTPStatus,
				Message: text.FirstNonEmpty(desc, fmt.Sprintf("Afacturar no dio el legítimo tenedor de este CUFE (código %s)", codeText))}
		}
		if _, seen := out[cufe]; !seen && cufe != "" {
			out[cufe] = t
		}
	}
	return out, c.hide(ans)
}
