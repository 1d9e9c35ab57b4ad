package night

import (
	"database/sql"
	"errors"
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

	"batch"
	"batch/internal/stands"
	"batch/internal/testutil"
	"batch/sandbox"
)

// A run's own troubles: one row's odd answer, a provider that is down for
// a while, a Retry-After of a day.

// mixedSheet writes n rows, each with a CUFE and a CUV.
func mixedSheet(t *testing.T, path string, n int) {
	t.Helper()
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
	t.Parallel()
	stand, url := stands.NewAfacturar(t, cuvOf(7))
	dir := t.TempDir()
	in := filepath.Join(dir, "r.xlsx")
	mixedSheet(t, in, 60)
	o := send(t, settingsFor(url, filepath.Join(dir, "j.db"), "", in))
	rows := testutil.ReadSheet(t, filepath.Join(dir, "r-resultados.xlsx"), "Resultados")
	if o.Verdict() != Attention || len(rows) != 60 {
		t.Fatalf("verdict %d, %d rows: %v %v", o.Verdict(), len(rows), o.Failed, o.Err)
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
	if !strings.Contains(rows[7]["cuv_mensaje"], "El CUV no esta registrado en nuestro sistema") || stand.Count(cuvOf(8)) != 1 {
		t.Errorf("row 7: %q; row 8's CUV sent %d times", rows[7]["cuv_mensaje"], stand.Count(cuvOf(8)))
	}

	// Every CUV unknown, one key at a time: the third refusal in a row
	// stops Afacturar's operations; the rest stay PENDIENTE.
	all := make([]string, 20)
	for i := range all {
		all[i] = cuvOf(i)
	}
	stand, url = stands.NewAfacturar(t, all...)
	in = filepath.Join(dir, "cuv.csv")
	writeText(t, in, "CUV\n"+strings.Join(all, "\n")+"\n")
	s := settingsFor(url, filepath.Join(dir, "j2.db"), "", in)
	s.InFlight = 1
	o = send(t, s)
	rows = testutil.ReadSheet(t, filepath.Join(dir, "cuv-resultados.xlsx"), "Resultados")
	sent := 0
	for _, c := range all {
		sent += stand.Count(c)
	}
	var stopped *Stopped
	if o.Verdict() != Nothing || sent != 3 || rows[2]["cuv_estado"] != "RECHAZADO" || rows[3]["cuv_estado"] != "PENDIENTE" || !errors.As(o.Err, &stopped) {
		t.Errorf("verdict %d, %d sent, rows 3-4: %s %s, %v", o.Verdict(), sent, rows[2]["cuv_estado"], rows[3]["cuv_estado"], o.Err)
	}
}

// The provider answers nginx 503 pages for a while in the middle of the
// night (time scaled ×10: a 60 s window lasts 6 s). batch pauses, probes,
// resumes at the first good answer, and leaves no row PENDIENTE; the
// requests spent in the outage are the probes and those in flight when it
// began. The pause is in the journal and on the Resumen sheet.
func TestOutageIsWaitedOut(t *testing.T) {
	t.Parallel()
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
	_, url := stands.Sandbox(t, sandbox.Config{RatePerMinute: -1, Fault: outage}, testToken)
	dir := t.TempDir()
	in, jr := filepath.Join(dir, "r.csv"), filepath.Join(dir, "j.db")
	writeCSV(t, in, cufes(120))
	s := settingsFor(url, jr, filepath.Join(dir, "r.xlsx"), in)
	*s.Reach[batch.ServiceAfacturar] = Reach{URL: url, Rate: 120, Window: 6 * time.Second}
	s.RetryDelay, s.Attempts = 100*time.Millisecond, 3
	w := &heard{}
	o := sendTo(t, s, w)
	msg := w.text()
	rows := testutil.ReadSheet(t, filepath.Join(dir, "r.xlsx"), "Resultados")
	if o.Verdict() != Clean || len(rows) != 120 {
		t.Fatalf("verdict %d, %d rows: %v %v\n%s", o.Verdict(), len(rows), o.Failed, o.Err, msg)
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
	t.Parallel()
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
	s := settingsFor(day.URL, filepath.Join(dir, "j.db"), filepath.Join(dir, "r.xlsx"), in)
	s.Outage = time.Second
	w := &heard{}
	o := sendTo(t, s, w)
	rows := testutil.ReadSheet(t, filepath.Join(dir, "r.xlsx"), "Resultados")
	if o.Verdict() != Attention || time.Since(start) > time.Minute || rows[0]["acuse_estado"] != "PENDIENTE" || !strings.Contains(w.text(), "no respondió en") {
		t.Errorf("verdict %d after %s, %v\n%s", o.Verdict(), time.Since(start), rows, w.text())
	}
}

func countPauses(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite", path)
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

// A provider that hangs (no answer until the client gives up) is probed,
// not fed: once requests have been out a tenth of the window with nothing
// coming back, no more go until an answer does, and the timeouts take the
// service down to one probe at a time. Time scaled ×10 (a 60 s window
// lasts 6 s): a 4 s hang at 20 requests a second would take 80 requests.
func TestAHangingProviderIsNotFed(t *testing.T) {
	t.Parallel()
	var (
		mu         sync.Mutex
		begin, end time.Time
		arrivals   atomic.Int64
		hung       atomic.Int64
	)
	hang := func(string, int) sandbox.Fault {
		mu.Lock()
		defer mu.Unlock()
		if arrivals.Add(1) == 20 {
			begin, end = time.Now(), time.Now().Add(4*time.Second)
		}
		if now := time.Now(); !begin.IsZero() && now.Before(end) {
			hung.Add(1)
			return sandbox.FaultHang
		}
		return sandbox.FaultNone
	}
	_, url := stands.Sandbox(t, sandbox.Config{RatePerMinute: -1, Fault: hang}, testToken)
	dir := t.TempDir()
	in := filepath.Join(dir, "r.csv")
	writeCSV(t, in, cufes(120))
	s := settingsFor(url, filepath.Join(dir, "j.db"), filepath.Join(dir, "r.xlsx"), in)
	*s.Reach[batch.ServiceAfacturar] = Reach{URL: url, Rate: 120, Window: 6 * time.Second}
	s.RetryDelay, s.Timeout = 200*time.Millisecond, 1500*time.Millisecond
	w := &heard{}
	o := sendTo(t, s, w)
	if o.Verdict() != Clean {
		t.Fatalf("verdict %d: %v %v\n%s", o.Verdict(), o.Failed, o.Err, w.text())
	}
	t.Logf("%d requests went into the hang", hung.Load())
	if n := hung.Load(); n > 30 {
		t.Errorf("%d requests went into a provider that did not answer\n%s", n, w.text())
	}
}

// The accountant's total under the invoices is not an invoice: a row
// without a CUFE that says "TOTAL", or holds only an amount, is left out
// and counted as such; a row without a CUFE that has an invoice's data is
// still INVALIDO.
func TestTotalsAreNotInvoices(t *testing.T) {
	t.Parallel()
	_, url := stands.Sandbox(t, sandbox.Config{RatePerMinute: -1}, testToken)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "r.csv"), filepath.Join(dir, "r.xlsx")
	writeText(t, in, "CUFE;Proveedor;Valor\n"+testutil.CUFE(1)+";ACME;10000\n"+testutil.CUFE(2)+";Beta;20000\n"+
		";TOTAL;30000\n;;30000\n;Gama;5000\nTotal general;;30000\n")
	s := settingsFor(url, filepath.Join(dir, "j.db"), out, in)
	s.Person = testPerson
	o := send(t, s)
	if o.Summary.Rows != 3 || o.Summary.Footers != 3 || o.Summary.ByStatus()[batch.StatusOK] != 2 || o.Summary.ByStatus()[batch.StatusInvalido] != 1 {
		t.Errorf("rows %d, footers %d, statuses %v", o.Summary.Rows, o.Summary.Footers, o.Summary.ByStatus())
	}
	if rows := testutil.ReadSheet(t, out, "Resultados"); len(rows) != 3 || rows[2]["Proveedor"] != "Gama" {
		t.Errorf("workbook rows: %v", rows)
	}
}
