// Command bench is `make bench`: it measures the real binary against the
// targets of docs/BENCHMARKS.md and prints each figure as a ratio against a
// baseline measured in the same run.
//
//  1. Pacing: batch against the sandbox counting a strict sliding window,
//     with heavy-tailed latency, time scaled down. Achieved ÷ configured
//     rate, and the 429 answers (target ≥ 0.98 and none).
//  2. The same batch one request at a time, as a collection runner sends
//     it: batch's speed-up over it.
//  3. batch check (--dry-run) over 100,000 and 1,000,000 rows beside a bare
//     excelize Rows loop over the same file: rows per second and peak RSS
//     (targets: within 1.15× of the loop, at most 200 MB at a million), and
//     a CPU profile's account of where a check's time goes.
//  4. One process driving 50 tokens at once (a night of 50 companies):
//     each token's achieved ÷ configured rate and the 429s (targets ≥ 0.98
//     each, none), and the journal's commit rate beside what they need.
//  5. RADIAN events in reverse row order beside DIAN's order: the time
//     of each (target within 2 %), none out of order, twice or refused.
//
// Every server is on 127.0.0.1 and started here.
package main

import (
	"bufio"
	"crypto/sha512"
	"encoding/hex"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/xuri/excelize/v2"

	"batch/sandbox"
)

const (
	token    = "token-del-banco-de-pruebas"
	obligado = "900123456"
	limit    = 120 // the provider's requests per window
)

func main() {
	var (
		scale    = flag.Int("escala", 4, "el tiempo corre N veces más rápido: la ventana de 60 s dura 60/N s, y las latencias también")
		rateRows = flag.Int("filas-ritmo", 600, "filas del lote de la medición de ritmo")
		seqFor   = flag.Duration("secuencial", 40*time.Second, "cuánto medir el envío de a una solicitud")
		sizes    = flag.String("filas-lectura", "100000,1000000", "filas de los libros de la medición de lectura")
		keep     = flag.Bool("conservar", false, "no borrar la carpeta de trabajo")
		only     = flag.String("solo", "", "ritmo (mediciones 1 y 2), lectura (medición 3), tokens (medición 4), diario (4d: el diario solo), orden (medición 5), pendientes (medición 6) o tenedor (medición 7)")
		nPending = flag.Int("filas-pendientes", 1_000_000, "filas de la medición 6")
		orderN   = flag.Int("cufes-orden", 600, "CUFE de la medición 5 (tres eventos cada uno)")
		nTokens  = flag.Int("tokens", 50, "tokens (empresas) de la medición 4")
		tokRows  = flag.Int("filas-token", 120, "filas de cada token en la medición 4")
		nHolders = flag.Int("cufes-tenedor", 6000, "CUFE de la medición 7")
		baseFor  = flag.Duration("base-tenedor", 20*time.Second, "cuánto medir cada comparación de la medición 7")
	)
	flag.StringVar(&profileNight, "perfil-noche", "", "escribir el perfil de CPU de batch en la primera noche de la medición 4 en este archivo")
	flag.BoolVar(&withCeiling, "techo", true, "buscar el techo de tokens en la medición 4 (varios minutos)")
	other := flag.String("binario", "", "medir este binario de batch (otra versión) en lugar del que se compila del árbol")
	flag.Parse()
	dir, err := os.MkdirTemp("", "batch-bench-")
	check(err)
	if !*keep {
		defer os.RemoveAll(dir)
	}
	fmt.Printf("bench: %s\n", machine())
	if *only == "diario" {
		nightJournal(dir, *scale, *nTokens, *tokRows)
		return
	}
	bin := build(dir)
	if *other != "" {
		bin = *other
	}

	if *only == "" || *only == "ritmo" {
		pacing(bin, dir, *scale, *rateRows, *seqFor)
	}
	if *only == "" || *only == "lectura" {
		reading(bin, dir, *sizes)
	}
	if *only == "" || *only == "tokens" {
		tokens(bin, dir, *scale, *nTokens, *tokRows)
	}
	if *only == "" || *only == "orden" {
		eventOrder(bin, dir, *scale, *orderN)
	}
	if *only == "" || *only == "pendientes" {
		pending(bin, dir, *nPending)
	}
	if *only == "" || *only == "tenedor" {
		holders(bin, dir, *nHolders, *baseFor)
	}
}

func pacing(bin, dir string, scale, rateRows int, seqFor time.Duration) {
	window := time.Minute / time.Duration(scale)
	in := filepath.Join(dir, "lote.csv")
	writeCSV(in, rateRows)

	fmt.Printf("\n1. ritmo: %d filas, límite estricto de %d por ventana deslizante de %s (60 s ÷ %d), latencia de cola pesada (mediana %s, máx. %s)\n",
		rateRows, limit, window, scale, 3*time.Second/time.Duration(scale), 45*time.Second/time.Duration(scale))
	fast := pace(bin, dir, in, window, scale, 0, 0)
	ratio := fast.rate() / (limit / window.Seconds())
	fmt.Printf("   batch: %d solicitudes en %.1f s, %.2f/s; configurado %.2f/s\n", fast.accepted, fast.span().Seconds(), fast.rate(), limit/window.Seconds())
	fmt.Printf("   logrado ÷ configurado = %.4f   (objetivo ≥ 0,98)   %s\n", ratio, verdict(ratio >= 0.98))
	fmt.Printf("   respuestas 429 = %d; máximo visto en cualquier ventana de %s = %d de %d   %s\n",
		fast.rejected, window, fast.maxInWindow, limit, verdict(fast.rejected == 0 && fast.maxInWindow <= limit))
	fmt.Printf("   menor tiempo entre una llegada y la %d.ª siguiente = %s (desde la llegada %d; la ventana es %s)\n", limit, fast.tightest.Round(time.Millisecond), fast.tightestAt, window)
	fmt.Printf("   en vuelo a la vez, máximo = %d; latencia p50 %s, p99 %s, máx. %s\n", fast.maxInFlight, fast.latency(0.5), fast.latency(0.99), fast.latency(1))

	fmt.Printf("\n2. de a una solicitud (como un ejecutor de colecciones), el mismo lote durante %s\n", seqFor)
	slow := pace(bin, dir, in, window, scale, 1, seqFor)
	fmt.Printf("   de a una: %d solicitudes en %.1f s, %.2f/s: el lote completo tardaría %s (batch: %s)\n",
		slow.accepted, slow.span().Seconds(), slow.rate(), round(time.Duration(float64(rateRows)/slow.rate()*float64(time.Second))), round(fast.span()))
	fmt.Printf("   aceleración de batch = %.1f×; de a una usa %.0f%% del límite\n", fast.rate()/slow.rate(), 100*slow.rate()/(limit/window.Seconds()))

}

func reading(bin, dir, sizes string) {
	fmt.Printf("\n3. revisión (batch check, sin enviar) frente a un bucle de excelize Rows sobre el mismo libro (mediana de 3 de cada uno, por turnos)\n")
	first := true
	for _, s := range strings.Split(sizes, ",") {
		var n int
		fmt.Sscan(s, &n)
		book := filepath.Join(dir, fmt.Sprintf("recibidas-%d.xlsx", n))
		writeXLSX(book, n)
		st, _ := os.Stat(book)
		// Three of each, taken in turns, and the median of each: one
		// run of either on a shared machine can be a third off.
		var floors, ourRuns []usage
		for k := 0; k < 3; k++ {
			floors = append(floors, measure(exec.Command(filepath.Join(dir, "bareloop"), book)))
			ourRuns = append(ourRuns, measure(exec.Command(bin, "check", "-o", filepath.Join(dir, "revision.xlsx"), book)))
		}
		floor, ours := median(floors), median(ourRuns)
		fmt.Printf("   %d filas (%.0f MB):\n", n, float64(st.Size())/1e6)
		fmt.Printf("     bucle excelize: %.1f s, %.0f filas/s, RSS máx. %d MB\n", floor.wall.Seconds(), float64(n)/floor.wall.Seconds(), floor.rssMB)
		fmt.Printf("     batch check:    %.1f s, %.0f filas/s, RSS máx. %d MB (escribe además el libro de revisión)\n", ours.wall.Seconds(), float64(n)/ours.wall.Seconds(), ours.rssMB)
		slower := ours.wall.Seconds() / floor.wall.Seconds()
		fmt.Printf("     tiempo batch ÷ bucle = %.2f   (objetivo ≤ 1,15)   %s\n", slower, verdict(slower <= 1.15))
		line := fmt.Sprintf("     RSS batch ÷ bucle = %.2f", float64(ours.rssMB)/float64(floor.rssMB))
		if n >= 1_000_000 {
			line += fmt.Sprintf("; RSS = %d MB   (objetivo ≤ 200 MB)   %s", ours.rssMB, verdict(ours.rssMB <= 200))
		}
		fmt.Println(line)
		if first {
			profileCheck(bin, dir, book)
			first = false
		}
		os.Remove(book)
	}
}

// profileCheck runs batch check once more with a CPU profile and prints
// where its time goes: the share of each stage, by cumulative samples.
func profileCheck(bin, dir, book string) {
	prof := filepath.Join(dir, "check.prof")
	cmd := exec.Command(bin, "check", "-o", filepath.Join(dir, "revision.xlsx"), book)
	cmd.Env = append(os.Environ(), "BATCH_PERFIL_CPU="+prof)
	if out, err := cmd.CombinedOutput(); err != nil && cmd.ProcessState.ExitCode() > 1 {
		check(fmt.Errorf("batch check: %v\n%s", err, out))
	}
	out, err := exec.Command("go", "tool", "pprof", "-top", "-cum", "-nodecount=200", bin, prof).Output()
	if err != nil {
		fmt.Printf("     (perfil no disponible: %v)\n", err)
		return
	}
	fmt.Println("     dónde va el tiempo de batch check (perfil de CPU, % acumulado de las muestras):")
	for _, stage := range profileStages {
		for _, line := range strings.Split(string(out), "\n") {
			f := strings.Fields(line)
			if len(f) == 6 && f[5] == stage.fn {
				fmt.Printf("       %-6s %s\n", f[4], stage.what)
				break
			}
		}
	}
}

// profileStages are the functions whose cumulative share says where the
// time of a check goes.
var profileStages = []struct{ fn, what string }{
	{"batch/readers.(*Input).Each", "leer el libro, con lo que se hace a cada fila al leerla"},
	{"batch/readers.(*sheetRows).next", "  de eso, analizar el XML de la hoja"},
	{"batch/pipeline.(*runner).admit", "revisar cada fila y quitar repetidos"},
	{"batch/writers.(*Workbook).Write", "escribir cada fila en el libro de revisión"},
	{"github.com/xuri/excelize/v2.(*StreamWriter).SetRow", "  de eso, el StreamWriter de excelize"},
	{"batch/writers.(*Workbook).Close", "comprimir y guardar el libro"},
	{"runtime.gcBgMarkWorker", "recolector de basura"},
}

func verdict(ok bool) string {
	if ok {
		return "CUMPLE"
	}
	return "NO CUMPLE"
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func round(d time.Duration) time.Duration { return d.Round(100 * time.Millisecond) }

func machine() string {
	model := "?"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				model = strings.TrimSpace(strings.SplitN(l, ":", 2)[1])
				break
			}
		}
	}
	return fmt.Sprintf("%s/%s, %d CPU (%s), %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), model, runtime.Version())
}

func build(dir string) string {
	for _, b := range [][2]string{{"batch", "./cmd/batch"}, {"bareloop", "./tools/bench/bareloop"}, {"barehttp", "./tools/bench/barehttp"}} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, b[0]), b[1])
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		check(cmd.Run())
	}
	return filepath.Join(dir, "batch")
}

func cufe(n int) string {
	sum := sha512.Sum384([]byte(fmt.Sprintf("factura %d", n)))
	c := hex.EncodeToString(sum[:])
	if strings.HasPrefix(c, sandbox.UnknownPrefix) {
		// The sandbox refuses these as unknown to DIAN (one in 65,536).
		return cufe(-n - 1)
	}
	return c
}

var header = []string{"CUFE", "Tipo identificación", "Identificación", "Nombres", "Apellidos", "Número factura", "Valor"}

func record(i int) []any {
	return []any{cufe(i), 13, 52123456 + i%1000, "Ana María", "Gómez Ruiz", fmt.Sprintf("SETP%d", 990000000+i), 100000 + (i*7919)%900000}
}

func writeCSV(path string, n int) { writeCSVFrom(path, 0, n) }

// writeCSVFrom writes n rows starting at row number from.
func writeCSVFrom(path string, from, n int) {
	f, err := os.Create(path)
	check(err)
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, strings.Join(header, ";"))
	for i := from; i < from+n; i++ {
		r := record(i)
		cells := make([]string, len(r))
		for j, c := range r {
			cells[j] = fmt.Sprint(c)
		}
		fmt.Fprintln(w, strings.Join(cells, ";"))
	}
	check(w.Flush())
	check(f.Close())
}

// writeXLSX writes n rows with excelize's StreamWriter.
func writeXLSX(path string, n int) {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	check(err)
	head := make([]any, len(header))
	for i, h := range header {
		head[i] = h
	}
	check(sw.SetRow("A1", head))
	for i := 0; i < n; i++ {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		check(sw.SetRow(cell, record(i)))
	}
	check(sw.Flush())
	check(f.SaveAs(path))
}

// median is the run of median wall time, with the largest peak memory of
// all (memory does not vary by luck).
func median(runs []usage) usage {
	sort.Slice(runs, func(i, j int) bool { return runs[i].wall < runs[j].wall })
	m := runs[len(runs)/2]
	for _, r := range runs {
		m.rssMB = max(m.rssMB, r.rssMB)
	}
	return m
}

// usage is one process's wall time and peak resident memory.
type usage struct {
	wall  time.Duration
	rssMB int64
}

// measure runs cmd and reads its peak resident memory (VmHWM) from /proc
// while it runs. The rusage of a finished child is no use here: Go starts
// children with vfork, so their ru_maxrss counts this process's memory.
func measure(cmd *exec.Cmd) usage { return measureExit(cmd, 0) }

// measureExit is measure for a command that may end with an exit code up
// to ok (1: rows that need a person).
func measureExit(cmd *exec.Cmd, ok int) usage {
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	check(cmd.Start())
	done := make(chan struct{})
	var peakKB int64
	go func() {
		defer close(done)
		status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for range tick.C {
			b, err := os.ReadFile(status)
			if err != nil {
				return
			}
			var kb int64
			found := false
			for _, l := range strings.Split(string(b), "\n") {
				if strings.HasPrefix(l, "VmHWM:") {
					fmt.Sscan(strings.TrimPrefix(l, "VmHWM:"), &kb)
					found = true
				}
			}
			if !found { // a zombie: the memory is gone, the peak was read
				return
			}
			peakKB = max(peakKB, kb)
		}
	}()
	err := cmd.Wait()
	wall := time.Since(start)
	<-done
	if err != nil && cmd.ProcessState.ExitCode() > ok {
		check(fmt.Errorf("%s: %v\n%s", cmd.Path, err, out.String()))
	}
	return usage{wall: wall, rssMB: peakKB / 1024}
}

// paced is what the window counter saw of one run.
type paced struct {
	arrivals    []time.Time
	latencies   []time.Duration
	accepted    int
	rejected    int
	maxInWindow int
	maxInFlight int
	// tightest is the shortest time between an arrival and the one limit
	// places after it, and where it starts: at least a window means no
	// window ever held more than the limit.
	tightest   time.Duration
	tightestAt int
}

func (p paced) span() time.Duration { return p.arrivals[len(p.arrivals)-1].Sub(p.arrivals[0]) }

// rate is requests per second between the first and the last arrival.
func (p paced) rate() float64 { return float64(len(p.arrivals)-1) / p.span().Seconds() }

func (p paced) latency(q float64) time.Duration {
	l := append([]time.Duration(nil), p.latencies...)
	sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
	return round(l[int(math.Min(float64(len(l)-1), q*float64(len(l))))])
}

// counter stands in front of the sandbox and keeps its own count: every
// arrival, the answers of 429, and the most requests in any window.
type counter struct {
	next   http.Handler
	window time.Duration

	mu       sync.Mutex
	p        paced
	inFlight int
}

func (c *counter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	c.mu.Lock()
	c.p.arrivals = append(c.p.arrivals, start)
	c.inFlight++
	c.p.maxInFlight = max(c.p.maxInFlight, c.inFlight)
	c.mu.Unlock()
	sw := &statusWriter{ResponseWriter: w, status: 200}
	c.next.ServeHTTP(sw, r)
	c.mu.Lock()
	c.inFlight--
	if sw.status == http.StatusTooManyRequests {
		c.p.rejected++
	} else {
		c.p.accepted++
		c.p.latencies = append(c.p.latencies, time.Since(start))
	}
	c.mu.Unlock()
}

func (c *counter) result() paced {
	c.mu.Lock()
	defer c.mu.Unlock()
	a := c.p.arrivals
	for i, j := 0, 0; i < len(a); i++ {
		for j < len(a) && a[j].Sub(a[i]) < c.window {
			j++
		}
		c.p.maxInWindow = max(c.p.maxInWindow, j-i)
		if k := i + limit; k < len(a) && (c.p.tightest == 0 || a[k].Sub(a[i]) < c.p.tightest) {
			c.p.tightest, c.p.tightestAt = a[k].Sub(a[i]), i
		}
	}
	return c.p
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) { w.status = code; w.ResponseWriter.WriteHeader(code) }

// pace runs the binary over in against a fresh sandbox that enforces limit
// per window with heavy-tailed latency. inFlight 1 sends one request at a
// time; stopAfter > 0 ends the run with SIGTERM after that long.
func pace(bin, dir, in string, window time.Duration, scale, inFlight int, stopAfter time.Duration) paced {
	rng := rand.New(rand.NewPCG(20261121, uint64(inFlight)))
	var rngMu sync.Mutex
	s := time.Second / time.Duration(scale)
	// Log-normal latency: median 3 s, σ 0.8 (mean ≈ 4.1 s, p99 ≈ 19 s),
	// cut at 45 s, where the provider gives up on DIAN.
	latency := func() time.Duration {
		rngMu.Lock()
		z := rng.NormFloat64()
		rngMu.Unlock()
		d := time.Duration(3 * math.Exp(0.8*z) * float64(s))
		return min(d, 45*s)
	}
	sb := sandbox.New(sandbox.Config{Tokens: map[string]string{token: obligado}, RatePerMinute: limit, Window: window, Latency: latency})
	// How late a 10 ms ticker runs in this process: a stall here delays
	// arrivals as the server sees them, whatever the client did.
	var stall time.Duration
	stopLag, lagDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(lagDone)
		last := time.Now()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case now := <-tick.C:
				stall = max(stall, now.Sub(last)-10*time.Millisecond)
				last = now
			case <-stopLag:
				return
			}
		}
	}()
	defer func() {
		close(stopLag)
		<-lagDone
		fmt.Printf("   (pausa más larga del proceso del servidor: %s)\n", stall.Round(time.Millisecond))
	}()
	c := &counter{next: sb, window: window}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	srv := &http.Server{Handler: c}
	go srv.Serve(ln)
	defer srv.Close()

	args := []string{"run", "--url", "http://" + ln.Addr().String(), "--rate", fmt.Sprint(limit), "--ventana", window.String(),
		"--timeout", (90 * s).String(), "--espera-reintento", (2 * s).String(), "--espera-cierre", (60 * s).String(),
		"--journal", filepath.Join(dir, fmt.Sprintf("diario-%d.db", inFlight)), "-o", filepath.Join(dir, fmt.Sprintf("ritmo-%d.xlsx", inFlight))}
	if inFlight > 0 {
		args = append(args, "--concurrencia", fmt.Sprint(inFlight))
	}
	cmd := exec.Command(bin, append(args, in)...)
	cmd.Env = append(os.Environ(), "AFACTURAR_TOKEN="+token, "AFACTURAR_OBLIGADO="+obligado, "XDG_STATE_HOME="+filepath.Join(dir, "estado"))
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	check(cmd.Start())
	if stopAfter > 0 {
		stop := time.AfterFunc(stopAfter, func() { cmd.Process.Signal(syscall.SIGTERM) })
		defer stop.Stop()
	}
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 0 && stopAfter == 0 {
		check(fmt.Errorf("batch terminó con %d:\n%s", code, out.String()))
	}
	return c.result()
}
