package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"batch/journal"
)

const historialUsage = `Uso: batch historial [--journal ARCHIVO] CLAVE...

Muestra, para cada CUFE, CUV o factura (PREFIJO NUMERO), todo lo que el
diario sabe de ella en todas las noches: su estado y CUDE por obligado y
operación, y cada intento (fecha, respuesta, código, mensaje). Solo lee el
diario; no envía nada.

Ejemplo:
  batch historial f461119...a4 "SETP 990000001"

Opciones:
`

const pendientesUsage = `Uso: batch pendientes [--journal ARCHIVO] [-o ARCHIVO.xlsx]

Lista, agrupado por obligado, lo que en todas las noches quedó necesitando a
una persona o a otra ejecución: RECHAZADO, ERROR, PENDIENTE y lo que quedó en
vuelo. Con -o lo escribe además en un libro. Solo lee el diario.

Opciones:
`

// openJournalFlags parses a journal-reading command's flags and opens the
// journal read-only.
func openJournalFlags(name, usage string, args []string, getenv func(string) string, stderr io.Writer, out *string) (*journal.Journal, []string, int) {
	fs := flag.NewFlagSet("batch "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	path := fs.String("journal", "", "el diario; por defecto $XDG_STATE_HOME/batch/journal.db o ~/.local/state/batch/journal.db")
	if out != nil {
		fs.StringVar(out, "o", "", "libro .xlsx donde escribir la lista")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, nil, exitOK
		}
		return nil, nil, exitNothing
	}
	p := *path
	if p == "" {
		var err error
		if p, err = journal.DefaultPath(getenv); err != nil {
			return nil, nil, fail(stderr, err)
		}
	}
	j, err := journal.OpenReadOnly(p)
	if err != nil {
		return nil, nil, fail(stderr, err)
	}
	return j, fs.Args(), -1
}

// historialCmd prints what the journal knows of each key.
func historialCmd(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	j, keys, code := openJournalFlags("historial", historialUsage, args, getenv, stderr, nil)
	if code >= 0 {
		return code
	}
	defer j.Close()
	if len(keys) == 0 {
		return fail(stderr, errors.New("falta la clave: batch historial CUFE..."))
	}
	found := true
	for _, key := range keys {
		entries, err := j.History(normalKey(key))
		if err != nil {
			return fail(stderr, err)
		}
		fmt.Fprintf(stdout, "%s\n", terminalSafe(key))
		if len(entries) == 0 {
			fmt.Fprintln(stdout, "  el diario no tiene nada de esta clave")
			found = false
		}
		for _, e := range entries {
			printEntry(stdout, e)
			for _, a := range e.Attempts {
				fmt.Fprintf(stdout, "    %s  %-13s %-8s %s\n", a.Started.Local().Format("2006-01-02 15:04:05"), a.Outcome, a.Code, terminalSafe(a.Message))
			}
		}
	}
	if !found {
		return exitSomeRows
	}
	return exitOK
}

// normalKey is a key as the journal keeps it: a CUFE or CUV in lowercase,
// an invoice in uppercase.
func normalKey(k string) string {
	k = strings.TrimSpace(k)
	if len(k) >= 90 && !strings.Contains(k, " ") {
		return strings.ToLower(k)
	}
	return strings.ToUpper(k)
}

func printEntry(w io.Writer, e journal.Entry) {
	cude := ""
	if v, ok := e.Result.Values["cude"].(string); ok && v != "" {
		cude = ", CUDE " + v
	} else if v, ok := e.Result.Values["cufe"].(string); ok && v != "" {
		cude = ", CUFE " + v
	}
	fmt.Fprintf(w, "  %s de %s: %s%s (%d intentos; %s; %s)\n", e.Operation, e.Party, e.Result.Status, cude, e.Result.Attempts,
		e.Updated.Local().Format("2006-01-02 15:04"), terminalSafe(e.Source))
}

// pendientesCmd lists what needs a person across all nights.
func pendientesCmd(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	var out string
	j, _, code := openJournalFlags("pendientes", pendientesUsage, args, getenv, stderr, &out)
	if code >= 0 {
		return code
	}
	defer j.Close()
	entries, err := j.Pending()
	if err != nil {
		return fail(stderr, err)
	}
	party := ""
	for _, e := range entries {
		if e.Party != party {
			party = e.Party
			fmt.Fprintf(stdout, "%s\n", terminalSafe(party))
		}
		fmt.Fprintf(stdout, "  %-10s %-13s %s  %s\n", e.Operation, e.Result.Status, terminalSafe(e.Key), terminalSafe(e.Result.Message))
	}
	fmt.Fprintf(stdout, "%d claves necesitan atención\n", len(entries))
	if out != "" {
		if err := writePending(out, entries); err != nil {
			return fail(stderr, err)
		}
	}
	if len(entries) > 0 {
		return exitSomeRows
	}
	return exitOK
}

// writePending writes the list as a workbook, one row per key.
func writePending(path string, entries []journal.Entry) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := "Pendientes"
	f.SetSheetName("Sheet1", sheet)
	rows := [][]any{{"obligado", "operación", "clave", "estado", "código", "mensaje", "origen", "intentos", "actualizado"}}
	for _, e := range entries {
		rows = append(rows, []any{e.Party, e.Operation, e.Key, string(e.Result.Status), e.Result.Code, e.Result.Message, e.Source,
			e.Result.Attempts, e.Updated.Local().Truncate(time.Second)})
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sheet, cell, &r); err != nil {
			return err
		}
	}
	if err := f.SaveAs(path); err != nil {
		return fmt.Errorf("no se pudo escribir %s: %w", path, err)
	}
	return nil
}
