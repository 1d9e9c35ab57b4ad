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
	"strings"
	"sync"
	"time"

	"github.com/xuri/excelize/v2"

	"batch/sandbox"
)

// orderLimit is measurement 5's limit per window: larger than measurement
// 1's, so that 1,800 events take under a minute a run.
const orderLimit = 600

// eventOrder is measurement 5: CUFEs × the three RADIAN events, in DIAN's
// order (030, 032, 031 of each CUFE) and in reverse row order, against a
// sandbox that refuses an event before its predecessor (ORD01) and an
// event twice (LGC01). Each order runs twice, in turns; the time is the
// span of arrivals at the server.
func eventOrder(bin, dir string, scale, cufes int) {
	window := time.Minute / time.Duration(scale)
	dian, reverse := filepath.Join(dir, "eventos-dian.csv"), filepath.Join(dir, "eventos-inverso.csv")
	writeEvents(dian, cufes, false)
	writeEvents(reverse, cufes, true)
	fmt.Printf("\n5. eventos de RADIAN: %d CUFE × 030, 032 y 031 (%d solicitudes), límite estricto de %d por ventana de %s, en el orden de la DIAN y en orden inverso de filas (dos de cada uno, por turnos)\n",
		cufes, 3*cufes, orderLimit, window)
	var spans [2][]time.Duration
	var worst [2]orderRun
	for k := 0; k < 2; k++ {
		for o, in := range []string{dian, reverse} {
			r := runEvents(bin, dir, in, window, scale, fmt.Sprintf("%d-%d", o, k))
			spans[o] = append(spans[o], r.span)
			worst[o] = worst[o].worse(r)
		}
	}
	for o, name := range []string{"orden de la DIAN", "orden inverso   "} {
		w := worst[o]
		fmt.Printf("   %s: %s y %s; %d no OK (fuera de orden o repetidos), 429 = %d, en vuelo máx. %d, máx. en una ventana %d de %d\n",
			name, round(spans[o][0]), round(spans[o][1]), w.notOK, w.rejected, w.maxInFlight, w.maxInWindow, orderLimit)
	}
	ratio := mean(spans[1]) / mean(spans[0])
	clean := worst[0].notOK+worst[1].notOK+worst[0].rejected+worst[1].rejected == 0 && max(worst[0].maxInWindow, worst[1].maxInWindow) <= orderLimit
	fmt.Printf("   tiempo inverso ÷ orden de la DIAN = %.4f   (objetivo ≤ 1,02)   %s\n", ratio, verdict(ratio <= 1.02))
	fmt.Printf("   todas OK, ninguna fuera de orden ni repetida, sin 429, dentro del límite   %s\n", verdict(clean))
}

func mean(ds []time.Duration) float64 {
	var s float64
	for _, d := range ds {
		s += d.Seconds()
	}
	return s / float64(len(ds))
}

// writeEvents writes a row per CUFE and event: each CUFE's 030, 032 and
// 031 in turn, or the whole file backwards.
func writeEvents(path string, n int, reverse bool) {
	rows := make([]string, 0, 3*n)
	for i := 0; i < n; i++ {
		c := cufe(500000 + i)
		rows = append(rows, c+";030;", c+";032;", c+";031;02")
	}
	if reverse {
		for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
			rows[i], rows[j] = rows[j], rows[i]
		}
	}
	check(os.WriteFile(path, []byte("CUFE;Evento;Tipo reclamo\n"+strings.Join(rows, "\n")+"\n"), 0o644))
}

type orderRun struct {
	span                                      time.Duration
	notOK, rejected, maxInFlight, maxInWindow int
}

func (a orderRun) worse(b orderRun) orderRun {
	return orderRun{notOK: max(a.notOK, b.notOK), rejected: max(a.rejected, b.rejected),
		maxInFlight: max(a.maxInFlight, b.maxInFlight), maxInWindow: max(a.maxInWindow, b.maxInWindow)}
}

// runEvents runs the binary over in against a fresh sandbox with
// heavy-tailed latency, and counts what came back not OK.
func runEvents(bin, dir, in string, window time.Duration, scale int, tag string) orderRun {
	rng := rand.New(rand.NewPCG(20261201, uint64(len(tag))))
	var rngMu sync.Mutex
	s := time.Second / time.Duration(scale)
	latency := func() time.Duration {
		rngMu.Lock()
		z := rng.NormFloat64()
		rngMu.Unlock()
		return min(time.Duration(math.Exp(0.8*z)*float64(s)), 45*s)
	}
	sb := sandbox.New(sandbox.Config{Tokens: map[string]string{token: obligado}, RatePerMinute: orderLimit, Window: window, Latency: latency})
	c := &counter{next: sb, window: window}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	srv := &http.Server{Handler: c}
	go srv.Serve(ln)
	defer srv.Close()
	out := filepath.Join(dir, "eventos-"+tag+".xlsx")
	cmd := exec.Command(bin, "run", "--url", "http://"+ln.Addr().String(), "--rate", fmt.Sprint(orderLimit), "--ventana", window.String(),
		"--timeout", (90 * s).String(), "--journal", filepath.Join(dir, "eventos-"+tag+".db"), "-o", out, "--quiet",
		"--tipo-identificacion", "13", "--identificacion", "52123456", "--nombres", "Ana", "--apellidos", "Gómez", in)
	cmd.Env = append(os.Environ(), "AFACTURAR_TOKEN="+token, "AFACTURAR_OBLIGADO="+obligado, "XDG_STATE_HOME="+filepath.Join(dir, "estado"))
	msg, err := cmd.CombinedOutput()
	if err != nil {
		check(fmt.Errorf("batch terminó con %v:\n%s", err, msg))
	}
	p := c.result()
	return orderRun{span: p.span(), notOK: notOK(out), rejected: p.rejected, maxInFlight: p.maxInFlight, maxInWindow: p.maxInWindow}
}

// notOK counts the workbook's event results that are not OK.
func notOK(path string) int {
	f, err := excelize.OpenFile(path)
	check(err)
	defer f.Close()
	rows, err := f.GetRows("Resultados")
	check(err)
	n := 0
	for _, row := range rows[1:] {
		for j, name := range rows[0] {
			if strings.HasSuffix(name, "_estado") && j < len(row) && row[j] != "" && row[j] != "OK" {
				n++
			}
		}
	}
	return n
}
