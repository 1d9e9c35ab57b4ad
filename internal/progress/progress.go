// Package progress shows how far a long job is: a live bar on a terminal,
// a line at an interval in a log (cron, systemd), and lines of its own
// above the bar.
package progress

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"

	"batch/internal/text"
)

// Every is how often a line is printed when the output is not a terminal.
var Every = time.Minute

// Display shows how far the run is: a live bar on a terminal, one line a
// minute elsewhere.
type Display struct {
	total int
	rows  atomic.Int64
	sent  func() int
	start time.Time
	w     io.Writer

	mu   sync.Mutex // one line at a time from the gates' events
	bars *mpb.Progress
	bar  *mpb.Bar
	done chan struct{}
	wg   sync.WaitGroup
}

// terminal is the terminal w writes to, if it does: w itself, or the one
// behind a writer that filters what is written to it (Terminal). The bar
// is drawn on the terminal directly; it shows counts and the lines Say
// is given.
func terminal(w io.Writer) *os.File {
	f, ok := w.(*os.File)
	if t, filtered := w.(interface{ Terminal() *os.File }); !ok && filtered {
		f = t.Terminal()
	}
	if f == nil || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return f
}

// Start begins showing the progress of total rows; the rate is
// sent's, the requests let out so far.
func Start(w io.Writer, total int, sent func() int) *Display {
	p := &Display{total: total, sent: sent, start: time.Now(), w: w, done: make(chan struct{})}
	if f := terminal(w); f != nil && total > 0 && escapes(f.Fd()) {
		p.bars = mpb.New(mpb.WithOutput(f), mpb.WithWidth(72), mpb.WithRefreshRate(250*time.Millisecond))
		p.bar = p.bars.AddBar(int64(total),
			mpb.PrependDecorators(decor.Name("filas "), decor.CountersNoUnit("%d/%d", decor.WCSyncWidth)),
			mpb.AppendDecorators(
				decor.Percentage(decor.WCSyncSpace),
				decor.Any(func(decor.Statistics) string { return fmt.Sprintf(" · %.0f/min", p.perMinute()) }),
				decor.Name(" · faltan "),
				decor.Any(func(decor.Statistics) string { return p.remaining() }),
			),
		)
	}
	p.wg.Add(1)
	go p.loop()
	return p
}

func (p *Display) loop() {
	defer p.wg.Done()
	every := Every
	if p.bar != nil {
		every = 250 * time.Millisecond
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-p.done:
			return
		case <-tick.C:
			if p.bar != nil {
				p.bar.SetCurrent(p.rows.Load())
				continue
			}
			fmt.Fprintln(p.w, p.line())
		}
	}
}

// line is the off-terminal progress line.
func (p *Display) line() string {
	n := p.rows.Load()
	pct := 100.0
	if p.total > 0 {
		pct = 100 * float64(n) / float64(p.total)
	}
	return fmt.Sprintf("batch: %s — %d de %d filas (%.0f %%), %d solicitudes, %.0f por minuto, faltan %s",
		time.Now().Format("15:04"), n, p.total, pct, p.sent(), p.perMinute(), p.remaining())
}

func (p *Display) perMinute() float64 {
	el := time.Since(p.start)
	if el <= 0 {
		return 0
	}
	return float64(p.sent()) / el.Minutes()
}

// remaining extrapolates the rows still to come at the pace so far.
func (p *Display) remaining() string {
	n := p.rows.Load()
	if n == 0 {
		return "…"
	}
	left := time.Duration(float64(time.Since(p.start)) / float64(n) * float64(int64(p.total)-n))
	return "~" + text.HumanDuration(max(left, 0))
}

// Say writes a line for whoever watches: above the bar on a terminal, as
// a line of the log elsewhere.
func (p *Display) Say(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bars != nil {
		fmt.Fprintln(p.bars, line)
		return
	}
	fmt.Fprintln(p.w, line)
}

// Stop ends the display; the bar is left complete on screen.
func (p *Display) Stop() {
	if p == nil {
		return
	}
	close(p.done)
	p.wg.Wait()
	if p.bar != nil {
		// A bar with a total completes when it reaches it; a run that
		// stopped short ends its bar where it was.
		n := p.rows.Load()
		p.bar.SetCurrent(n)
		if n < int64(p.total) {
			p.bar.Abort(false)
		}
		p.bars.Wait()
	}
}

// Row counts one row done.
func (p *Display) Row() { p.rows.Add(1) }

// Prefixed is a writer that writes each whole line with prefix, one
// writer of those sharing mu at a time: several runs share one log.
func Prefixed(prefix string, w io.Writer, mu *sync.Mutex) io.Writer {
	return &prefixed{prefix: prefix, w: w, mu: mu}
}

type prefixed struct {
	prefix string
	w      io.Writer
	mu     *sync.Mutex
	buf    bytes.Buffer
}

func (p *prefixed) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf.Write(b)
	for {
		i := bytes.IndexByte(p.buf.Bytes(), '\n')
		if i < 0 {
			return len(b), nil
		}
		line := p.buf.Next(i + 1)
		if _, err := io.WriteString(p.w, p.prefix+string(line)); err != nil {
			return 0, err
		}
	}
}
