package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"batch"
	"batch/internal/testutil"
)

// The sandbox answers the legítimo tenedor as the page says: each CUFE on
// its own, one in several endorsed, an unknown CUFE with its own error, a
// list of more than 20 refused with code 10, and as slow as asked.
func TestTenedorAsThePageSays(t *testing.T) {
	t.Parallel()
	sb, c := start(t, Config{TenedorLatency: 300 * time.Millisecond})
	var cufes []string
	for i := range 19 {
		cufes = append(cufes, testutil.CUFE(8000+i))
	}
	unknown := UnknownPrefix + testutil.CUFE(8100)[len(UnknownPrefix):]
	began := time.Now()
	holders, ans := c.Tenedores(context.Background(), append(cufes, unknown))
	if took := time.Since(began); ans.Class != batch.ClassOK || took < 300*time.Millisecond {
		t.Fatalf("%+v after %s", ans, took)
	}
	endorsed := 0
	for _, cufe := range cufes {
		h := holders[cufe]
		switch {
		case h.Answer.Class != batch.ClassOK:
			t.Errorf("%s: %+v", cufe[:8], h)
		case h.NIT == FactoringNIT:
			endorsed++
		case h.NIT != DefaultIssuer:
			t.Errorf("%s held by %s", cufe[:8], h.NIT)
		}
	}
	if endorsed == 0 || endorsed == len(cufes) {
		t.Errorf("%d of %d endorsed; want one in several", endorsed, len(cufes))
	}
	if u := holders[unknown]; u.Answer.Class != batch.ClassRejected || !strings.Contains(u.Answer.Message, "no existe") {
		t.Errorf("the unknown CUFE: %+v", u)
	}
	// Past 20, the whole list is refused with code 10.
	body := postList(t, sb, strings.Join(append(cufes, testutil.CUFE(8200), testutil.CUFE(8201)), ","))
	if !strings.Contains(body, `"codigo_error":10`) {
		t.Errorf("21 CUFEs: %s", body)
	}
	if sb.TenedorRequests() != 1 {
		t.Errorf("%d lists reached the query", sb.TenedorRequests())
	}
}

func postList(t *testing.T, sb *Server, list string) string {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	w.WriteField("documento_obligado", DefaultObligado)
	w.WriteField("lista_cufe", list)
	w.Close()
	r := httptest.NewRequest(http.MethodPost, "/api/radian/lector_cufe_tenedor_legitimo", &b)
	r.Header.Set("Content-Type", w.FormDataContentType())
	r.Header.Set("Authorization", "Bearer "+DefaultToken)
	rec := httptest.NewRecorder()
	sb.ServeHTTP(rec, r)
	var v map[string]any
	json.Unmarshal(rec.Body.Bytes(), &v)
	out, _ := json.Marshal(v)
	return string(out)
}
