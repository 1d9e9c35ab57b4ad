package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"batch/internal/process"
)

// watchSignals handles SIGINT and SIGTERM for the length of a run: the
// first stops starting requests, and those under way answer for up to
// grace; the second abandons the run (its unfinished workbooks are
// removed, so each output path keeps its previous complete file) and ends
// the process at once. Every journal write is a committed transaction, so
// the journal is consistent whenever the process ends.
func watchSignals(grace time.Duration, abandon func(), stderr io.Writer) (ctx context.Context, stop func()) {
	return process.Interrupts(func() {
		fmt.Fprintf(stderr, "batch: señal recibida: no se envían más filas; se esperan hasta %s las respuestas en curso (otra señal termina de inmediato)\n", grace)
	}, abandon, func() {
		fmt.Fprintln(stderr, "batch: segunda señal: se termina ya, sin escribir el libro. El diario está completo: la próxima ejecución continúa donde quedó")
		beforeExit()
		os.Exit(exitInterrupted)
	})
}
