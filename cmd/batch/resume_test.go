package main

import (
	"fmt"
	"hash/fnv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"batch/internal/stands"
	"batch/internal/testutil"
	"batch/sandbox"
)

// Each fault the provider is known for, injected on its own CUFE; every row
// ends in the status the seeds imply, and acuses are resent only where an
// answer was lost.
func TestFaultsEndToEnd(t *testing.T) {
	t.Parallel()
	type want struct {
		status     string
		attempts   int
		registered bool
	}
	faults := []struct {
		name  string
		fault func(attempt int) sandbox.Fault
		want  want
	}{
		{"500 then OK", func(n int) sandbox.Fault { return pick(n <= 1, sandbox.Fault500) }, want{"OK", 2, true}},
		{"503 HTML twice", func(n int) sandbox.Fault { return pick(n <= 2, sandbox.Fault503HTML) }, want{"OK", 3, true}},
		{"28, not registered", func(n int) sandbox.Fault { return pick(n <= 1, sandbox.Fault28) }, want{"OK", 2, true}},
		{"28 after registering", func(n int) sandbox.Fault { return pick(n <= 1, sandbox.Fault28Registered) }, want{"YA_REGISTRADO", 2, true}},
		{"dropped connection", func(n int) sandbox.Fault { return pick(n <= 1, sandbox.FaultDrop) }, want{"OK", 2, true}},
		{"dropped after registering", func(n int) sandbox.Fault { return pick(n <= 1, sandbox.FaultDropRegistered) }, want{"YA_REGISTRADO", 2, true}},
		{"hang past the timeout", func(n int) sandbox.Fault { return pick(n <= 1, sandbox.FaultHang) }, want{"OK", 2, true}},
		{"429 burst", func(n int) sandbox.Fault { return pick(n <= 2, sandbox.Fault429) }, want{"OK", 3, true}},
		{"500 for ever", func(int) sandbox.Fault { return sandbox.Fault500 }, want{"PENDIENTE", 3, false}},
	}
	byCUFE := map[string]func(int) sandbox.Fault{}
	var cufes []string
	for i, f := range faults {
		c := testutil.CUFE(1000 + i)
		cufes = append(cufes, c)
		byCUFE[c] = f.fault
	}
	sb, url := stands.Sandbox(t, sandbox.Config{RatePerMinute: -1, Fault: func(cufe string, attempt int) sandbox.Fault { return byCUFE[cufe](attempt) }}, token)
	dir := t.TempDir()
	in, out, jr := filepath.Join(dir, "fallas.csv"), filepath.Join(dir, "r.xlsx"), filepath.Join(dir, "j.db")
	writeCSV(t, in, cufes)
	// One key at a time: each fault meets the retry budget alone, never
	// seven failing keys in a row, which would be an outage.
	args := []string{"run", "--url", url, "--rate", "60000", "--concurrencia", "1", "--timeout", "500ms", "--espera-reintento", "5ms", "--reintentos", "3", "--journal", jr, "-o", out, in}
	code, msg := runMain(t, full, args...)
	if code != exitSomeRows {
		t.Fatalf("exit %d, want 1 (one row PENDIENTE)\n%s", code, msg)
	}
	rows := testutil.ReadSheet(t, out, "Resultados")
	for i, f := range faults {
		r := rows[i]
		_, registered := sb.Registered(cufes[i])
		if r["acuse_estado"] != f.want.status || sb.Attempts(cufes[i]) != f.want.attempts || registered != f.want.registered {
			t.Errorf("%s: %s after %d attempts, registered %v; want %s, %d, %v (%s)", f.name, r["acuse_estado"], sb.Attempts(cufes[i]), registered, f.want.status, f.want.attempts, f.want.registered, r["acuse_mensaje"])
		}
		// YA_REGISTRADO, like OK, shows the registered event's CUDE (from
		// the history), never the rejected attempt's.
		if f.want.status == "YA_REGISTRADO" || f.want.status == "OK" {
			if cude, _ := sb.Registered(cufes[i]); r["acuse_cude"] != cude {
				t.Errorf("%s: CUDE %s, registered %s", f.name, r["acuse_cude"], cude)
			}
		}
	}

	// The next run sends only the PENDIENTE row.
	before := sb.Requests()
	runMain(t, full, args...)
	if got := sb.Requests() - before; got != 3 {
		t.Errorf("second run made %d requests, want 3 (the PENDIENTE row's attempts)", got)
	}
}

// A second run over the same input sends nothing and writes the same
// statuses and CUDEs.
func TestSecondRunSendsNothing(t *testing.T) {
	t.Parallel()
	sb, url := stands.Sandbox(t, sandbox.Config{RatePerMinute: -1}, token)
	dir := t.TempDir()
	jr := filepath.Join(dir, "diario.db")
	args := func(out string) []string {
		return []string{"run", "--url", url, "--rate", "60000", "--journal", jr,
			"--tipo-identificacion", "CC", "--identificacion", "52123456", "--nombres", "Ana María", "--apellidos", "Gómez Ruiz",
			"-o", out, "../../samples/facturas-recibidas.xlsx", "../../samples/facturas-recibidas.csv"}
	}
	first, second := filepath.Join(dir, "1.xlsx"), filepath.Join(dir, "2.xlsx")
	if code, msg := runMain(t, full, args(first)...); code != exitOK {
		t.Fatalf("first run: exit %d\n%s", code, msg)
	}
	sent := sb.Requests()
	code, msg := runMain(t, full, args(second)...)
	if code != exitOK {
		t.Fatalf("second run: exit %d\n%s", code, msg)
	}
	if sb.Requests() != sent {
		t.Errorf("the second run made %d requests", sb.Requests()-sent)
	}
	a, b := testutil.ReadSheet(t, first, "Resultados"), testutil.ReadSheet(t, second, "Resultados")
	for i := range a {
		if a[i]["acuse_estado"] != b[i]["acuse_estado"] || a[i]["acuse_cude"] != b[i]["acuse_cude"] || b[i]["acuse_cude"] == "" {
			t.Errorf("row %d: %s %s, then %s %s", i, a[i]["acuse_estado"], a[i]["acuse_cude"], b[i]["acuse_estado"], b[i]["acuse_cude"])
		}
	}
	// The journal (with its WAL) and the workbooks never hold the token.
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if strings.Contains(string(b), token) {
			t.Errorf("%s holds the token", filepath.Base(f))
		}
	}
	if len(files) < 3 {
		t.Errorf("expected the journal and two workbooks in %v", files)
	}
	if !strings.Contains(msg, "12 ya resueltas") {
		t.Errorf("summary does not say 12 keys were answered from the journal:\n%s", msg)
	}
}

// kill -9 mid-run, then run again: every row final, each acuse resent only
// if it was in flight at the kill, and never a broken workbook at the path.
func TestKillAndResume(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	const rows, inFlight, killAt = 120, 6, 40
	fault, reached := after(killAt, none)
	sb, url := stands.Sandbox(t, sandbox.Config{
		RatePerMinute: -1,
		Latency:       func() time.Duration { return 20 * time.Millisecond },
		Fault:         fault,
	}, token)
	dir := t.TempDir()
	in, out, jr := filepath.Join(dir, "noche.csv"), filepath.Join(dir, "resultados.xlsx"), filepath.Join(dir, "j.db")
	var cufes []string
	for i := 0; i < rows; i++ {
		cufes = append(cufes, testutil.CUFE(5000+i))
	}
	writeCSV(t, in, cufes)
	// Yesterday's complete workbook is at the output path.
	testutil.WriteXLSX(t, out, testutil.Sheet{Name: "Resultados", Rows: [][]any{{"ayer"}}})

	cmd := command(bin, url, "--rate", "60000", "--concurrencia", fmt.Sprint(inFlight), "--journal", jr, "-o", out, in)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-reached:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the run never reached the kill point")
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()

	f, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatalf("after kill -9 the output path holds a broken file: %v", err)
	}
	if v, _ := f.GetCellValue("Resultados", "A1"); v != "ayer" {
		t.Errorf("after kill -9 the output path holds %q, want yesterday's workbook", v)
	}
	f.Close()
	firstRun := sb.Requests()
	if firstRun >= rows {
		t.Fatalf("the first run finished (%d requests) before the kill", firstRun)
	}

	if output, err := command(bin, url, "--rate", "60000", "--journal", jr, "-o", out, in).CombinedOutput(); err != nil {
		t.Fatalf("second run: %v\n%s", err, output)
	}
	res := testutil.ReadSheet(t, out, "Resultados")
	if len(res) != rows {
		t.Fatalf("%d rows, want %d", len(res), rows)
	}
	resent := 0
	for i, r := range res {
		n := sb.Attempts(cufes[i])
		cude, registered := sb.Registered(cufes[i])
		switch {
		case !registered:
			t.Errorf("row %d: never registered", i)
		case n > 2:
			t.Errorf("row %d: sent %d times", i, n)
		case r["acuse_estado"] == "OK" && r["acuse_cude"] != cude:
			t.Errorf("row %d: CUDE %s, registered %s", i, r["acuse_cude"], cude)
		case r["acuse_estado"] != "OK" && r["acuse_estado"] != "YA_REGISTRADO":
			t.Errorf("row %d: %s", i, r["acuse_estado"])
		}
		if n == 2 {
			resent++
		}
	}
	if resent > inFlight {
		t.Errorf("%d acuses were sent twice; at most the %d in flight at the kill may be", resent, inFlight)
	}
	t.Logf("killed after %d requests; %d resent after the kill", firstRun, resent)
}

// SIGINT: no new requests, those in flight answer, the workbook is written
// with the rest PENDIENTE, exit 1; the next run completes the work.
func TestInterruptWritesWorkbook(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	const rows = 60
	fault, reached := after(10, none)
	sb, url := stands.Sandbox(t, sandbox.Config{
		RatePerMinute: -1,
		Latency:       func() time.Duration { return 20 * time.Millisecond },
		Fault:         fault,
	}, token)
	dir := t.TempDir()
	in, out, jr := filepath.Join(dir, "noche.csv"), filepath.Join(dir, "r.xlsx"), filepath.Join(dir, "j.db")
	var cufes []string
	for i := 0; i < rows; i++ {
		cufes = append(cufes, testutil.CUFE(7000+i))
	}
	writeCSV(t, in, cufes)
	cmd := command(bin, url, "--rate", "600", "--journal", jr, "-o", out, in)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-reached:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("no request reached the stand in 30 s")
	}
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitInterrupted {
		t.Fatalf("exit: %v, want 3", err)
	}
	res := testutil.ReadSheet(t, out, "Resultados")
	counts := map[string]int{}
	for _, r := range res {
		counts[r["acuse_estado"]]++
	}
	if len(res) != rows || counts["PENDIENTE"] == 0 || counts["OK"]+counts["PENDIENTE"] != rows {
		t.Errorf("after SIGINT: %d rows, %v", len(res), counts)
	}
	if output, err := command(bin, url, "--rate", "60000", "--journal", jr, "-o", out, in).CombinedOutput(); err != nil {
		t.Fatalf("second run: %v\n%s", err, output)
	}
	for i, r := range testutil.ReadSheet(t, out, "Resultados") {
		if r["acuse_estado"] != "OK" && r["acuse_estado"] != "YA_REGISTRADO" {
			t.Errorf("row %d: %s", i, r["acuse_estado"])
		}
		if sb.Attempts(cufes[i]) > 2 {
			t.Errorf("row %d sent %d times", i, sb.Attempts(cufes[i]))
		}
	}
}

// A second signal ends the process at once: no workbook, no temporary file,
// and the journal lets the next run finish the work.
func TestSecondSignalExitsAtOnce(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	var hang atomic.Bool
	hang.Store(true)
	fault, reached := after(3, func() sandbox.Fault {
		if hang.Load() {
			return sandbox.FaultHang
		}
		return sandbox.FaultNone
	})
	sb, url := stands.Sandbox(t, sandbox.Config{RatePerMinute: -1, Fault: fault}, token)
	dir := t.TempDir()
	in, out, jr := filepath.Join(dir, "n.csv"), filepath.Join(dir, "r.xlsx"), filepath.Join(dir, "j.db")
	var cufes []string
	for i := 0; i < 10; i++ {
		cufes = append(cufes, testutil.CUFE(8000+i))
	}
	writeCSV(t, in, cufes)
	cmd := command(bin, url, "--rate", "60000", "--concurrencia", "3", "--espera-cierre", "10m", "--timeout", "10m", "--journal", jr, "-o", out, in)
	tmp := t.TempDir()
	cmd.Env = append(cmd.Env, "TMPDIR="+tmp)
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-reached:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("no request reached the stand in 30 s")
	}
	cmd.Process.Signal(os.Interrupt)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// The first signal's message proves it was handled before the second.
	deadline := time.After(30 * time.Second)
	for !strings.Contains(stderr.String(), "señal recibida") {
		select {
		case err := <-exited:
			t.Fatalf("exited after one signal: %v", err)
		case <-deadline:
			cmd.Process.Kill()
			t.Fatal("the first signal was not taken in 30 s")
		case <-time.After(10 * time.Millisecond):
		}
	}
	cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-exited:
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitInterrupted {
			t.Fatalf("exit: %v, want 3", err)
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("a second signal did not end the run")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.xlsx*")); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp")); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
	hang.Store(false)
	if output, err := command(bin, url, "--rate", "60000", "--journal", jr, "-o", out, in).CombinedOutput(); err != nil {
		t.Fatalf("next run: %v\n%s", err, output)
	}
	for i, r := range testutil.ReadSheet(t, out, "Resultados") {
		if r["acuse_estado"] != "OK" {
			t.Errorf("row %d: %s (%s)", i, r["acuse_estado"], r["acuse_mensaje"])
		}
		if sb.Attempts(cufes[i]) > 2 {
			t.Errorf("row %d sent %d times", i, sb.Attempts(cufes[i]))
		}
	}
}

// The night goes wrong in every way at once: 5% each of 500, 503, code 28
// and dropped connections (half of the 28s and drops after the event was
// registered), and the process killed twice. In the end every row is final,
// OK where the registering answer arrived and YA_REGISTRADO where it was
// lost, and no acuse was resent except where an answer was lost.
func TestUnreliableNightWithKills(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	const rows, inFlight = 300, 8
	chaos := func(cufe string, attempt int) sandbox.Fault {
		h := fnv.New32a()
		fmt.Fprintf(h, "%s/%d", cufe, attempt)
		switch n := h.Sum32() % 100; {
		case n < 5:
			return sandbox.Fault500
		case n < 10:
			return sandbox.Fault503HTML
		case n < 13:
			return sandbox.Fault28
		case n < 15:
			return sandbox.Fault28Registered
		case n < 18:
			return sandbox.FaultDrop
		case n < 20:
			return sandbox.FaultDropRegistered
		}
		return sandbox.FaultNone
	}
	var (
		mu       sync.Mutex
		requests int
		kills    = map[int]chan struct{}{90: make(chan struct{}), 200: make(chan struct{})}
		lost     = map[string]int{} // attempts whose answer was a fault
	)
	sb, url := stands.Sandbox(t, sandbox.Config{
		RatePerMinute: -1,
		Latency:       func() time.Duration { return 5 * time.Millisecond },
		Fault: func(cufe string, attempt int) sandbox.Fault {
			mu.Lock()
			defer mu.Unlock()
			requests++
			if c, ok := kills[requests]; ok {
				close(c)
			}
			f := chaos(cufe, attempt)
			if f != sandbox.FaultNone {
				lost[cufe]++
			}
			return f
		},
	}, token)
	dir := t.TempDir()
	in, out, jr := filepath.Join(dir, "noche.csv"), filepath.Join(dir, "r.xlsx"), filepath.Join(dir, "j.db")
	var cufes []string
	for i := 0; i < rows; i++ {
		cufes = append(cufes, testutil.CUFE(9000+i))
	}
	writeCSV(t, in, cufes)
	args := []string{"--rate", "60000", "--concurrencia", fmt.Sprint(inFlight), "--espera-reintento", "2ms", "--journal", jr, "-o", out, in}
	for _, at := range []int{90, 200} {
		cmd := command(bin, url, args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-kills[at]:
		case <-time.After(60 * time.Second):
			t.Fatalf("never reached request %d", at)
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	}
	if output, err := command(bin, url, args...).CombinedOutput(); err != nil {
		t.Fatalf("final run: %v\n%s", err, output)
	}
	res := testutil.ReadSheet(t, out, "Resultados")
	if len(res) != rows {
		t.Fatalf("%d rows, want %d", len(res), rows)
	}
	mu.Lock()
	defer mu.Unlock()
	resentAfterKill, already := 0, 0
	for i, r := range res {
		c := cufes[i]
		last, on := sb.Attempts(c), sb.RegisteredOn(c)
		cude, _ := sb.Registered(c)
		switch {
		case on == 0:
			t.Errorf("row %d: never registered (%s: %s)", i, r["acuse_estado"], r["acuse_mensaje"])
		case on == last && (r["acuse_estado"] != "OK" || r["acuse_cude"] != cude):
			t.Errorf("row %d: registered by its last attempt, but %s %q", i, r["acuse_estado"], r["acuse_cude"])
		case on < last && (r["acuse_estado"] != "YA_REGISTRADO" || r["acuse_cude"] != cude):
			t.Errorf("row %d: registered before its last attempt, but %s %q", i, r["acuse_estado"], r["acuse_cude"])
		}
		if on < last {
			already++
		}
		// Every attempt but the last had its answer lost: to a fault, or
		// to a kill while it was in flight.
		resentAfterKill += last - 1 - lost[c]
	}
	if resentAfterKill < 0 || resentAfterKill > 2*inFlight {
		t.Errorf("%d attempts followed neither a fault nor a kill; at most %d were in flight at the kills", resentAfterKill, 2*inFlight)
	}
	t.Logf("%d requests for %d rows; %d YA_REGISTRADO; %d resent because of the kills", requests, rows, already, resentAfterKill)
}
