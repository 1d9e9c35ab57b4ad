package writers

import (
	"fmt"
	"time"

	"github.com/xuri/excelize/v2"

	"batch"
)

// NightRow is one company's line of a night's summary.
type NightRow struct {
	NIT, Nombre string
	Files       int    // its own input files read
	Workbook    string // its result workbook
	Summary     batch.Summary
	Code        int      // its exit code
	Stopped     string   // why its sending stopped early, if it did
	Unread      []Unread // its files that could not be read
	NoFiles     bool     // its patterns matched no file tonight
}

// WriteNight writes a night of several companies' one-page summary: a row
// per company with its rows, its requests and its results by status (a
// row asks one result per operation), its workbook and how it ended.
func WriteNight(path string, companies []NightRow) error {
	head := []string{"obligado", "nombre", "archivos leídos", "archivos sin leer", "libro de resultados", "filas", "solicitudes", "intentos", "sin intentar"}
	for _, st := range batch.Statuses {
		head = append(head, "resultados "+string(st))
	}
	head = append(head, "código de salida", "detenido", "sin leer")
	var rows [][]any
	for _, r := range companies {
		c := r.Summary.ByStatus()
		note := ""
		for _, u := range r.Unread {
			note = join(note, u.Path+": "+u.Reason)
		}
		if r.NoFiles {
			note = join(note, "sin archivos")
		}
		row := []any{r.NIT, r.Nombre, r.Files, len(r.Unread), r.Workbook, r.Summary.Rows, r.Summary.Requests, r.Summary.Attempts, r.Summary.Unattempted}
		for _, st := range batch.Statuses {
			row = append(row, c[st])
		}
		rows = append(rows, append(row, r.Code, r.Stopped, note))
	}
	if err := writeTable(path, "Noche", KindNoche, head, rows); err != nil {
		return fmt.Errorf("no se pudo escribir el resumen de la noche %s: %w", path, err)
	}
	return nil
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// PendingRow is one key that needs a person, as batch pendientes lists it.
type PendingRow struct {
	Ambiente, Party, Operation, Key, Source string
	Result                                  batch.Result
	Updated                                 time.Time
}

// WritePending writes what needs a person as a workbook, one row per key.
func WritePending(path string, entries []PendingRow) error {
	head := []string{"obligado", "ambiente", "operación", "clave", "estado", "código", "mensaje", "origen", "intentos", "actualizado"}
	var rows [][]any
	for _, e := range entries {
		rows = append(rows, []any{e.Party, e.Ambiente, e.Operation, e.Key, string(e.Result.Status), e.Result.Code, e.Result.Message, e.Source,
			e.Result.Attempts, e.Updated.Local().Truncate(time.Second)})
	}
	if err := writeTable(path, "Pendientes", KindPendientes, head, rows); err != nil {
		return fmt.Errorf("no se pudo escribir %s: %w", path, err)
	}
	return nil
}

// writeTable writes one sheet as the results are written: the header's
// style, widths and frozen row, a filter, landscape pages one wide,
// identifiers as text, and the mark of what batch wrote.
func writeTable(path, sheet, kind string, head []string, rows [][]any) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	w := &Workbook{f: f}
	if err := w.styles(); err != nil {
		return err
	}
	if err := w.pageSetup(sheet); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	if err := w.startSheet(sw, head); err != nil {
		return err
	}
	for i, row := range rows {
		for j, v := range row {
			switch v := v.(type) {
			case string:
				row[j] = SafeText(v)
			case time.Time:
				row[j] = excelize.Cell{StyleID: w.dateTime, Value: v}
			}
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, row); err != nil {
			return err
		}
	}
	if err := addTable(sw, sheet, len(head), len(rows)+1); err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	if err := mark(f, kind); err != nil {
		return err
	}
	return saveAs(f, path)
}
