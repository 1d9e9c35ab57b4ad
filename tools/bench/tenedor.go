package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"batch/sandbox"
)

// holders measures the legítimo tenedor query at ten times Afacturar's
// speed: n CUFEs against a stand that answers each list in 6 s and allows
// 120 requests per 6 s, beside two baselines measured against the same
// stand for a while and extrapolated: one CUFE per request at the limit,
// and one list of 20 at a time.
func holders(bin, dir string, n int, baselineFor time.Duration) {
	const (
		latency = 6 * time.Second
		window  = 6 * time.Second
		perList = 20
	)
	lists := (n + perList - 1) / perList
	perSecond := float64(limit) / window.Seconds()
	// Ideal: the lists as fast as the limit lets them out, the last one's
	// answer after it.
	ideal := time.Duration(float64(lists-1)/perSecond*float64(time.Second)) + latency
	fmt.Printf("\n7. legítimo tenedor: %d CUFE, respuestas en %s, límite de %d solicitudes por %s (×10 de Afacturar); ideal %s (%d listas de %d)\n",
		n, latency, limit, window, round(ideal), lists, perList)
	sb, url, stop := tenedorStand(latency, window)
	defer stop()
	in := filepath.Join(dir, "tenedor.csv")
	writeCSV(in, n)
	cmd := exec.Command(bin, "run", "--quiet", "--url", url, "--rate", fmt.Sprint(limit), "--ventana", window.String(), "--ops", "tenedor",
		"--copias-diario", "0", "--journal", filepath.Join(dir, "tenedor.db"), "-o", filepath.Join(dir, "tenedor.xlsx"), in)
	cmd.Env = append(os.Environ(), "AFACTURAR_TOKEN="+token, "AFACTURAR_OBLIGADO="+obligado, "XDG_STATE_HOME="+filepath.Join(dir, "estado"))
	ran := measureExit(cmd, 1) // endorsed invoices are rows to look at
	requests := sb.TenedorRequests()
	fmt.Printf("   batch: %d CUFE en %.1f s, %d solicitudes, RSS máx. %d MB\n", n, ran.wall.Seconds(), requests, ran.rssMB)
	ratio := ran.wall.Seconds() / ideal.Seconds()
	fmt.Printf("   tiempo ÷ ideal = %.3f   (objetivo ≤ 1,05)   %s\n", ratio, verdict(ratio <= 1.05))
	fmt.Printf("   solicitudes = %d (objetivo ≤ ⌈N/20⌉ + 1 = %d)   %s;   respuestas 429 = %d   %s\n",
		requests, lists+1, verdict(requests <= lists+1), sb.RateLimited(), verdict(sb.RateLimited() == 0))

	one := baseline(url, n, 1, 0, perSecond, baselineFor)
	fmt.Printf("   de a un CUFE por solicitud, al límite: %d CUFE en %s: los %d tardarían %s (%.0f× batch)\n",
		one.done, baselineFor, n, round(one.total(n)), one.total(n).Seconds()/ran.wall.Seconds())
	seq := baseline(url, n, perList, 1, perSecond, baselineFor)
	fmt.Printf("   de a una lista de 20 a la vez: %d CUFE en %s: los %d tardarían %s (%.0f× batch)\n",
		seq.done, baselineFor, n, round(seq.total(n)), seq.total(n).Seconds()/ran.wall.Seconds())
}

// tenedorStand is the sandbox answering the tenedor query after latency,
// with the limit per window, on a port of its own.
func tenedorStand(latency, window time.Duration) (*sandbox.Server, string, func()) {
	sb := sandbox.New(sandbox.Config{Tokens: map[string]string{token: obligado}, RatePerMinute: limit, Window: window, TenedorLatency: latency})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	srv := &http.Server{Handler: sb}
	go srv.Serve(ln)
	return sb, "http://" + ln.Addr().String(), func() { srv.Close() }
}

// run is how far a baseline got: the CUFEs answered, when the first
// answer came and when the measure ended.
type run struct {
	done, firstDone int
	first, took     time.Duration
}

// total is the time the whole n would take: the first answer's wait, then
// the rest at the pace measured after it.
func (r run) total(n int) time.Duration {
	if r.done <= r.firstDone || r.took <= r.first {
		return time.Duration(math.MaxInt64)
	}
	perCUFE := float64(r.took-r.first) / float64(r.done-r.firstDone)
	return r.first + time.Duration(perCUFE*float64(n-r.firstDone))
}

// baseline asks CUFEs perList to a request (one request at a time when
// serial is 1, else as many as the limit lets out) for a while, against a
// fresh stand at url's pace, and counts the CUFEs answered.
func baseline(url string, n, perList, serial int, perSecond float64, during time.Duration) run {
	limiter := rate.NewLimiter(rate.Limit(perSecond*0.98), 1)
	ctx, cancel := context.WithTimeout(context.Background(), during)
	defer cancel()
	var (
		mu    sync.Mutex
		done  int
		first time.Duration
		once  int
		wg    sync.WaitGroup
		sem   = make(chan struct{}, max(serial, 1))
	)
	start := time.Now()
	for i := 0; ctx.Err() == nil; i += perList {
		if serial > 0 {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
			}
		}
		if limiter.Wait(ctx) != nil {
			break
		}
		var list []string
		for k := i; k < i+perList; k++ {
			list = append(list, cufe(k%n))
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if serial > 0 {
				defer func() { <-sem }()
			}
			if ask(ctx, url, list) {
				mu.Lock()
				if first == 0 {
					first, once = time.Since(start), len(list)
				}
				done += len(list)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return run{done: done, firstDone: once, first: first, took: time.Since(start)}
}

// ask posts one list and reports whether it was answered.
func ask(ctx context.Context, url string, list []string) bool {
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("documento_obligado", obligado)
	w.WriteField("lista_cufe", strings.Join(list, ","))
	w.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/api/radian/lector_cufe_tenedor_legitimo", &body)
	check(err)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
