package writers

import (
	"cmp"
	"fmt"
	"path/filepath"
	"slices"
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

// Run is what the Resumen sheet tells of the run: what it did, and how it
// was set.
type Run struct {
	batch.Summary
	Inputs  []string
	Unread  []Unread // the files that could not be read, each with why
	Limit   int      // the provider's requests per minute
	DryRun  bool
	Stopped string        // why sending stopped early, if it did
	Hidden  []string      // the hidden sheets left unread
	Pauses  []batch.Pause // the providers' outages waited out
}

// meaning is what each status means, for the Resumen sheet.
var meaning = map[batch.Status]string{
	batch.StatusOK:           "hecho; el CUDE (o el CUFE del correo) lo prueba",
	batch.StatusYaRegistrado: "la DIAN ya lo tenía registrado: nada que hacer",
	batch.StatusRevisar:      "el proveedor respondió, pero lo que dice no coincide con la fila: ver la hoja Atención",
	batch.StatusRechazado:    "rechazado por la DIAN o el proveedor: ver la hoja Atención",
	batch.StatusInvalido:     "no se envió: el dato del archivo no es válido",
	batch.StatusNoAplica:     "no se envió porque no aplica: la fila no es una factura de venta recibida (una nota, un evento, una factura emitida…); el mensaje dice qué es",
	batch.StatusError:        "respuesta que no se pudo interpretar",
	batch.StatusPendiente:    "sin respuesta final: la próxima ejecución lo envía",
}

// opMeaning is what a status means for an operation whose rows are not
// sends: for the legítimo tenedor, whom to pay.
var opMeaning = map[string]map[batch.Status]string{
	batch.OpTenedor: {
		batch.StatusOK:        "en poder de su emisor (o la fila no dice el NIT Emisor): el tenedor está en la fila",
		batch.StatusRevisar:   "endosada: la tiene otro, a quien se paga (ver la hoja Atención)",
		batch.StatusRechazado: "sin tenedor: el proveedor no lo dio para ese CUFE (ver el mensaje)",
		batch.StatusError:     "sin tenedor: respuesta que no se pudo interpretar",
		batch.StatusPendiente: "sin tenedor: sin respuesta final; la próxima ejecución pregunta de nuevo",
	},
}

// todo is what a person does about a row, by status.
func todo(r batch.Result) string {
	switch r.Status {
	case batch.StatusNoAplica:
		return "La DIAN rechazó esta factura: no admite eventos y no se envió. Confirme con el emisor cuál la reemplaza antes de pagarla."
	case batch.StatusInvalido:
		return "Corrija el dato en el archivo de entrada según el mensaje y vuelva a ejecutar. Esta fila no se envió."
	case batch.StatusRevisar:
		if r.Code == batch.CodeEndosada {
			return "La factura fue endosada: pagarle al emisor no extingue la deuda. Pague al legítimo tenedor del mensaje, y confírmelo antes de cada pago: puede cambiar cualquier día."
		}
		return "El CUV es válido, pero el proveedor lo tiene para otra factura, fecha u obligado (ver el mensaje). Compruebe con el prestador que el CUV de esta fila es el de esta factura antes de pagarla."
	case batch.StatusRechazado:
		return "La DIAN o el proveedor (Afacturar, SS Integral) la rechazaron por la regla o el dato del mensaje. Corrija el dato y ejecute de nuevo con --reintentar. Si la DIAN no conoce el documento, confirme el CUFE con el emisor."
	case batch.StatusError:
		return "El proveedor respondió con un error o con algo que no se pudo interpretar. Envíe a su soporte el código y el mensaje; la próxima ejecución envía la fila de nuevo."
	case batch.StatusPendiente:
		switch r.Code {
		case batch.CodeSinPrevio:
			return "Esta fila espera el evento anterior de su CUFE (ver el mensaje): pídalo en la columna Evento de este u otro archivo de la noche, o corrija el que quedó RECHAZADO o INVALIDO. Se envía en la ejecución en que el anterior quede registrado."
		case batch.CodeLimite:
			return "No se envió porque la ejecución tenía un límite de solicitudes (--limite): la próxima ejecución la envía."
		}
		return "No hubo respuesta final (el proveedor no respondió, se agotaron los reintentos o la ejecución se detuvo). Vuelva a ejecutar con el mismo archivo: el diario evita enviar dos veces lo que ya quedó registrado."
	}
	return ""
}

// needsAttention reports whether a result is a person's to act on; a dry
// run's "would be sent" is not.
func needsAttention(r batch.Result) bool {
	switch r.Status {
	case batch.StatusInvalido, batch.StatusRechazado, batch.StatusError, batch.StatusRevisar:
		return true
	case batch.StatusPendiente:
		return r.Code != batch.CodeSinEnviar
	case batch.StatusNoAplica:
		return r.Code == batch.CodeRechazadaDIAN // a refused invoice someone may be about to pay
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
	okCodes []map[string]int // the OK rows by code: whose an invoice is
}

func newTally(ops []Columns) *tally {
	t := &tally{status: make([]map[batch.Status]int, len(ops)), reasons: make([]map[reason]int, len(ops)), others: make([]int, len(ops)),
		okCodes: make([]map[string]int, len(ops))}
	for i := range ops {
		t.status[i], t.reasons[i], t.okCodes[i] = map[batch.Status]int{}, map[reason]int{}, map[string]int{}
	}
	return t
}

func (t *tally) add(op int, r batch.Result) {
	if r.Status == "" {
		return
	}
	t.status[op][r.Status]++
	if r.Status == batch.StatusOK {
		t.okCodes[op][r.Code]++
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
	return w.attention.row(out)
}

// Unread is an input file that could not be read: none of its rows was
// sent.
type Unread struct {
	Path, Reason string
}

// attendFiles puts each file that could not be read on the Atención sheet,
// above nothing: its rows are not in the workbook.
func (w *Workbook) attendFiles(files []Unread) error {
	for _, u := range files {
		var out []any
		if w.withFile {
			out = append(out, SafeText(filepath.Base(u.Path)), "")
		} else {
			out = append(out, SafeText(filepath.Base(u.Path)))
		}
		out = append(out, "", "", "", "ARCHIVO SIN LEER", "ARCHIVO", SafeText(u.Reason),
			"Ninguna fila de este archivo se envió. Corríjalo según el mensaje (o sáquelo de la carpeta si no es de facturas) y vuelva a ejecutar.")
		if err := w.attention.row(out); err != nil {
			return err
		}
	}
	return nil
}

// finish closes the streamed sheets with their tables (the autofilter) and
// writes Resumen.
func (w *Workbook) finish(run Run) error {
	if err := w.results.close(); err != nil {
		return err
	}
	if err := w.attendFiles(run.Unread); err != nil {
		return err
	}
	if w.attention.empty() {
		msg := "Ninguna fila necesita atención."
		if run.Stopped != "" {
			msg = "Ninguna fila necesita atención, pero el envío se detuvo: " + run.Stopped
		}
		if err := w.attention.sw.SetRow("A2", []any{msg}); err != nil {
			return err
		}
		if err := w.attention.closeBare(); err != nil {
			return err
		}
	} else if err := w.attention.close(); err != nil {
		return err
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
	s, err := newResumenSheet(w)
	if err != nil {
		return err
	}
	heading := "Resumen de la ejecución"
	if run.DryRun {
		heading = "Resumen de la revisión (--dry-run): no se envió nada"
	}
	s.line(s.title, heading)
	s.row++
	s.runLines(run)
	s.row++
	if len(run.Pauses) > 0 {
		s.outages(run.Pauses)
		s.row++
	}
	spans := s.statuses()
	chartAt := s.row + 1
	s.row += 22 // the chart's room: 320 px is about 16 rows, with some air
	s.holders()
	s.reasons()
	for col, wd := range map[string]float64{"A": 52, "B": 24, "C": 12, "D": 70, "E": 10} {
		if s.err == nil {
			s.err = w.f.SetColWidth(SheetResumen, col, col, wd)
		}
	}
	if s.err != nil {
		return s.err
	}
	if err := w.f.SetSheetDimension(SheetResumen, usedRange(5, s.lastRow)); err != nil {
		return err
	}
	return w.chart(spans, chartAt)
}

// resumenSheet writes the Resumen sheet row after row, keeping the first
// failure: after one, nothing more is written.
type resumenSheet struct {
	w                             *Workbook
	row                           int
	title, label, number, decimal int
	lastRow                       int // the last row written
	err                           error
}

func newResumenSheet(w *Workbook) (*resumenSheet, error) {
	s := &resumenSheet{w: w, row: 1}
	for style, def := range map[*int]*excelize.Style{
		&s.title:   {Font: &excelize.Font{Bold: true, Size: 14}},
		&s.label:   {Font: &excelize.Font{Bold: true}},
		&s.number:  {NumFmt: 3, Alignment: &excelize.Alignment{Horizontal: "center"}}, // #,##0
		&s.decimal: {NumFmt: 4},                                                       // #,##0.00
	} {
		var err error
		if *style, err = w.f.NewStyle(def); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// set writes one cell of the current row.
func (s *resumenSheet) set(col int, v any, style int) {
	if s.err != nil {
		return
	}
	cell, _ := excelize.CoordinatesToCellName(col, s.row)
	if t, ok := v.(string); ok {
		v = SafeText(t)
	}
	s.lastRow = max(s.lastRow, s.row)
	if s.err = s.w.f.SetCellValue(SheetResumen, cell, v); s.err == nil && style != 0 {
		s.err = s.w.f.SetCellStyle(SheetResumen, cell, cell, style)
	}
}

// line writes values from column A on, all in one style, and moves on.
func (s *resumenSheet) line(style int, values ...any) {
	for c, v := range values {
		s.set(c+1, v, style)
	}
	s.row++
}

type labelled struct {
	label string
	value any
	style int
}

// runLines are the run's figures, a label and a value each.
func (s *resumenSheet) runLines(run Run) {
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
	lines := []labelled{
		{"Archivos de entrada", strings.Join(names, ", "), 0},
		{"Inicio", shown(run.Started), s.w.dateTime},
		{"Fin", shown(run.Ended), s.w.dateTime},
		{"Duración", duration(dur), 0},
		{"Filas leídas", run.Rows, s.number},
		{sent, run.Requests, s.number},
		{"Intentos (con reintentos)", run.Attempts, s.number},
		{"Ya resueltas en ejecuciones anteriores (no se enviaron)", run.Reused, s.number},
		{"Filas repetidas en el archivo (se enviaron una vez)", run.Duplicates, s.number},
		{"Ritmo efectivo (solicitudes por minuto)", perMinute, s.decimal},
		{"Límite del proveedor (por minuto)", run.Limit, s.number},
	}
	if run.Footers > 0 {
		lines = append(lines, labelled{"Filas de totales o pie de página (sin clave; no se enviaron)", run.Footers, s.number})
	}
	if run.Stopped != "" {
		lines = append(lines, labelled{"El envío se detuvo", run.Stopped, 0})
	}
	if len(run.Hidden) > 0 {
		lines = append(lines, labelled{"Hojas ocultas que no se leyeron (--hojas-ocultas las lee)", strings.Join(run.Hidden, ", "), 0})
	}
	for _, l := range lines {
		s.set(1, l.label, s.label)
		s.set(2, l.value, l.style)
		s.row++
	}
}

// outages lists the providers' outages: when, how long, how many probes.
func (s *resumenSheet) outages(pauses []batch.Pause) {
	s.line(s.title, "Caídas del proveedor")
	s.line(s.w.bold, "Proveedor", "Desde", "Hasta", "Duración", "Sondeos")
	for _, p := range pauses {
		s.set(1, p.Service, 0)
		s.set(2, shown(p.Start), s.w.dateTime)
		if p.Recovered {
			s.set(3, shown(p.End), s.w.dateTime)
		} else {
			s.set(3, "sin respuesta al terminar", 0)
		}
		s.set(4, duration(p.End.Sub(p.Start)), 0)
		s.set(5, p.Probes, s.number)
		s.row++
	}
}

// span is where one operation's status counts are, for the chart.
type span struct {
	op         string
	first, end int
}

// statuses is the table of rows per status, one block per operation that
// had rows, with the statuses it can end in (and any other it had).
func (s *resumenSheet) statuses() []span {
	s.line(s.title, "Estados por operación")
	s.line(s.w.bold, "Operación", "Estado", "Filas", "Qué significa")
	var spans []span
	for _, i := range s.w.asked() {
		op := s.w.ops[i]
		first := s.row
		for _, st := range batch.Statuses {
			if s.w.tally.status[i][st] == 0 && !possible(op, st) {
				continue
			}
			s.set(1, op.Name(), 0)
			s.set(2, string(st), s.w.status[st])
			s.set(3, s.w.tally.status[i][st], s.number)
			s.set(4, cmp.Or(opMeaning[op.Name()][st], meaning[st]), 0)
			s.row++
		}
		spans = append(spans, span{op.Name(), first, s.row - 1})
	}
	return spans
}

// asked are the operations some row asked for; all of them when none was.
func (w *Workbook) asked() []int {
	var list, all []int
	for i := range w.ops {
		all = append(all, i)
		n := 0
		for _, c := range w.tally.status[i] {
			n += c
		}
		if n > 0 {
			list = append(list, i)
		}
	}
	if len(list) == 0 {
		return all
	}
	return list
}

// possible reports whether an operation's rows can end in a status; one
// that does not say can end in any.
func possible(op Columns, st batch.Status) bool {
	s, ok := op.(interface{ Statuses() []batch.Status })
	return !ok || slices.Contains(s.Statuses(), st)
}

// holders counts, when the run asked who holds its invoices, those held by
// their issuer, those endorsed to someone else, those whose row does not
// say the issuer, and those with no answer: whom to pay.
func (s *resumenSheet) holders() {
	for _, i := range s.w.asked() {
		if s.w.ops[i].Name() != batch.OpTenedor {
			continue
		}
		st, ok := s.w.tally.status[i], s.w.tally.okCodes[i]
		unanswered := 0
		for status, n := range st {
			if status != batch.StatusOK && status != batch.StatusRevisar {
				unanswered += n
			}
		}
		s.line(s.title, "Legítimo tenedor: a quién pagar")
		for _, l := range []struct {
			what string
			n    int
		}{
			{"en poder de su emisor: se le paga a él", ok[batch.CodeEmisor]},
			{"endosadas: se paga al tenedor (hoja Atención)", st[batch.StatusRevisar]},
			{"la fila no dice el NIT Emisor: compare el tenedor con él", st[batch.StatusOK] - ok[batch.CodeEmisor]},
			{"sin respuesta: no pague sin saber quién la tiene", unanswered},
		} {
			s.set(1, l.what, 0)
			s.set(3, l.n, s.number)
			s.row++
		}
		s.row++
	}
}

// reasons lists the most frequent reasons of each operation.
func (s *resumenSheet) reasons() {
	s.line(s.title, "Motivos más frecuentes")
	s.line(s.w.bold, "Operación", "Estado", "Código", "Motivo", "Filas")
	listed := false
	for _, i := range s.w.asked() {
		op := s.w.ops[i]
		for _, rc := range topReasons(s.w.tally.reasons[i], 10) {
			s.set(1, op.Name(), 0)
			s.set(2, string(rc.status), s.w.status[rc.status])
			s.set(3, rc.code, 0)
			s.set(4, rc.text, 0)
			s.set(5, rc.n, s.number)
			s.row++
			listed = true
		}
		if n := s.w.tally.others[i]; n > 0 {
			s.set(1, op.Name(), 0)
			s.set(4, "otros motivos", 0)
			s.set(5, n, s.number)
			s.row++
		}
	}
	if !listed {
		s.set(1, "Ninguno: todas las filas quedaron OK.", 0)
	}
}

// chart draws the rows per status of every operation, at row at.
func (w *Workbook) chart(spans []span, at int) error {
	sh := SheetResumen
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
	return w.f.AddChart(sh, fmt.Sprintf("A%d", at), &excelize.Chart{
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

// shown is a moment as the sheet keeps it: local time, whole seconds, as
// a person reads it and a program gets it.
func shown(t time.Time) time.Time { return t.Local().Truncate(time.Second) }
