package night

// RADIAN in any order, against a provider written apart from the sandbox:
// it keeps DIAN's rule (030 → 032 → 031, each once), answers after a random
// wait, and keeps a history of what it registered.

import (
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

	"batch/internal/testutil"
)

type radianWorld struct {
	url        string
	mu         sync.Mutex
	registered map[string][]string // cufe → codes, in order
	reject     map[string]string   // code|cufe → DIAN's reason
	sent       map[string]int      // code|cufe or historico|cufe → requests
	outOfOrder int
	historyAt  map[string]string // cufe → the codes registered when its history was asked
}

func newRadianWorld(t *testing.T) *radianWorld {
	w := &radianWorld{registered: map[string][]string{}, reject: map[string]string{}, sent: map[string]int{}, historyAt: map[string]string{}}
	srv := httptest.NewServer(http.HandlerFunc(w.serve))
	t.Cleanup(srv.Close)
	w.url = srv.URL
	return w
}

func (w *radianWorld) serve(rw http.ResponseWriter, r *http.Request) {
	time.Sleep(time.Duration(rand.IntN(15)) * time.Millisecond)
	r.ParseMultipartForm(1 << 20)
	if strings.HasSuffix(r.URL.Path, "/historico_eventos") {
		cufe := r.FormValue("cufe")
		w.mu.Lock()
		defer w.mu.Unlock()
		w.sent["historico|"+cufe]++
		w.historyAt[cufe] = strings.Join(w.registered[cufe], " ")
		var list []map[string]string
		for i, code := range w.registered[cufe] {
			list = append(list, map[string]string{"numero": fmt.Sprint(i + 1), "codigo": code, "descripcion": "evento " + code,
				"fecha": "2026-11-30 21:22:17", "cude": cude(code, cufe), "identificacion_evento": "STD" + code + cufe[:4]})
		}
		b, _ := json.Marshal(map[string]any{"codigo_error": 0, "descripcion_error": "OK", "resultado": list})
		rw.Write(b)
		return
	}
	var data struct {
		Evento []struct {
			Ref struct {
				CUFE string `json:"cufe"`
			} `json:"informacion_documento_referencia"`
		} `json:"evento"`
	}
	json.Unmarshal([]byte(r.FormValue("data")), &data)
	code := map[string]string{"/api/radian/acuse_recibo_fev": "030", "/api/radian/recibo_bien_servicio": "032", "/api/radian/reclamo": "031"}[r.URL.Path]
	if code == "" || len(data.Evento) != 1 {
		rw.WriteHeader(http.StatusNotFound)
		return
	}
	cufe := data.Evento[0].Ref.CUFE
	w.mu.Lock()
	defer w.mu.Unlock()
	w.sent[code+"|"+cufe]++
	has := func(c string) bool { return strings.Contains(" "+strings.Join(w.registered[cufe], " ")+" ", " "+c+" ") }
	switch prev := map[string]string{"032": "030", "031": "032"}[code]; {
	case has(code):
		fmt.Fprint(rw, `{"codigo_error":15,"descripcion_error":"La validación en la DIAN devuelve error(es)","resultado":{"cude":"otro","numero_evento":"PAR1"},"ErrorMessage_DIAN":"Regla: LGC01, Rechazo: Evento registrado previamente"}`)
	case w.reject[code+"|"+cufe] != "":
		fmt.Fprintf(rw, `{"codigo_error":15,"descripcion_error":"La validación en la DIAN devuelve error(es)","ErrorMessage_DIAN":"Regla: AAH07, Rechazo: %s"}`, w.reject[code+"|"+cufe])
	case prev != "" && !has(prev):
		w.outOfOrder++
		fmt.Fprint(rw, `{"codigo_error":15,"descripcion_error":"La validación en la DIAN devuelve error(es)","ErrorMessage_DIAN":"Regla: 89, Rechazo: No existe el evento previo"}`)
	default:
		w.registered[cufe] = append(w.registered[cufe], code)
		fmt.Fprintf(rw, `{"codigo_error":0,"descripcion_error":"OK","resultado":{"cude":"%s","numero_evento":"STD%s%s"}}`, cude(code, cufe), code, cufe[:4])
	}
}

func cude(code, cufe string) string {
	sum := sha512.Sum384([]byte(code + cufe))
	return hex.EncodeToString(sum[:])
}

// run sends files to the world, with the test's person, its journal in
// dir and its workbook dir/r.xlsx.
func (w *radianWorld) run(t *testing.T, dir string, files ...string) Outcome {
	t.Helper()
	s := settingsFor(w.url, filepath.Join(dir, "j.db"), filepath.Join(dir, "r.xlsx"), files...)
	s.Person = testPerson
	return send(t, s)
}

// Rows in reverse of DIAN's order, one CUFE's events split across two
// files, a history row above its events: every event goes once, in DIAN's
// order, and the history shows the night's events.
func TestEventsInAnyOrder(t *testing.T) {
	t.Parallel()
	w := newRadianWorld(t)
	dir := t.TempDir()
	var reverse, later []string
	for i := 0; i < 30; i++ {
		c := testutil.CUFE(600 + i)
		reverse = append(reverse, c+";historico;", c+";031;02", c+";032;", c+";030;")
	}
	split := testutil.CUFE(700)
	reverse = append(reverse, split+";032;")
	later = append(later, split+";030;")
	first, second := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv")
	writeText(t, first, "CUFE;Evento;Tipo reclamo\n"+strings.Join(reverse, "\n")+"\n")
	writeText(t, second, "CUFE;Evento\n"+strings.Join(later, "\n")+"\n")
	if o := w.run(t, dir, first, second); o.Verdict() != Clean {
		t.Fatalf("verdict %d: %v %v", o.Verdict(), o.Failed, o.Err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.outOfOrder != 0 {
		t.Errorf("%d events arrived before their predecessor was registered", w.outOfOrder)
	}
	for key, n := range w.sent {
		if n != 1 && !strings.HasPrefix(key, "historico") {
			t.Errorf("%s sent %d times", key, n)
		}
	}
	for i := 0; i < 30; i++ {
		if c := testutil.CUFE(600 + i); w.historyAt[c] != "030 032 031" {
			t.Errorf("history of %s asked when %q was registered", c[:8], w.historyAt[c])
		}
	}
	if got := w.registered[split]; strings.Join(got, " ") != "030 032" {
		t.Errorf("split CUFE: %v", got)
	}
	rows := testutil.ReadSheet(t, filepath.Join(dir, "r.xlsx"), "Resultados")
	for _, r := range rows {
		for _, col := range []string{"acuse_estado", "recibo_estado", "reclamo_estado", "historico_estado"} {
			if v := r[col]; v != "" && v != "OK" {
				t.Errorf("row %s %s: %s %s", r["fila"], col, v, r[strings.Replace(col, "estado", "mensaje", 1)])
			}
		}
	}
}

// An event registered before the run is YA_REGISTRADO with the provider's
// CUDE and event number from the history, and that history request is
// counted, journalled and paced like any other.
func TestAlreadyRegisteredEventAsksItsHistoryAsARequest(t *testing.T) {
	t.Parallel()
	w := newRadianWorld(t)
	dir := t.TempDir()
	c := testutil.CUFE(650)
	w.registered[c] = []string{"030"}
	in := filepath.Join(dir, "r.csv")
	writeText(t, in, "CUFE\n"+c+"\n")
	o := w.run(t, dir, in)
	r := testutil.ReadSheet(t, filepath.Join(dir, "r.xlsx"), "Resultados")[0]
	if o.Verdict() != Clean || r["acuse_estado"] != "YA_REGISTRADO" || r["acuse_cude"] != cude("030", c) || r["acuse_numero_evento"] != "STD030"+c[:4] || r["intentos"] != "2" {
		t.Fatalf("verdict %d, %v", o.Verdict(), r)
	}
	if o.Summary.Requests != 1 || o.Summary.Attempts != 2 || w.sent["historico|"+c] != 1 {
		t.Errorf("%d requests, %d attempts; history asked %d times", o.Summary.Requests, o.Summary.Attempts, w.sent["historico|"+c])
	}
	history, err := History(JournalPlace{Path: filepath.Join(dir, "j.db")}, []string{c})
	if err != nil || len(history[0]) != 1 || len(history[0][0].Attempts) != 2 {
		t.Errorf("journal: want 2 attempts: %+v %v", history, err)
	}
}

// A dependant whose prerequisite was refused, or failed its check, is not
// sent and says which prerequisite and why; batch check says where each
// dependant's prerequisite is.
func TestAFailedPrerequisiteIsNamed(t *testing.T) {
	t.Parallel()
	w := newRadianWorld(t)
	dir := t.TempDir()
	refused, invalid, missing, below := testutil.CUFE(660), testutil.CUFE(661), testutil.CUFE(662), testutil.CUFE(663)
	w.reject["030|"+refused] = "El documento no existe"
	in := filepath.Join(dir, "r.csv")
	writeText(t, in, "CUFE;Evento;Tipo identificacion\n"+refused+";032;13\n"+refused+";030;13\n"+invalid+";032;13\n"+invalid+";030;47\n"+
		missing+";032;13\n"+below+";032;13\n"+below+";030;13\n")
	check := settingsFor(w.url, filepath.Join(dir, "j.db"), filepath.Join(dir, "rev.xlsx"), in)
	check.Person, check.DryRun, check.Token, check.Obligado = testPerson, true, "", ""
	send(t, check)
	rev := testutil.ReadSheet(t, filepath.Join(dir, "rev.xlsx"), "Resultados")
	if !strings.Contains(rev[0]["recibo_mensaje"], "más abajo") || !strings.Contains(rev[2]["recibo_mensaje"], "INVALIDO") ||
		rev[4]["recibo_codigo"] != "SIN_PREVIO" {
		t.Errorf("check: %q / %q / %q %q", rev[0]["recibo_mensaje"], rev[2]["recibo_mensaje"], rev[4]["recibo_codigo"], rev[4]["recibo_mensaje"])
	}
	w.run(t, dir, in)
	rows := testutil.ReadSheet(t, filepath.Join(dir, "r.xlsx"), "Resultados")
	if r := rows[0]; r["recibo_estado"] != "PENDIENTE" || !strings.Contains(r["recibo_mensaje"], "RECHAZADO") || !strings.Contains(r["recibo_mensaje"], "El documento no existe") {
		t.Errorf("after a refused acuse: %s %q", r["recibo_estado"], r["recibo_mensaje"])
	}
	if r := rows[2]; r["recibo_estado"] != "PENDIENTE" || !strings.Contains(r["recibo_mensaje"], "INVALIDO") {
		t.Errorf("after an invalid acuse: %s %q", r["recibo_estado"], r["recibo_mensaje"])
	}
	if r := rows[5]; r["recibo_estado"] != "OK" {
		t.Errorf("acuse below: %s %q", r["recibo_estado"], r["recibo_mensaje"])
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.sent["032|"+refused]+w.sent["032|"+invalid]+w.sent["032|"+missing] != 0 || w.outOfOrder != 0 {
		t.Errorf("sent %v, %d out of order", w.sent, w.outOfOrder)
	}
}

// A recibo whose acuse is neither in the night nor in the journal asks
// the provider's history first: registered by other means, the recibo
// goes; not there, it is SIN_PREVIO. Either way the history is a counted
// attempt and the recibo is never sent out of order.
func TestAPrerequisiteRegisteredElsewhere(t *testing.T) {
	t.Parallel()
	w := newRadianWorld(t)
	dir := t.TempDir()
	elsewhere, nowhere := testutil.CUFE(670), testutil.CUFE(671)
	w.registered[elsewhere] = []string{"030"}
	in := filepath.Join(dir, "r.csv")
	writeText(t, in, "CUFE;Evento\n"+elsewhere+";032\n"+nowhere+";032\n")
	o := w.run(t, dir, in)
	rows := testutil.ReadSheet(t, filepath.Join(dir, "r.xlsx"), "Resultados")
	if o.Verdict() != Attention || rows[0]["recibo_estado"] != "OK" || rows[0]["intentos"] != "2" ||
		rows[1]["recibo_codigo"] != "SIN_PREVIO" || !strings.Contains(rows[1]["recibo_mensaje"], "tampoco") || rows[1]["intentos"] != "1" {
		t.Fatalf("verdict %d\n%v\n%v", o.Verdict(), rows[0], rows[1])
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.sent["historico|"+elsewhere] != 1 || w.sent["historico|"+nowhere] != 1 || w.sent["032|"+nowhere] != 0 || w.outOfOrder != 0 {
		t.Errorf("sent %v, %d out of order", w.sent, w.outOfOrder)
	}
}

// A row waiting for its CUFE's earlier event tells the person what fixes
// it, not to run the same file again.
func TestWaitingRowSaysWhatFixesIt(t *testing.T) {
	t.Parallel()
	w := newRadianWorld(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "r.csv")
	writeText(t, in, "CUFE;Evento\n"+testutil.CUFE(680)+";032\n")
	w.run(t, dir, in)
	att := testutil.ReadSheet(t, filepath.Join(dir, "r.xlsx"), "Atención")
	if len(att) != 1 || !strings.Contains(att[0]["qué hacer"], "columna Evento") || strings.Contains(att[0]["qué hacer"], "mismo archivo") {
		t.Errorf("Atención: %v", att)
	}
}
