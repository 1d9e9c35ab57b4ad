package main

import (
	"errors"
	"fmt"
	"io"

	"batch/internal/text"
	"batch/night"
)

// historialCmd prints what the journal knows of each key.
func historialCmd(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	place, keys, _, code := journalFlags("historial", help("historial"), args, getenv, stderr, nil)
	if code >= 0 {
		return code
	}
	if len(keys) == 0 {
		return fail(stderr, errors.New("falta la clave: batch historial CUFE..."))
	}
	histories, err := night.History(place, keys)
	if err != nil {
		return fail(stderr, err)
	}
	found := true
	for i, key := range keys {
		entries := histories[i]
		fmt.Fprintf(stdout, "%s\n", text.Printable(key))
		if len(entries) == 0 {
			fmt.Fprintln(stdout, "  el diario no tiene nada de esta clave")
			found = false
		}
		for _, e := range entries {
			printEntry(stdout, e)
			for _, a := range e.Attempts {
				fmt.Fprintf(stdout, "    %s  %-13s %-8s %s\n", a.Started.Local().Format("2006-01-02 15:04:05"), a.Outcome, a.Code, text.Printable(a.Message))
			}
		}
	}
	if !found {
		return exitSomeRows
	}
	return exitOK
}

func printEntry(w io.Writer, e night.Entry) {
	cude := ""
	if v, ok := e.Result.Values["cude"].(string); ok && v != "" {
		cude = ", CUDE " + v
	} else if v, ok := e.Result.Values["cufe"].(string); ok && v != "" {
		cude = ", CUFE " + v
	}
	fmt.Fprintf(w, "  %s · %s de %s: %s%s (%d intentos; %s; %s)\n", e.Ambiente, e.Operation, e.Party, e.Result.Status, cude, e.Result.Attempts,
		e.Updated.Local().Format("2006-01-02 15:04"), text.Printable(e.Source))
}
