package writers

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"batch"
)

// The workbook's other sheets.
const (
	SheetResumen  = "Resumen"
	SheetAtencion = "Atención"
)

// Run is what the Resumen sheet tells of the run.
type Run struct {
	Inputs     []string
	Started    time.Time
	Ended      time.Time
	Rows       int // data rows read
	Requests   int // distinct keys sent (in a dry run, to send)
	Attempts   int // requests made, retries included
	Reused     int // keys answered from the journal
	Duplicates int // rows answered by an earlier row's request
	Limit      int // the provider's requests per minute
	DryRun     bool
	Stopped    string // why sending stopped early, if it did
}

// statusOrder is the order statuses are listed in.
var statusOrder = []batch.Status{batch.StatusOK, batch.StatusYaRegistrado, batch.StatusRechazado, batch.StatusInvalido, batch.StatusError, batch.StatusPendiente}

// meaning is what each status means, for the Resumen sheet.
var meaning = map[batch.Status]string{
	batch.StatusOK:           "hecho; el CUDE (o el CUFE del correo) lo prueba",
	batch.StatusYaRegistrado: "la DIAN ya lo tenía registrado: nada que hacer",
	batch.StatusRechazado:    "rechazado por la DIAN o el proveedor: ver la hoja Atención",
	batch.StatusInvalido:     "no se envió: el dato del archivo no es válido",
	batch.StatusError:        "respuesta que no se pudo interpretar",
	batch.StatusPendiente:    "sin respuesta final: la próxima ejecución lo envía",
}

// todo is what a person does about a row, by status.
func todo(r batch.Result) string {
	switch r.Status {
	case batch.StatusInvalido:
		return "Corrija el dato en el archivo de entrada según el mensaje y vuelva a ejecutar. Esta fila no se envió."
	case batch.StatusRechazado:
		return "La DIAN o el proveedor (Afacturar, SS Integral) la rechazaron por la regla o el dato del mensaje. Corrija el dato y ejecute de nuevo con --reintentar. Si la DIAN no conoce el documento, confirme el CUFE con el emisor."
	case batch.StatusError:
		return "El proveedor respondió con un error o con algo que no se pudo interpretar. Envíe a su soporte el código y el mensaje; la próxima ejecución envía la fila de nuevo."
	case batch.StatusPendiente:
		return "No hubo respuesta final (el proveedor no respondió, se agotaron los reintentos o la ejecución se detuvo). Vuelva a ejecutar con el mismo archivo: el diario evita enviar dos veces lo que ya quedó registrado."
	}
	return ""
}

// needsAttention reports whether a result is a person's to act on; a dry
// run's "would be sent" is not.
func needsAttention(r batch.Result) bool {
	switch r.Status {
	case batch.StatusInvalido, batch.StatusRechazado, batch.StatusError:
		return true
	case batch.StatusPendiente:
		return r.Code != "SIN_ENVIAR"
	}
	return false
}

// maxReasons bounds the distinct reasons counted per operation, so that a
// million different messages do not fill memory; the rest are "otros".
const maxReasons = 5000

type reason struct {
	status batch.Status
	code   string
	text   string
}

// tally counts each operation's statuses and reasons as rows are written,
// so the Resumen sheet agrees with Resultados by construction.
type tally struct {
	status  []map[batch.Status]int
	reasons []map[reason]int
	others  []int
}

func newTally(ops []Columns) *tally {
	t := &tally{status: make([]map[batch.Status]int, len(ops)), reasons: make([]map[reason]int, len(ops)), others: make([]int, len(ops))}
	for i := range ops {
		t.status[i], t.reasons[i] = map[batch.Status]int{}, map[reason]int{}
	}
	return t
}

func (t *tally) add(op int, r batch.Result) {
	if r.Status == "" {
		return
	}
	t.status[op][r.Status]++
	if r.Status == batch.StatusOK {
		return
	}
	k := reason{r.Status, r.Code, reasonText(r.Message)}
	if _, ok := t.reasons[op][k]; !ok && len(t.reasons[op]) >= maxReasons {
		t.others[op]++
		return
	}
	t.reasons[op][k]++
}

// reasonText is a message without what is particular to the row (the notes
// after " — ": which row it repeats, that it came from an earlier run).
func reasonText(msg string) string {
	if i := strings.Index(msg, " — "); i >= 0 {
		msg = msg[:i]
	}
	if utf8.RuneCountInString(msg) > 300 {
		msg = string([]rune(msg)[:299]) + "…"
	}
	return msg
}

func (w *Workbook) attentionHeader() []string {
	var h []string
	if w.withFile {
		h = append(h, "archivo")
	}
	return append(h, "hoja", "fila", "operación", "clave", "estado", "código", "mensaje", "qué hacer")
}

// attend copies a row that needs a person to the Atención sheet.
func (w *Workbook) attend(row batch.Row, op Columns, r batch.Result) error {
	if !needsAttention(r) {
		return nil
	}
	var out []any
	if w.withFile {
		out = append(out, filepath.Base(row.Sheet.File))
	}
	out = append(out, SafeText(row.Sheet.Name), row.Line, op.Name(), SafeText(row.Get(op.KeyField())),
		excelize.Cell{StyleID: w.status[r.Status], Value: string(r.Status)}, SafeText(r.Code), SafeText(r.Message), todo(r))
	cell, _ := excelize.CoordinatesToCellName(1, w.attNext)
	w.attNext++
	return w.attention.SetRow(cell, out)
}

// finish closes the streamed sheets with their tables (the autofilter) and
// writes Resumen.
func (w *Workbook) finish(run Run) error {
	if err := addTable(w.sw, "Resultados", len(w.header()), w.next-1); err != nil {
		return err
	}
	if w.attNext == 2 {
		msg := "Ninguna fila necesita atención."
		if run.Stopped != "" {
			msg = "Ninguna fila necesita atención, pero el envío se detuvo: " + run.Stopped
		}
		if err := w.attention.SetRow("A2", []any{msg}); err != nil {
			return err
		}
	} else if err := addTable(w.attention, "Atencion", len(w.attentionHeader()), w.attNext-1); err != nil {
		return err
	}
	for _, sw := range []*excelize.StreamWriter{w.sw, w.attention} {
		if err := sw.Flush(); err != nil {
			return err
		}
	}
	return w.resumen(run)
}

// addTable makes the data a table: Excel and LibreOffice show its header
// with the filter buttons.
func addTable(sw *excelize.StreamWriter, name string, cols, lastRow int) error {
	end, err := excelize.CoordinatesToCellName(cols, max(lastRow, 2))
	if err != nil {
		return err
	}
	noStripes := false
	return sw.AddTable(&excelize.Table{Range: "A1:" + end, Name: name, StyleName: "TableStyleLight1", ShowRowStripes: &noStripes})
}

// resumen writes the run, the statuses of each operation with a chart of
// them, and the most frequent reasons.
func (w *Workbook) resumen(run Run) error {
	f, sh := w.f, SheetResumen
	title, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}})
	if err != nil {
		return err
	}
	label, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	number, err := f.NewStyle(&excelize.Style{NumFmt: 3, Alignment: &excelize.Alignment{Horizontal: "center"}}) // #,##0
	if err != nil {
		return err
	}
	decimal, err := f.NewStyle(&excelize.Style{NumFmt: 4}) // #,##0.00
	if err != nil {
		return err
	}
	r := 1
	set := func(col, row int, v any, style int) error {
		cell, _ := excelize.CoordinatesToCellName(col, row)
		if s, ok := v.(string); ok {
			v = SafeText(s)
		}
		if err := f.SetCellValue(sh, cell, v); err != nil {
			return err
		}
		if style != 0 {
			return f.SetCellStyle(sh, cell, cell, style)
		}
		return nil
	}
	heading := "Resumen de la ejecución"
	if run.DryRun {
		heading = "Resumen de la revisión (--dry-run): no se envió nada"
	}
	if err := set(1, r, heading, title); err != nil {
		return err
	}
	r += 2
	dur := run.Ended.Sub(run.Started)
	// Over less than a minute the rate says little (the first request
	// goes at once): it is shown from a minute on.
	var perMinute any = "(la ejecución duró menos de un minuto)"
	if dur >= time.Minute {
		perMinute = float64(run.Attempts) / dur.Minutes()
	}
	var names []string
	for _, in := range run.Inputs {
		names = append(names, filepath.Base(in))
	}
	sent := "Solicitudes enviadas (claves distintas)"
	if run.DryRun {
		sent = "Solicitudes que se enviarían"
	}
	lines := []struct {
		label string
		value any
		style int
	}{
		{"Archivos de entrada", strings.Join(names, ", "), 0},
		{"Inicio", run.Started.Local(), w.dateTime},
		{"Fin", run.Ended.Local(), w.dateTime},
		{"Duración", duration(dur), 0},
		{"Filas leídas", run.Rows, number},
		{sent, run.Requests, number},
		{"Intentos (con reintentos)", run.Attempts, number},
		{"Ya resueltas en ejecuciones anteriores (no se enviaron)", run.Reused, number},
		{"Filas repetidas en el archivo (se enviaron una vez)", run.Duplicates, number},
		{"Ritmo efectivo (solicitudes por minuto)", perMinute, decimal},
		{"Límite del proveedor (por minuto)", run.Limit, number},
	}
	if run.Stopped != "" {
		lines = append(lines, struct {
			label string
			value any
			style int
		}{"El envío se detuvo", run.Stopped, 0})
	}
	for _, l := range lines {
		if err := set(1, r, l.label, label); err != nil {
			return err
		}
		if err := set(2, r, l.value, l.style); err != nil {
			return err
		}
		r++
	}

	r++
	if err := set(1, r, "Estados por operación", title); err != nil {
		return err
	}
	r++
	for c, h := range []string{"Operación", "Estado", "Filas", "Qué significa"} {
		if err := set(c+1, r, h, w.bold); err != nil {
			return err
		}
	}
	r++
	type span struct {
		op         string
		first, end int
	}
	var spans []span
	for i, op := range w.ops {
		first := r
		for _, st := range statusOrder {
			if err := set(1, r, op.Name(), 0); err != nil {
				return err
			}
			if err := set(2, r, string(st), w.status[st]); err != nil {
				return err
			}
			if err := set(3, r, w.tally.status[i][st], number); err != nil {
				return err
			}
			if err := set(4, r, meaning[st], 0); err != nil {
				return err
			}
			r++
		}
		spans = append(spans, span{op.Name(), first, r - 1})
	}
	chartAt := r + 1

	r += 22 // the chart's room: 320 px is about 16 rows, with some air
	if err := set(1, r, "Motivos más frecuentes", title); err != nil {
		return err
	}
	r++
	for c, h := range []string{"Operación", "Estado", "Código", "Motivo", "Filas"} {
		if err := set(c+1, r, h, w.bold); err != nil {
			return err
		}
	}
	r++
	listed := false
	for i, op := range w.ops {
		for _, rc := range topReasons(w.tally.reasons[i], 10) {
			vals := []any{op.Name(), string(rc.status), rc.code, rc.text, rc.n}
			styles := []int{0, w.status[rc.status], 0, 0, number}
			for c, v := range vals {
				if err := set(c+1, r, v, styles[c]); err != nil {
					return err
				}
			}
			r++
			listed = true
		}
		if n := w.tally.others[i]; n > 0 {
			if err := set(1, r, op.Name(), 0); err != nil {
				return err
			}
			if err := set(4, r, "otros motivos", 0); err != nil {
				return err
			}
			if err := set(5, r, n, number); err != nil {
				return err
			}
			r++
		}
	}
	if !listed {
		if err := set(1, r, "Ninguno: todas las filas quedaron OK.", 0); err != nil {
			return err
		}
	}

	for col, wd := range map[string]float64{"A": 52, "B": 24, "C": 12, "D": 70, "E": 10} {
		if err := f.SetColWidth(sh, col, col, wd); err != nil {
			return err
		}
	}
	var series []excelize.ChartSeries
	for _, s := range spans {
		series = append(series, excelize.ChartSeries{
			Name:       fmt.Sprintf("%s!$A$%d", sh, s.first),
			Categories: fmt.Sprintf("%s!$B$%d:$B$%d", sh, s.first, s.end),
			Values:     fmt.Sprintf("%s!$C$%d:$C$%d", sh, s.first, s.end),
		})
	}
	if len(series) == 0 {
		return nil
	}
	noVary := false
	return f.AddChart(sh, fmt.Sprintf("A%d", chartAt), &excelize.Chart{
		Type:       excelize.Col,
		Series:     series,
		Title:      excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "Filas por estado"}}},
		Legend:     excelize.ChartLegend{Position: "bottom"},
		PlotArea:   excelize.ChartPlotArea{ShowVal: true},
		Dimension:  excelize.ChartDimension{Width: 720, Height: 320},
		VaryColors: &noVary,
	})
}

type reasonCount struct {
	reason
	n int
}

func topReasons(m map[reason]int, n int) []reasonCount {
	list := make([]reasonCount, 0, len(m))
	for k, v := range m {
		list = append(list, reasonCount{k, v})
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].n != list[j].n {
			return list[i].n > list[j].n
		}
		if list[i].status != list[j].status {
			return list[i].status < list[j].status
		}
		return list[i].text < list[j].text
	})
	if len(list) > n {
		list = list[:n]
	}
	return list
}

// duration says a duration the way a person does.
func duration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%d min %d s", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
}
