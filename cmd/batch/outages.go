package main

import (
	"batch"
	"fmt"
	"strings"
	"time"

	"batch/pipeline"
)

// onGate tells whoever watches the run what a provider's gate did, and
// records each pause in the journal when it ends.
func (n *night) onGate(ev pipeline.Event) {
	p := ev.Pause
	switch ev.Kind {
	case pipeline.EventDown, pipeline.EventProbe:
		n.tell(fmt.Sprintf("%s no responde desde %s; reintentando cada %s", p.Service, p.Start.Format("15:04"), every(ev.Interval)))
		return
	case pipeline.EventUp:
		n.tell(fmt.Sprintf("%s responde de nuevo (caída de %s, %d sondeos)", p.Service, humanDuration(p.End.Sub(p.Start)), p.Probes))
	case pipeline.EventGaveUp:
		n.tell(fmt.Sprintf("%s no respondió en %s: sus filas sin respuesta quedan PENDIENTE para la próxima ejecución", p.Service, humanDuration(n.opts.outage)))
	}
	if n.db != nil {
		if err := n.db.RecordPause(p.Service, p.Start, p.End, p.Probes, p.Recovered); err != nil {
			n.tell(err.Error())
		}
	}
}

// tell writes a line for whoever watches the run.
func (n *night) tell(line string) {
	if n.say != nil {
		n.say("batch: " + line)
	}
}

// pauses are the outages of every provider, for the Resumen sheet; one
// still under way when the run ended ends then.
func (n *night) pauses(ended time.Time) []batch.Pause {
	var out []batch.Pause
	for _, g := range n.gates {
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
	return humanDuration(d)
}
