package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"batch"
	"batch/journal"
	"batch/pipeline"
	"batch/sandbox"
)

// tokens is measurement 4: one process driving n tokens at once (a night
// of n companies from a configuration file) against the sandbox, each
// token with its own strict window, on a quiet machine and then with two
// CPU-bound processes beside it. Per token: achieved ÷ configured, the
// answers of 429, the most arrivals in any sliding and any fixed window;
// batch's CPU per request; then the ceiling, the most tokens one process
// keeps at 0.98 here, quiet and loaded; and the journal's commit rate.
func tokens(bin, dir string, scale, n, rows int) {
	window := time.Minute / time.Duration(scale)
	fmt.Printf("\n4. %d tokens a la vez en un proceso (%d filas cada uno), límite estricto de %d por ventana de %s por token\n", n, rows, limit, window)
	quiet := night(bin, dir, scale, n, rows, 0)
	floor := night(bare(dir), dir, scale, n, rows, 0)
	quiet.print(n, floor)
	fmt.Printf("\n4b. lo mismo con %d procesos que ocupan la CPU a la vez (prioridad normal; el servidor del banco, con prioridad alta, queda fuera de la contienda%s)\n", hogs, quiet.serverNote)
	loaded := night(bin, dir, scale, n, rows, hogs)
	loaded.print(n, night(bare(dir), dir, scale, n, rows, hogs))
	if withCeiling {
		ceiling(bin, dir, scale, rows, n)
	}
	commits(dir, n, limit/window.Seconds(), scale)
	alone := nightJournal(dir, scale, n, rows)
	fixedPart(bin, dir, scale, n, quiet, floor, alone)
}

// fewRows is each company's rows in the night of measurement 4e.
const fewRows = 2

// fixedPart is measurement 4e: the same night with fewRows rows per
// company, to tell what a night costs whatever its rows (reading the
// configuration, opening the journal, each company's workbook) from what
// each request adds, by the difference between the two nights; and what
// the parts batch cannot do without cost per request of the night of 4
// when each is measured alone: the bare client (the floor), the journal
// (4d) and the night's fixed part.
func fixedPart(bin, dir string, scale, n int, full, floor nightRun, journalAlone time.Duration) {
	small := night(bin, dir, scale, n, fewRows, 0)
	fmt.Printf("\n4e. la parte fija: la misma noche de %d empresas con %d filas cada una (%d solicitudes)\n", n, fewRows, small.total)
	extra := full.total - small.total
	if extra <= 0 || small.cpu <= 0 {
		fmt.Printf("   CPU de batch: %.2f s; sin diferencia que medir\n", small.cpu.Seconds())
		return
	}
	marginal := (full.cpu - small.cpu) / time.Duration(extra)
	fixed := max(small.cpu-marginal*time.Duration(small.total), 0)
	fmt.Printf("   CPU de batch: %.2f s; por diferencia con la noche de 4: parte fija %.2f s (%.1f ms por empresa: configuración, diario, cerrojos, libros) y %.2f ms por solicitud de más\n",
		small.cpu.Seconds(), fixed.Seconds(), 1000*fixed.Seconds()/float64(n), 1000*marginal.Seconds())
	if journalAlone <= 0 {
		return
	}
	perFixed := fixed / time.Duration(max(full.total, 1))
	least := floor.perRequest() + journalAlone + perFixed
	fmt.Printf("   suelo de la noche de 4, por solicitud, con cada parte medida sola: cliente desnudo %.2f + diario solo (4d) %.2f + parte fija %.2f = %.2f ms   (objetivo ≤ 0,5 ms; batch %.2f ms)\n",
		1000*floor.perRequest().Seconds(), 1000*journalAlone.Seconds(), 1000*perFixed.Seconds(), 1000*least.Seconds(), 1000*full.perRequest().Seconds())
}

// withCeiling searches the ceiling of tokens (measurement 4c).
var withCeiling = true

// profileNight, when set, is where the first night's CPU profile goes.
var profileNight string

// hogs is how many CPU-bound processes share the machine in the loaded
// measurements: the night server's backups, ERP export, antivirus.
const hogs = 2

// nightRun is what one night of n tokens measured.
type nightRun struct {
	ratios               []float64
	total, rejected      int
	maxSliding, maxFixed int
	wall                 time.Duration
	cpu                  time.Duration
	user, sys            time.Duration // cpu's two parts: in batch's code, in the kernel on its behalf
	each                 float64
	scale                int
	serverNote           string
	shortfall            string // what batch said when some rows did not end OK
}

func (r nightRun) perRequest() time.Duration { return r.cpu / time.Duration(max(r.total, 1)) }
func (r nightRun) ok() bool {
	return r.ratios[0] >= 0.98 && r.rejected == 0 && r.shortfall == ""
}

// shortOf is what batch said of the companies whose night did not end with
// every row OK (at most three).
func shortOf(out string) string {
	var bad []string
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, ": código ") && !strings.Contains(line, ": código 0") && len(bad) < 3 {
			bad = append(bad, strings.TrimSpace(line))
		}
	}
	if len(bad) == 0 {
		return "código de salida 1"
	}
	return strings.Join(bad, " | ")
}

// bare is the floor's client (barehttp) in place of batch: for night, a
// path ending in barehttp runs it instead.
func bare(dir string) string { return filepath.Join(dir, "barehttp") }

func (r nightRun) print(n int, floor nightRun) {
	fmt.Printf("   %d solicitudes en %.1f s de proceso (arranque, revisión previa y últimas respuestas incluidos); configurado %.2f/s por token (%.0f/s los %d)\n", r.total, r.wall.Seconds(), r.each, r.each*float64(n), n)
	fmt.Printf("   logrado ÷ configurado por token: mínimo %.4f, mediana %.4f, máximo %.4f   (objetivo ≥ 0,98 cada uno)   %s\n",
		r.ratios[0], r.ratios[len(r.ratios)/2], r.ratios[len(r.ratios)-1], verdict(r.ratios[0] >= 0.98))
	fmt.Printf("   respuestas 429 = %d   %s; tokens bajo 0,98 = %d; máximo de un token en una ventana deslizante = %d, en una ventana fija = %d (límite %d)\n",
		r.rejected, verdict(r.rejected == 0 && r.maxSliding <= limit && r.maxFixed <= limit), below(r.ratios, 0.98), r.maxSliding, r.maxFixed, limit)
	if r.shortfall != "" {
		fmt.Printf("   batch terminó con filas que no quedaron OK: %s   NO CUMPLE\n", r.shortfall)
	}
	fmt.Printf("   CPU de batch: %.1f s para %d solicitudes (%.1f s en su código, %.1f s en el núcleo), %.2f ms por solicitud   (objetivo ≤ 0,5 ms)   %s\n",
		r.cpu.Seconds(), r.total, r.user.Seconds(), r.sys.Seconds(), 1000*r.perRequest().Seconds(), verdict(r.perRequest() <= 500*time.Microsecond))
	fmt.Printf("   piso: un cliente net/http desnudo (barehttp: la misma noche, sin hoja, diario, reintentos ni libro) gasta %.2f ms por solicitud (%.1f s en su código, %.1f s en el núcleo); batch ÷ piso = %.2f\n",
		1000*floor.perRequest().Seconds(), floor.user.Seconds(), floor.sys.Seconds(), r.perRequest().Seconds()/floor.perRequest().Seconds())
}

// night runs one night of n tokens against a fresh sandbox, with hogs
// CPU-bound processes beside batch.
func night(bin, dir string, scale, n, rows, hogs int) nightRun {
	window := time.Minute / time.Duration(scale)
	each := limit / window.Seconds()
	sub, err := os.MkdirTemp(dir, "noche-")
	check(err)
	defer os.RemoveAll(sub)
	toks, env, cfg, list := companies(sub, n, rows)
	s := time.Second / time.Duration(scale)
	c := &perToken{next: sandbox.New(sandbox.Config{Tokens: toks, RatePerMinute: limit, Window: window, Latency: heavyTail(scale)}), arrivals: map[string][]time.Time{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	srv := &http.Server{Handler: c}
	go srv.Serve(ln)
	defer srv.Close()
	note := ""
	if hogs > 0 {
		note = raisePriority()
		for i := 0; i < hogs; i++ {
			hog := normalPriority(exec.Command("sh", "-c", "while :; do :; done"))
			check(hog.Start())
			defer func() { hog.Process.Kill(); hog.Wait() }()
		}
	}
	start := time.Now()
	var cmd *exec.Cmd
	if filepath.Base(bin) == "barehttp" {
		// At batch's own pace: the limit over the window and its margin.
		cmd = normalPriority(exec.Command(bin, "http://"+ln.Addr().String(), list, fmt.Sprint(1/pipeline.Interval(limit, window).Seconds())))
	} else {
		cmd = normalPriority(exec.Command(bin, "run", "--config", cfg, "--url", "http://"+ln.Addr().String(), "--rate", fmt.Sprint(limit),
			"--ventana", window.String(), "--timeout", (90 * s).String(), "--espera-reintento", (2 * s).String(),
			"--journal", filepath.Join(sub, "tokens.db")))
		if profileNight != "" {
			env = append(env, "BATCH_PERFIL_CPU="+profileNight)
			defer func() { profileNight = "" }()
		}
	}
	cmd.Env = append(append(os.Environ(), env...), "XDG_STATE_HOME="+filepath.Join(sub, "estado"))
	out, err := cmd.CombinedOutput()
	r := nightRun{wall: time.Since(start), each: each, scale: scale, serverNote: note}
	if err != nil && cmd.ProcessState.ExitCode() != 1 {
		check(fmt.Errorf("batch: %v\n%s", err, out))
	}
	if err != nil {
		// Some rows did not end OK: the night fell short, whatever the
		// ratios say.
		r.shortfall = shortOf(string(out))
	}
	r.ratios = c.ratios(each)
	r.total, r.rejected = c.total, c.rejected
	r.maxSliding, r.maxFixed = c.most(window)
	r.user, r.sys = cmd.ProcessState.UserTime(), cmd.ProcessState.SystemTime()
	r.cpu = r.user + r.sys
	return r
}

// heavyTail is the night's latency: log-normal around 3 s (at scale 1),
// at most 45 s, the same sequence every run.
func heavyTail(scale int) func() time.Duration {
	s := time.Second / time.Duration(scale)
	rng := rand.New(rand.NewPCG(20261121, 4))
	var mu sync.Mutex
	return func() time.Duration {
		mu.Lock()
		z := rng.NormFloat64()
		mu.Unlock()
		return min(time.Duration(3*math.Exp(0.8*z)*float64(s)), 45*s)
	}
}

// ceiling finds the most tokens one process keeps at 0.98 of their limit
// with no 429, quiet and loaded, doubling from start and then halving the
// gap, a night each.
func ceiling(bin, dir string, scale, rows, start int) {
	fmt.Printf("\n4c. techo: cuántos tokens sostiene un proceso en esta máquina, cada uno ≥ 0,98 y sin 429\n")
	for _, load := range []int{0, hogs} {
		good, bad := 0, 0
		var at nightRun
		for n := start; bad == 0 || bad-good > max(good/8, 10); {
			r := night(bin, dir, scale, n, rows, load)
			fmt.Printf("     %s, %d tokens: mínimo %.4f, 429 = %d, %.2f ms de CPU por solicitud%s\n", loadName(load), n, r.ratios[0], r.rejected, 1000*r.perRequest().Seconds(), shortNote(r))
			if r.ok() {
				good, at = n, r
			} else {
				bad = n
			}
			if bad == 0 {
				n *= 2
			} else {
				n = (good + bad) / 2
			}
			if n <= good || (bad > 0 && n >= bad) {
				break
			}
		}
		if good == 0 {
			fmt.Printf("   %s: ni %d tokens llegan a 0,98\n", loadName(load), start)
			continue
		}
		fmt.Printf("   %s: techo ≈ %d tokens (%d solicitudes/s a esta escala, %.2f ms de CPU por solicitud); con %d ya no\n",
			loadName(load), good, int(at.each*float64(good)), 1000*at.perRequest().Seconds(), bad)
	}
}

func shortNote(r nightRun) string {
	if r.shortfall == "" {
		return ""
	}
	return "; filas sin OK: " + r.shortfall
}

func loadName(load int) string {
	if load == 0 {
		return "sin carga"
	}
	return fmt.Sprintf("con %d procesos ocupando la CPU", load)
}

// companies writes n companies' files and the configuration file naming
// them; it returns the sandbox's tokens, the environment with each, and
// the list of companies for barehttp ("token nit file" a line).
func companies(dir string, n, rows int) (map[string]string, []string, string, string) {
	toks := map[string]string{}
	var env []string
	var cfg, list strings.Builder
	fmt.Fprintf(&cfg, "carpeta_resultados = %q\n\n", dir)
	for i := 0; i < n; i++ {
		tok, nit := fmt.Sprintf("token-%02d", i), fmt.Sprintf("9001%05d", i)
		toks[tok] = nit
		env = append(env, fmt.Sprintf("TOKEN_%02d=%s", i, tok))
		file := filepath.Join(dir, fmt.Sprintf("empresa-%02d.csv", i))
		writeCSVFrom(file, 10_000_000+i*rows, rows)
		fmt.Fprintf(&cfg, "[[obligados]]\nnit = %q\ntoken_env = \"TOKEN_%02d\"\narchivos = [%q]\n\n", nit, i, file)
		fmt.Fprintf(&list, "%s %s %s\n", tok, nit, file)
	}
	path := filepath.Join(dir, "empresas.toml")
	check(os.WriteFile(path, []byte(cfg.String()), 0o600))
	listPath := filepath.Join(dir, "empresas.txt")
	check(os.WriteFile(listPath, []byte(list.String()), 0o600))
	return toks, env, path, listPath
}

// perToken counts each token's arrivals and the 429s.
type perToken struct {
	next     http.Handler
	mu       sync.Mutex
	arrivals map[string][]time.Time
	total    int
	rejected int
}

func (c *perToken) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	c.mu.Lock()
	c.arrivals[tok] = append(c.arrivals[tok], time.Now())
	c.total++
	c.mu.Unlock()
	sw := &statusWriter{ResponseWriter: w, status: 200}
	c.next.ServeHTTP(sw, r)
	if sw.status == http.StatusTooManyRequests {
		c.mu.Lock()
		c.rejected++
		c.mu.Unlock()
	}
}

// ratios are each token's achieved rate over its first to last arrival,
// against the configured one, smallest first.
func (c *perToken) ratios(each float64) []float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []float64
	for _, a := range c.arrivals {
		span := a[len(a)-1].Sub(a[0]).Seconds()
		out = append(out, float64(len(a)-1)/span/each)
	}
	sort.Float64s(out)
	return out
}

// most is the most arrivals of one token in any sliding window, and in
// any fixed window (counted from the token's first arrival).
func (c *perToken) most(window time.Duration) (sliding, fixed int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, a := range c.arrivals {
		j := 0
		for i := range a {
			for j < len(a) && a[j].Sub(a[i]) < window {
				j++
			}
			sliding = max(sliding, j-i)
		}
		counts := map[int64]int{}
		for _, t := range a {
			k := t.Sub(a[0]) / window
			counts[int64(k)]++
			fixed = max(fixed, counts[int64(k)])
		}
	}
	return sliding, fixed
}

func below(r []float64, x float64) int {
	n := 0
	for _, v := range r {
		if v < x {
			n++
		}
	}
	return n
}

// commits measures the journal on this disk: ten writers a token (the
// requests a night of n companies has in flight) through one journal, for
// 3 s, each Begin and End on disk before it returns; the records per
// second and the transactions (with their fsync) the group committer made
// of them, beside what n tokens need: two records (Begin, End) per request.
func commits(dir string, n int, each float64, scale int) {
	j, err := journal.Open(filepath.Join(dir, "commits.db"))
	check(err)
	defer j.Close()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		count int
	)
	deadline := time.Now().Add(3 * time.Second)
	for w := 0; w < 10*n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := j.Ledger(journal.Pruebas, fmt.Sprintf("9001%05d", w/10))
			for k := 0; time.Now().Before(deadline); k++ {
				key := fmt.Sprintf("k%d-%d", w%10, k)
				id, err := p.Begin(batch.OpAcuse, key, batch.Origin{Source: "fila"}, "data")
				check(err)
				check(p.End(id, batch.OpAcuse, key, batch.Answer{Class: batch.ClassOK}, batch.Result{Status: batch.StatusOK}))
				mu.Lock()
				count += 2
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	txs, records := j.Commits()
	rate := float64(count) / 3
	need := 2 * each * float64(n)
	fmt.Printf("\n   diario: %.0f registros/s en este disco con %d escritores, en %.0f transacciones/s (%.1f registros por commit, fsync en cada commit); %d tokens a esta escala necesitan %.0f registros/s, en tiempo real %.0f/s: margen %.1f× en tiempo real\n",
		rate, 10*n, float64(txs)/3, float64(records)/float64(max(txs, 1)), n, need, need/float64(scale), rate/(need/float64(scale)))
	fmt.Printf("   tokens que este diario sostiene en tiempo real al límite: unos %.0f\n", rate/(2*each/float64(scale)))
}
