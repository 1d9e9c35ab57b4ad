package writers

import (
	"encoding/json"
	"io"
	"math"
	"time"

	"batch"
)

// RunJSON is a run's figures for automation (--json).
type RunJSON struct {
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
	SinIntentar  int                       `json:"sin_intentar"`
	YaResueltas  int                       `json:"ya_resueltas"`
	Repetidas    int                       `json:"repetidas"`
	Estados      map[string]map[string]int `json:"estados"`
}

// WriteRunJSON writes a run's figures as indented JSON: its workbook,
// whether it was a dry run, its exit code and why it stopped, if it did.
func WriteRunJSON(w io.Writer, out string, dryRun bool, code int, stopped string, sum batch.Summary) error {
	s := RunJSON{
		Resultados: out, Simulacion: dryRun, CodigoSalida: code, Detenido: stopped,
		Inicio: sum.Started, Fin: sum.Ended, DuracionS: math.Round(sum.Ended.Sub(sum.Started).Seconds()*10) / 10,
		Filas: sum.Rows, Solicitudes: sum.Requests, Intentos: sum.Attempts, SinIntentar: sum.Unattempted, YaResueltas: sum.Reused, Repetidas: sum.Duplicates,
		Estados: map[string]map[string]int{},
	}
	for op, counts := range sum.Statuses {
		s.Estados[op] = map[string]int{}
		for st, n := range counts {
			s.Estados[op][string(st)] = n
		}
	}
	return writeJSON(w, s)
}

// WriteNightJSON writes a night of several companies' figures as indented
// JSON: its summary workbook, its exit code, and each company's line.
func WriteNightJSON(w io.Writer, summary string, code int, companies []NightRow) error {
	type one struct {
		Obligado     string         `json:"obligado"`
		Nombre       string         `json:"nombre,omitempty"`
		Resultados   string         `json:"resultados"`
		CodigoSalida int            `json:"codigo_salida"`
		Detenido     string         `json:"detenido,omitempty"`
		Filas        int            `json:"filas"`
		Solicitudes  int            `json:"solicitudes"` // requests made, retries included: on the wire whatever became of the workbook
		Estados      map[string]int `json:"estados"`
		SinLeer      []string       `json:"sin_leer,omitempty"` // the files or folders not read, each with why
	}
	out := struct {
		Resumen      string `json:"resumen"`
		CodigoSalida int    `json:"codigo_salida"`
		Obligados    []one  `json:"obligados"`
	}{Resumen: summary, CodigoSalida: code}
	for _, c := range companies {
		e := one{Obligado: c.NIT, Nombre: c.Nombre, Resultados: c.Workbook, CodigoSalida: c.Code, Detenido: c.Stopped,
			Filas: c.Summary.Rows, Solicitudes: c.Summary.Attempts, Estados: map[string]int{}}
		for st, n := range c.Summary.ByStatus() {
			e.Estados[string(st)] = n
		}
		for _, u := range c.Unread {
			e.SinLeer = append(e.SinLeer, u.Path+": "+u.Reason)
		}
		out.Obligados = append(out.Obligados, e)
	}
	return writeJSON(w, out)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
