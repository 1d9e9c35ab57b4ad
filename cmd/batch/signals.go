package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// watchSignals handles SIGINT and SIGTERM for the length of a run: the
// first ends ctx, so no new request starts and those under way answer for
// up to grace; the second abandons the run (its unfinished workbooks are
// removed, so each output path keeps its previous complete file) and ends
// the process at once. Every journal write is a committed transaction, so
// the journal is consistent whenever the process ends. stop ends the watch.
func watchSignals(grace time.Duration, abandon func(), stderr io.Writer) (ctx context.Context, stop func()) {
	ctx, stopStarting := context.WithCancel(context.Background())
	finished := make(chan struct{})
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		defer signal.Stop(sigs)
		select {
		case <-sigs:
		case <-finished:
			return
		}
		fmt.Fprintf(stderr, "batch: señal recibida: no se envían más filas; se esperan hasta %s las respuestas en curso (otra señal termina de inmediato)\n", grace)
		stopStarting()
		select {
		case <-sigs:
			abandon()
			fmt.Fprintln(stderr, "batch: segunda señal: se termina ya, sin escribir el libro. El diario está completo: la próxima ejecución continúa donde quedó")
			beforeExit()
			os.Exit(exitSomeRows)
		case <-finished:
		}
	}()
	return ctx, func() {
		close(finished)
		stopStarting()
	}
}
