package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"batch"
	"batch/ops"
	"batch/pipeline"
)

// discard is the sink of the estimate before a run.
type discard struct{}

func (discard) Write(batch.Row, []batch.Result) error { return nil }

// estimate tells, before sending, how many requests the run will make and
// how long they take at the provider's limit.
func estimate(w io.Writer, sum batch.Summary, rpm int, window time.Duration, rateCorreo int) {
	invalid := 0
	for _, counts := range sum.Statuses {
		invalid += counts[batch.StatusInvalido]
	}
	correos := sum.OpRequests[batch.OpCorreo]
	d := time.Duration(sum.Requests-correos) * pipeline.Interval(rpm, window)
	per := "por minuto"
	if window != time.Minute {
		per = "cada " + window.String()
	}
	pace := fmt.Sprintf("A %d %s", rpm, per)
	if correos > 0 {
		// The two providers' limits are spent side by side.
		d = max(d, time.Duration(correos)*pipeline.Interval(rateCorreo, time.Minute))
		if sum.Requests > correos {
			pace += fmt.Sprintf(" (correos: %d por minuto)", rateCorreo)
		} else {
			pace = fmt.Sprintf("A %d correos por minuto", rateCorreo)
		}
	}
	fmt.Fprintf(w, "batch: %d filas: se enviarán %d solicitudes; %d ya resueltas en ejecuciones anteriores, %d repetidas en el archivo, %d inválidas (no se envían). %s: unos %s\n",
		sum.Rows, sum.Requests, sum.Reused, sum.Duplicates, invalid, pace, humanDuration(d))
}

// humanDuration rounds a duration the way a person says it.
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Round(time.Second).Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Round(time.Minute).Minutes()))
	}
	d = d.Round(time.Minute)
	return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
}

// jsonSummary is --json's output: the run's figures for automation.
type jsonSummary struct {
	Resultados   string                    `json:"resultados"`
	Simulacion   bool                      `json:"simulacion"`
	CodigoSalida int                       `json:"codigo_salida"`
	Detenido     string                    `json:"detenido,omitempty"`
	Inicio       time.Time                 `json:"inicio"`
	Fin          time.Time                 `json:"fin"`
	DuracionS    float64                   `json:"duracion_s"`
	Filas        int                       `json:"filas"`
	Solicitudes  int                       `json:"solicitudes"`
	Intentos     int                       `json:"intentos"`
	YaResueltas  int                       `json:"ya_resueltas"`
	Repetidas    int                       `json:"repetidas"`
	Estados      map[string]map[string]int `json:"estados"`
}

func writeJSON(w io.Writer, sum batch.Summary, out string, code int, dryRun bool, stopped string) {
	s := jsonSummary{
		Resultados: out, Simulacion: dryRun, CodigoSalida: code, Detenido: stopped,
		Inicio: sum.Started, Fin: sum.Ended, DuracionS: math.Round(sum.Ended.Sub(sum.Started).Seconds()*10) / 10,
		Filas: sum.Rows, Solicitudes: sum.Requests, Intentos: sum.Attempts, YaResueltas: sum.Reused, Repetidas: sum.Duplicates,
		Estados: map[string]map[string]int{},
	}
	for op, counts := range sum.Statuses {
		s.Estados[op] = map[string]int{}
		for st, n := range counts {
			s.Estados[op][string(st)] = n
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(s)
}

// report prints the run's summary for whoever watches the job.
func report(w io.Writer, sum batch.Summary, out string) {
	fmt.Fprintf(w, "batch: %d filas leídas, %d solicitudes distintas (%d intentos), %d ya resueltas en ejecuciones anteriores, en %s\n",
		sum.Rows, sum.Requests, sum.Attempts, sum.Reused, sum.Ended.Sub(sum.Started).Round(100*time.Millisecond))
	order := []batch.Status{batch.StatusOK, batch.StatusYaRegistrado, batch.StatusRevisar, batch.StatusRechazado, batch.StatusInvalido, batch.StatusError, batch.StatusPendiente}
	for _, op := range ops.Table {
		name, counts := op.Name, sum.Statuses[op.Name]
		if counts == nil {
			continue
		}
		var parts []string
		for _, st := range order {
			if n := counts[st]; n > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", st, n))
			}
		}
		if len(parts) == 0 {
			parts = []string{"sin filas"}
		}
		fmt.Fprintf(w, "  %s: %s\n", name, strings.Join(parts, " · "))
	}
	fmt.Fprintf(w, "  resultados: %s\n", out)
}
