package night

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"batch/afacturar"
	"batch/internal/stands"
	"batch/internal/testutil"
	"batch/internal/transport"
	"batch/sandbox"
)

// A sheet of received invoices with an Evento column, sent to the
// sandbox, which refuses events out of DIAN's order: every row ends as
// its events allow, a reclamo without its reason is never sent, a 032 for
// a CUFE whose acuse is missing says so, and the second run sends nothing.
func TestRadianEventsThroughTheSandbox(t *testing.T) {
	t.Parallel()
	sb, url := stands.Sandbox(t, sandbox.Config{RatePerMinute: -1}, testToken)
	dir := t.TempDir()
	in, jr := filepath.Join(dir, "eventos.csv"), filepath.Join(dir, "j.db")
	c := func(n int) string { return testutil.CUFE(700 + n) }
	writeText(t, in, strings.Join([]string{
		"CUFE;Evento;Tipo reclamo;Tipo identificacion;Identificacion;Nombres;Apellidos",
		c(1) + ";030,032;;13;52123456;Ana;Gómez",
		c(2) + ";acuse, recibo, reclamo;02;13;52123456;Ana;Gómez",
		c(3) + ";030,031;;13;52123456;Ana;Gómez",
		c(4) + ";032;;13;52123456;Ana;Gómez",
		c(5) + ";historico;;13;52123456;Ana;Gómez",
		c(6) + ";;;13;52123456;Ana;Gómez",
		c(7) + ";033;;13;52123456;Ana;Gómez",
	}, "\n")+"\n")
	s := settingsFor(url, jr, filepath.Join(dir, "r.xlsx"), in)
	o := send(t, s)
	rows := testutil.ReadSheet(t, filepath.Join(dir, "r.xlsx"), "Resultados")
	if o.Verdict() != Attention || len(rows) != 7 {
		t.Fatalf("verdict %d, %d rows: %v %v", o.Verdict(), len(rows), o.Failed, o.Err)
	}
	want := []struct{ acuse, recibo, reclamo, historico, why string }{
		{"OK", "OK", "", "", ""},
		{"OK", "OK", "OK", "", ""},
		{"OK", "", "INVALIDO", "", "Tipo reclamo: falta"},
		{"", "PENDIENTE", "", "", "antes debe quedar registrado el acuse de este CUFE"},
		{"", "", "", "OK", ""},
		{"OK", "", "", "", ""},
		{"INVALIDO", "", "", "", "«033» no es un evento"},
	}
	for i, w := range want {
		r := rows[i]
		got := []string{r["acuse_estado"], r["recibo_estado"], r["reclamo_estado"], r["historico_estado"]}
		if fmt.Sprint(got) != fmt.Sprint([]string{w.acuse, w.recibo, w.reclamo, w.historico}) ||
			!strings.Contains(r["acuse_mensaje"]+r["recibo_mensaje"]+r["reclamo_mensaje"], w.why) {
			t.Errorf("row %d: %v %q %q %q; want %+v", i+2, got, r["acuse_mensaje"], r["recibo_mensaje"], r["reclamo_mensaje"], w)
		}
	}
	for _, e := range []struct{ code, col string }{{"030", "acuse_cude"}, {"032", "recibo_cude"}, {"031", "reclamo_cude"}} {
		if cude, _ := sb.RegisteredEvent(e.code, c(2)); rows[1][e.col] != cude || cude == "" {
			t.Errorf("%s: %q, registered %q", e.col, rows[1][e.col], cude)
		}
	}
	if _, ok := sb.RegisteredEvent("031", c(3)); ok {
		t.Error("a reclamo without its reason was sent")
	}
	if rows[4]["radian_eventos"] != "sin eventos registrados" {
		t.Errorf("history of a CUFE with none: %q", rows[4]["radian_eventos"])
	}
	before := sb.Requests()
	send(t, s)
	rows = testutil.ReadSheet(t, filepath.Join(dir, "r.xlsx"), "Resultados")
	// The second run: events final in the journal are not sent again, the
	// 032 without its acuse is still not sent; the history is asked again
	// (it is the night's report), and so is the provider's history for
	// the 032's acuse, which may have been registered by other means.
	if got := sb.Requests() - before; got != 2 {
		t.Errorf("second run made %d requests, want 2 (the history row and the 032's check)", got)
	}
	if rows[4]["radian_eventos"] != "sin eventos registrados" || rows[1]["recibo_estado"] != "OK" || !strings.Contains(rows[1]["recibo_mensaje"], "ejecución anterior") {
		t.Errorf("second run: %v", rows[1])
	}
}

// Against an independent RADIAN stand-in with slow, uneven answers, 40
// CUFEs asking 030, 032 and 031 at once go concurrently at the limit, and
// no CUFE's 032 reaches the server before its 030 was answered, nor its
// 031 before its 032.
func TestEventOrderUnderConcurrency(t *testing.T) {
	t.Parallel()
	stand := newRadianStandIn(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "eventos.csv")
	lines := []string{"CUFE;Evento;Tipo reclamo"}
	for i := 0; i < 40; i++ {
		lines = append(lines, testutil.CUFE(800+i)+";030,032,031;01")
	}
	writeText(t, in, strings.Join(lines, "\n")+"\n")
	s := settingsFor(stand.url, filepath.Join(dir, "j.db"), filepath.Join(dir, "r.xlsx"), in)
	s.Person = testPerson
	if o := send(t, s); o.Verdict() != Clean {
		t.Fatalf("verdict %d: %v %v", o.Verdict(), o.Failed, o.Err)
	}
	stand.mu.Lock()
	defer stand.mu.Unlock()
	if stand.outOfOrder != 0 || stand.maxInFlight < 2 {
		t.Errorf("%d events arrived before their predecessor was answered; %d in flight at most", stand.outOfOrder, stand.maxInFlight)
	}
	if len(stand.answered) != 120 {
		t.Errorf("%d events answered, want 120", len(stand.answered))
	}
}

// radianStand answers the three event endpoints after a random wait, and
// counts the events that arrive before their CUFE's predecessor was
// answered.
type radianStand struct {
	url         string
	mu          sync.Mutex
	answered    map[string]bool // code|cufe
	outOfOrder  int
	inFlight    int
	maxInFlight int
}

func newRadianStandIn(t *testing.T) *radianStand {
	s := &radianStand{answered: map[string]bool{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var data struct {
			Evento []struct {
				Ref struct {
					CUFE string `json:"cufe"`
				} `json:"informacion_documento_referencia"`
			} `json:"evento"`
		}
		r.ParseMultipartForm(1 << 20)
		json.Unmarshal([]byte(r.FormValue("data")), &data)
		code := map[string]string{"/api/radian/acuse_recibo_fev": "030", "/api/radian/recibo_bien_servicio": "032", "/api/radian/reclamo": "031"}[r.URL.Path]
		if code == "" || len(data.Evento) != 1 {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		cufe := data.Evento[0].Ref.CUFE
		s.mu.Lock()
		if prev := map[string]string{"032": "030", "031": "032"}[code]; prev != "" && !s.answered[prev+"|"+cufe] {
			s.outOfOrder++
		}
		s.inFlight++
		s.maxInFlight = max(s.maxInFlight, s.inFlight)
		s.mu.Unlock()
		time.Sleep(time.Duration(rand.IntN(30)) * time.Millisecond)
		sum := sha512.Sum384([]byte(code + cufe))
		s.mu.Lock()
		s.inFlight--
		s.answered[code+"|"+cufe] = true
		s.mu.Unlock()
		fmt.Fprintf(w, `{"codigo_error":0,"descripcion_error":"OK","resultado":{"cude":"%s","numero_evento":"7"}}`, hex.EncodeToString(sum[:]))
	}))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

// An acuse registered by someone else before the run is YA_REGISTRADO with
// the CUDE of the registered event, from the history, on the sandbox and
// on the client's own; with --sin-historico the cell stays empty.
func TestHistoryFillsTheCUDE(t *testing.T) {
	t.Parallel()
	sb, url := stands.Sandbox(t, sandbox.Config{RatePerMinute: -1}, testToken)
	cufe := testutil.CUFE(901)
	pre := &afacturar.Client{BaseURL: url, Token: testToken, Obligado: "900123456", Ambiente: 2, HTTP: transport.NewHTTPClient(5*time.Second, 1)}
	pre.AcuseRecibo(context.Background(), afacturar.Acuse{CUFE: cufe, Recibio: afacturar.Persona{TipoIdentificacion: 13, Identificacion: "1", Nombres: "Ana", Apellidos: "Gómez"}})
	registered, _ := sb.RegisteredEvent("030", cufe)
	dir := t.TempDir()
	in := filepath.Join(dir, "r.csv")
	writeText(t, in, "CUFE;Tipo identificacion;Identificacion;Nombres;Apellidos\n"+cufe+";13;1;Ana;Gómez\n")
	for _, v := range []struct {
		noHistory bool
		cude      string
	}{{false, registered}, {true, ""}} {
		s := settingsFor(url, filepath.Join(dir, fmt.Sprintf("j%v.db", v.noHistory)), filepath.Join(dir, "r.xlsx"), in)
		s.NoHistory = v.noHistory
		send(t, s)
		r := testutil.ReadSheet(t, filepath.Join(dir, "r.xlsx"), "Resultados")[0]
		if r["acuse_estado"] != "YA_REGISTRADO" || r["acuse_cude"] != v.cude || registered == "" {
			t.Errorf("sin histórico %v: %s %q (%s); registered %q", v.noHistory, r["acuse_estado"], r["acuse_cude"], r["acuse_mensaje"], registered)
		}
	}
}
