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
	Files       int    // its own input files
	Workbook    string // its result workbook
	Summary     batch.Summary
	Code        int    // its exit code
	Stopped     string // why its sending stopped early, if it did
}

// nightStatuses are the summary's status columns.
var nightStatuses = []batch.Status{batch.StatusOK, batch.StatusYaRegistrado, batch.StatusRevisar, batch.StatusRechazado,
	batch.StatusInvalido, batch.StatusError, batch.StatusPendiente}

// WriteNight writes a night of several companies' one-page summary: a row
// per company with its counts, its workbook and how it ended.
func WriteNight(path string, companies []NightRow) error {
	head := []any{"obligado", "nombre", "archivos", "libro de resultados", "filas", "solicitudes"}
	for _, st := range nightStatuses {
		head = append(head, string(st))
	}
	head = append(head, "código de salida", "detenido")
	rows := [][]any{head}
	for _, r := range companies {
		c := r.Summary.ByStatus()
		row := []any{r.NIT, r.Nombre, r.Files, r.Workbook, r.Summary.Rows, r.Summary.Requests}
		for _, st := range nightStatuses {
			row = append(row, c[st])
		}
		rows = append(rows, append(row, r.Code, r.Stopped))
	}
	if err := writeTable(path, "Noche", rows); err != nil {
		return fmt.Errorf("no se pudo escribir el resumen de la noche %s: %w", path, err)
	}
	return nil
}

// PendingRow is one key that needs a person, as batch pendientes lists it.
type PendingRow struct {
	Ambiente, Party, Operation, Key, Source string
	Result                                  batch.Result
	Updated                                 time.Time
}

// WritePending writes what needs a person as a workbook, one row per key.
func WritePending(path string, entries []PendingRow) error {
	rows := [][]any{{"obligado", "ambiente", "operación", "clave", "estado", "código", "mensaje", "origen", "intentos", "actualizado"}}
	for _, e := range entries {
		rows = append(rows, []any{e.Party, e.Ambiente, e.Operation, e.Key, string(e.Result.Status), e.Result.Code, e.Result.Message, e.Source,
			e.Result.Attempts, e.Updated.Local().Truncate(time.Second)})
	}
	if err := writeTable(path, "Pendientes", rows); err != nil {
		return fmt.Errorf("no se pudo escribir %s: %w", path, err)
	}
	return nil
}

// writeTable writes one sheet of rows as a workbook.
func writeTable(path, sheet string, rows [][]any) error {
	f := excelize.NewFile()
	defer f.Close()
	f.SetSheetName("Sheet1", sheet)
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sheet, cell, &row); err != nil {
			return err
		}
	}
	return f.SaveAs(path)
}
