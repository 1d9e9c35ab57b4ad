package night

import (
	"fmt"
	"strings"
	"time"

	"batch"
	"batch/internal/text"
	"batch/pipeline"
)

// onGate tells whoever watches the run what a provider's gate did, and
// records each pause in the journal when it ends.
func (r *Run) onGate(ev pipeline.Event) {
	p := ev.Pause
	switch ev.Kind {
	case pipeline.EventDown, pipeline.EventProbe:
		r.tell(fmt.Sprintf("%s no responde desde %s; reintentando cada %s", p.Service, p.Start.Format("15:04"), every(ev.Interval)))
		return
	case pipeline.EventUp:
		r.tell(fmt.Sprintf("%s responde de nuevo (caída de %s, %d sondeos)", p.Service, text.HumanDuration(p.End.Sub(p.Start)), p.Probes))
	case pipeline.EventGaveUp:
		r.tell(fmt.Sprintf("%s no respondió en %s: sus filas sin respuesta quedan PENDIENTE para la próxima ejecución", p.Service, text.HumanDuration(r.s.Outage)))
	}
	if r.db != nil {
		if err := r.db.RecordPause(p.Service, p.Start, p.End, p.Probes, p.Recovered); err != nil {
			r.tell(err.Error())
		}
	}
}

// tell writes a line for whoever watches the run.
func (r *Run) tell(line string) { r.watch.Event("batch: " + line) }

// pauses are the outages of every provider, for the Resumen sheet; one
// still under way when the run ended ends then.
func (r *Run) pauses(ended time.Time) []batch.Pause {
	var out []batch.Pause
	for _, g := range r.gates {
		for _, p := range g.Pauses() {
			if p.End.IsZero() {
				p.End = ended
			}
			out = append(out, p)
		}
	}
	return out
}

// every says a probe's interval: tenths of a second under ten seconds.
func every(d time.Duration) string {
	if d < 10*time.Second {
		return strings.Replace(fmt.Sprintf("%.1f s", d.Seconds()), ".", ",", 1)
	}
	return text.HumanDuration(d)
}
