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
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"batch"
	"batch/journal"
	"batch/sandbox"
)

// tokens is measurement 4: one process driving n tokens at once (a night
// of n companies from a configuration file) against the sandbox, each
// token with its own strict window. Per token: achieved ÷ configured, the
// answers of 429; and the journal's commit rate beside what the load needs
// (two commits per request).
func tokens(bin, dir string, scale, n, rows int) {
	window := time.Minute / time.Duration(scale)
	each := limit / window.Seconds()
	fmt.Printf("\n4. %d tokens a la vez en un proceso (%d filas cada uno), límite estricto de %d por ventana de %s por token\n", n, rows, limit, window)
	toks, env, cfg := companies(dir, n, rows)
	s := time.Second / time.Duration(scale)
	rng := rand.New(rand.NewPCG(20261121, 4))
	var rngMu sync.Mutex
	latency := func() time.Duration {
		rngMu.Lock()
		z := rng.NormFloat64()
		rngMu.Unlock()
		return min(time.Duration(3*math.Exp(0.8*z)*float64(s)), 45*s)
	}
	c := &perToken{next: sandbox.New(sandbox.Config{Tokens: toks, RatePerMinute: limit, Window: window, Latency: latency}), arrivals: map[string][]time.Time{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	srv := &http.Server{Handler: c}
	go srv.Serve(ln)
	defer srv.Close()
	start := time.Now()
	cmd := exec.Command(bin, "run", "--config", cfg, "--quiet", "--url", "http://"+ln.Addr().String(), "--rate", fmt.Sprint(limit),
		"--ventana", window.String(), "--timeout", (90 * s).String(), "--espera-reintento", (2 * s).String(),
		"--journal", filepath.Join(dir, "tokens.db"))
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		check(fmt.Errorf("batch: %v\n%s", err, out))
	}
	wall := time.Since(start)
	ratios := c.ratios(each)
	fmt.Printf("   %d solicitudes en %.1f s de proceso (arranque, revisión previa y últimas respuestas incluidos); configurado %.2f/s por token (%.0f/s los %d)\n", c.total, wall.Seconds(), each, each*float64(n), n)
	fmt.Printf("   logrado ÷ configurado por token: mínimo %.4f, mediana %.4f, máximo %.4f   (objetivo ≥ 0,98 cada uno)   %s\n",
		ratios[0], ratios[len(ratios)/2], ratios[len(ratios)-1], verdict(ratios[0] >= 0.98))
	fmt.Printf("   respuestas 429 = %d   %s; tokens bajo 0,98 = %d\n", c.rejected, verdict(c.rejected == 0), below(ratios, 0.98))
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	perRequest := cpu.Seconds() / float64(c.total)
	fmt.Printf("   CPU de batch: %.1f s para %d solicitudes, %.2f ms por solicitud: %d CPU sostienen en tiempo real unos %.0f tokens al límite\n",
		cpu.Seconds(), c.total, 1000*perRequest, runtime.NumCPU(), float64(runtime.NumCPU())/perRequest/(each/float64(scale)))
	commits(dir, n, each, scale)
}

// companies writes n companies' files and the configuration file naming
// them; it returns the sandbox's tokens and the environment with each.
func companies(dir string, n, rows int) (map[string]string, []string, string) {
	toks := map[string]string{}
	var env []string
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "carpeta_resultados = %q\n\n", dir)
	for i := 0; i < n; i++ {
		tok, nit := fmt.Sprintf("token-%02d", i), fmt.Sprintf("9001%05d", i)
		toks[tok] = nit
		env = append(env, fmt.Sprintf("TOKEN_%02d=%s", i, tok))
		file := filepath.Join(dir, fmt.Sprintf("empresa-%02d.csv", i))
		writeCSVFrom(file, 10_000_000+i*rows, rows)
		fmt.Fprintf(&cfg, "[[obligados]]\nnit = %q\ntoken_env = \"TOKEN_%02d\"\narchivos = [%q]\n\n", nit, i, file)
	}
	path := filepath.Join(dir, "empresas.toml")
	check(os.WriteFile(path, []byte(cfg.String()), 0o600))
	return toks, env, path
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

func below(r []float64, x float64) int {
	n := 0
	for _, v := range r {
		if v < x {
			n++
		}
	}
	return n
}

// commits measures the journal's commit rate on this disk, n writers
// through one connection as a night of n companies writes, for 3 s, and
// sets it beside what n tokens need: two commits (Begin, End) per request.
func commits(dir string, n int, each float64, scale int) {
	j, err := journal.Open(filepath.Join(dir, "commits.db"), "")
	check(err)
	defer j.Close()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		count int
	)
	deadline := time.Now().Add(3 * time.Second)
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := j.For(journal.Pruebas, fmt.Sprintf("9001%05d", w))
			for k := 0; time.Now().Before(deadline); k++ {
				key := fmt.Sprintf("k%d", k)
				id, err := p.Begin(batch.OpAcuse, key, "fila", "data")
				check(err)
				check(p.End(id, batch.OpAcuse, key, batch.Answer{Class: batch.ClassOK}, batch.Result{Status: batch.StatusOK}))
				mu.Lock()
				count += 2
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	rate := float64(count) / 3
	need := 2 * each * float64(n)
	fmt.Printf("   diario: %.0f commits/s en este disco (fsync en cada uno); %d tokens a esta escala necesitan %.0f/s, en tiempo real %.0f/s: margen %.1f× en tiempo real\n",
		rate, n, need, need/float64(scale), rate/(need/float64(scale)))
	fmt.Printf("   tokens que este diario sostiene en tiempo real al límite: unos %.0f\n", rate/(2*each/float64(scale)))
}
