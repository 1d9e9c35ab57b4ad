package main

import (
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"batch/internal/testutil"
	"batch/sandbox"
)

// standIn is an Afacturar written apart from the sandbox: it registers
// acuses, knows every CUV but those it is told are unknown, and answers
// an unknown one as the provider was seen to: 409 inside an HTTP 200.
type standIn struct {
	unknown map[string]bool
	mu      sync.Mutex
	calls   map[string]int
	data    map[string]string // the last request's data field, by key
}

func newStandIn(t *testing.T, unknown ...string) (*standIn, string) {
	s := &standIn{unknown: map[string]bool{}, calls: map[string]int{}, data: map[string]string{}}
	for _, u := range unknown {
		s.unknown[u] = true
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv.URL
}

func (s *standIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/historico_eventos") {
		fmt.Fprint(w, `{"codigo_error":0,"descripcion_error":"OK","resultado":[]}`) // it registers acuses alone
		return
	}
	var data struct {
		Evento []struct {
			Ref struct {
				CUFE string `json:"cufe"`
			} `json:"informacion_documento_referencia"`
		} `json:"evento"`
		Doc struct {
			CUV string `json:"cuv"`
		} `json:"informacion_documento"`
	}
	if r.ParseMultipartForm(1<<20) != nil || json.Unmarshal([]byte(r.FormValue("data")), &data) != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	key := data.Doc.CUV
	if len(data.Evento) == 1 {
		key = data.Evento[0].Ref.CUFE
	}
	s.mu.Lock()
	s.calls[key]++
	s.data[key] = r.FormValue("data")
	s.mu.Unlock()
	sum := sha512.Sum384([]byte("standin|" + key))
	switch {
	case s.unknown[key]:
		fmt.Fprint(w, `{"codigo_error": 409, "descripcion_error": "El CUV no esta registrado en nuestro sistema"}`)
	case strings.HasSuffix(r.URL.Path, "/acuse_recibo_fev"):
		fmt.Fprintf(w, `{"codigo_error":0,"descripcion_error":"OK","resultado":{"cude":"%s","numero_evento":"1"}}`, hex.EncodeToString(sum[:]))
	default:
		fmt.Fprintf(w, `{"codigo_error":"0","descripcion_error":"OK","resultado":{"codigoUnicoValidacion":"%s","numeroDocumento":"FE1"}}`, key)
	}
}

func (s *standIn) count(key string) int { s.mu.Lock(); defer s.mu.Unlock(); return s.calls[key] }

// mixedSheet writes n rows, each with a CUFE and a CUV.
func mixedSheet(t *testing.T, path string, n int) {
	rows := [][]any{{"CUFE", "CUV", "Tipo identificacion", "Identificacion", "Nombres", "Apellidos"}}
	for i := 0; i < n; i++ {
		rows = append(rows, []any{testutil.CUFE(i), cuvOf(i), "13", "52123456", "Ana", "Gómez"})
	}
	testutil.WriteXLSX(t, path, testutil.Sheet{Name: "Recibidas", Rows: rows})
}

// One row's odd answer (409 in a 200 for an unknown CUV) is that row's
// RECHAZADO with the provider's words; the other 59 rows and every acuse
// go on. Three distinct keys refused so in a row, with nothing good
// between, stop the service.
func TestOneRowsAnswerDoesNotStopTheNight(t *testing.T) {
	stand, url := newStandIn(t, cuvOf(7))
	dir := t.TempDir()
	in := filepath.Join(dir, "r.xlsx")
	mixedSheet(t, in, 60)
	code, msg := runMain(t, full, "run", "--url", url, "--rate", "60000", "--journal", filepath.Join(dir, "j.db"), in)
	rows := testutil.ReadSheet(t, filepath.Join(dir, "r-resultados.xlsx"), "Resultados")
	if code != exitSomeRows || len(rows) != 60 {
		t.Fatalf("exit %d, %d rows\n%s", code, len(rows), msg)
	}
	for i, r := range rows {
		want := "OK"
		if i == 7 {
			want = "RECHAZADO"
		}
		if r["acuse_estado"] != "OK" || r["cuv_estado"] != want {
			t.Errorf("row %d: acuse %s, cuv %s %q", i, r["acuse_estado"], r["cuv_estado"], r["cuv_mensaje"])
		}
	}
	if !strings.Contains(rows[7]["cuv_mensaje"], "El CUV no esta registrado en nuestro sistema") || stand.count(cuvOf(8)) != 1 {
		t.Errorf("row 7: %q; row 8's CUV sent %d times", rows[7]["cuv_mensaje"], stand.count(cuvOf(8)))
	}

	// Every CUV unknown, one key at a time: the third refusal in a row
	// stops Afacturar's operations; the rest stay PENDIENTE.
	all := make([]string, 20)
	for i := range all {
		all[i] = cuvOf(i)
	}
	stand, url = newStandIn(t, all...)
	in = filepath.Join(dir, "cuv.csv")
	writeText(t, in, "CUV\n"+strings.Join(all, "\n")+"\n")
	code, msg = runMain(t, full, "run", "--url", url, "--rate", "60000", "--concurrencia", "1", "--journal", filepath.Join(dir, "j2.db"), in)
	rows = testutil.ReadSheet(t, filepath.Join(dir, "cuv-resultados.xlsx"), "Resultados")
	sent := 0
	for _, c := range all {
		sent += stand.count(c)
	}
	if code != exitNothing || sent != 3 || rows[2]["cuv_estado"] != "RECHAZADO" || rows[3]["cuv_estado"] != "PENDIENTE" || !strings.Contains(msg, "se detuvo el envío") {
		t.Errorf("exit %d, %d sent, rows 3-4: %s %s\n%s", code, sent, rows[2]["cuv_estado"], rows[3]["cuv_estado"], msg)
	}
}

// A refused Clave ends the e-mail operation at its first answer; the
// acuses of the same run all go.
func TestRefusedClaveStopsOnlyTheDispatch(t *testing.T) {
	server, soapURL := testutil.NewASMX(t, false)
	sb, url := testSandbox(t, sandbox.Config{RatePerMinute: -1})
	dir := t.TempDir()
	received := filepath.Join(dir, "recibidas.csv")
	writeText(t, received, "CUFE;Tipo identificacion;Identificacion;Nombres;Apellidos\n"+strings.Join(func() []string {
		var l []string
		for _, c := range cufes(10) {
			l = append(l, c+";13;52123456;Ana;Gómez")
		}
		return l
	}(), "\n")+"\n")
	issued := filepath.Join(dir, "emitidas.csv")
	writeText(t, issued, "Prefijo;NumeroFactura;FechaFactura;MailRecepcion\nFE;1;2026-11-20;a@b.co\nFE;2;2026-11-20;a@b.co\nFE;3;2026-11-20;a@b.co\n")
	vars := env(map[string]string{"AFACTURAR_TOKEN": token, "AFACTURAR_OBLIGADO": "900123456", "SSINTEGRAL_NIT": testutil.SoapNIT, "SSINTEGRAL_CLAVE": "clave-equivocada"})
	code, msg := runMain(t, vars, "run", "--url", url, "--soap-url", soapURL, "--rate", "60000", "--rate-correo", "6000", "--concurrencia", "1",
		"--journal", filepath.Join(dir, "j.db"), "-o", filepath.Join(dir, "r.xlsx"), received, issued)
	rows := testutil.ReadSheet(t, filepath.Join(dir, "r.xlsx"), "Resultados")
	calls := 0
	for _, n := range server.Calls {
		calls += n
	}
	if code != exitNothing || sb.Requests() != 10 || len(rows) != 13 || !strings.Contains(msg, "SSINTEGRAL_CLAVE") {
		t.Fatalf("exit %d, %d acuses, %d rows\n%s", code, sb.Requests(), len(rows), msg)
	}
	for _, r := range rows[:10] {
		if r["acuse_estado"] != "OK" {
			t.Errorf("acuse row %s: %s", r["fila"], r["acuse_estado"])
		}
	}
	for _, r := range rows[10:] {
		if r["correo_estado"] != "PENDIENTE" {
			t.Errorf("correo row %s: %s", r["fila"], r["correo_estado"])
		}
	}
	if calls > 0 {
		t.Errorf("the service counted %d dispatches with a wrong Clave", calls)
	}
}

// Two runs on one journal and one token: the second exits at once naming
// the first; with --esperar it waits and then sends only what is left.
// Nothing is sent twice.
func TestOneRunPerTokenAtATime(t *testing.T) {
	bin := buildBinary(t)
	fault, started := after(5, none)
	sb, url := testSandbox(t, sandbox.Config{RatePerMinute: -1, Fault: fault,
		Latency: func() time.Duration { return 20 * time.Millisecond }})
	dir := t.TempDir()
	in, jr := filepath.Join(dir, "r.csv"), filepath.Join(dir, "j.db")
	writeCSV(t, in, cufes(120))
	first := command(bin, url, "--rate", "1200", "--journal", jr, "-o", filepath.Join(dir, "a.xlsx"), in)
	var firstOut lockedBuffer
	first.Stderr = &firstOut
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	<-started
	second := command(bin, url, "--journal", jr, "-o", filepath.Join(dir, "b.xlsx"), in)
	out, err := second.CombinedOutput()
	if code := second.ProcessState.ExitCode(); code != exitNothing || !strings.Contains(string(out), fmt.Sprintf("pid %d", first.Process.Pid)) || !strings.Contains(string(out), "--esperar") {
		t.Errorf("second run: exit %d (%v)\n%s", code, err, out)
	}
	third := command(bin, url, "--esperar", "2m", "--journal", jr, "-o", filepath.Join(dir, "c.xlsx"), in)
	out, err = third.CombinedOutput()
	if err != nil {
		t.Fatalf("third run: %v\n%s", err, out)
	}
	first.Wait()
	if code := first.ProcessState.ExitCode(); code != exitOK {
		t.Fatalf("first run: exit %d\n%s", code, firstOut.String())
	}
	if !strings.Contains(string(out), "120 ya resueltas") {
		t.Errorf("third run did not find the first's work done:\n%s", out)
	}
	for _, c := range cufes(120) {
		if n := sb.Attempts(c); n != 1 {
			t.Fatalf("%s sent %d times", c, n)
		}
	}
}

// The provider answers nginx 503 pages for a while in the middle of the
// night (time scaled ×10: a 60 s window lasts 6 s). batch pauses, probes,
// resumes at the first good answer, and leaves no row PENDIENTE; the
// requests spent in the outage are the probes and those in flight when it
// began. The pause is in the journal and on the Resumen sheet.
func TestOutageIsWaitedOut(t *testing.T) {
	var (
		mu          sync.Mutex
		begin, end  time.Time
		arrivals    atomic.Int64
		inOutage503 atomic.Int64
	)
	outage := func(string, int) sandbox.Fault {
		mu.Lock()
		defer mu.Unlock()
		if arrivals.Add(1) == 40 {
			begin, end = time.Now(), time.Now().Add(3*time.Second)
		}
		if now := time.Now(); !begin.IsZero() && now.Before(end) {
			inOutage503.Add(1)
			return sandbox.Fault503HTML
		}
		return sandbox.FaultNone
	}
	_, url := testSandbox(t, sandbox.Config{RatePerMinute: -1, Fault: outage})
	dir := t.TempDir()
	in, jr := filepath.Join(dir, "r.csv"), filepath.Join(dir, "j.db")
	writeCSV(t, in, cufes(120))
	code, msg := runMain(t, full, "run", "--url", url, "--rate", "120", "--ventana", "6s", "--espera-reintento", "100ms", "--reintentos", "3",
		"--journal", jr, "-o", filepath.Join(dir, "r.xlsx"), in)
	rows := testutil.ReadSheet(t, filepath.Join(dir, "r.xlsx"), "Resultados")
	if code != exitOK || len(rows) != 120 {
		t.Fatalf("exit %d, %d rows\n%s", code, len(rows), msg)
	}
	// 5 distinct keys take the service down; then one probe at 0.1, 0.2,
	// 0.4 … s: at most 6 in 3 s; and the few in flight when it began.
	t.Logf("%d requests answered 503 during the outage of 3 s", inOutage503.Load())
	if n := inOutage503.Load(); n > 5+6+3 {
		t.Errorf("%d requests answered 503 during the outage\n%s", n, msg)
	}
	if !strings.Contains(msg, "Afacturar no responde desde") || !strings.Contains(msg, "Afacturar responde de nuevo") {
		t.Errorf("the log does not tell the outage:\n%s", msg)
	}
	f, err := excelize.OpenFile(filepath.Join(dir, "r.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	resumen, _ := f.GetRows("Resumen")
	if !strings.Contains(fmt.Sprint(resumen), "Caídas del proveedor") {
		t.Errorf("Resumen has no outage: %v", resumen)
	}
	if n := countPauses(t, jr); n != 1 {
		t.Errorf("%d pauses in the journal, want 1", n)
	}
}

// A Retry-After of a day does not hold the night: it pauses the service
// like an outage, within --espera-caida, and the rows wait for the next
// run.
func TestRetryAfterOfADayIsCapped(t *testing.T) {
	day := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "86400")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"codigo_error":429,"descripcion_error":"Se excede"}`)
	}))
	t.Cleanup(day.Close)
	dir := t.TempDir()
	in := filepath.Join(dir, "r.csv")
	writeCSV(t, in, cufes(3))
	start := time.Now()
	code, msg := runMain(t, full, "run", "--url", day.URL, "--espera-caida", "1s", "--journal", filepath.Join(dir, "j.db"), "-o", filepath.Join(dir, "r.xlsx"), in)
	rows := testutil.ReadSheet(t, filepath.Join(dir, "r.xlsx"), "Resultados")
	if code != exitSomeRows || time.Since(start) > time.Minute || rows[0]["acuse_estado"] != "PENDIENTE" || !strings.Contains(msg, "no respondió en") {
		t.Errorf("exit %d after %s, %v\n%s", code, time.Since(start), rows, msg)
	}
}

func countPauses(t *testing.T, path string) int {
	t.Helper()
	db, err := openSQL(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM pauses WHERE recovered = 1 AND probes > 0`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
