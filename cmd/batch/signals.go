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

// watchSignals makes the run's two contexts and hands them to onSignals:
// ctx ends when no new request may start, the flight context (in the
// pipeline's Config) when requests under way must end. stop ends the
// watch when the run is over.
func (n *night) watchSignals(stderr io.Writer) (ctx context.Context, stop func()) {
	ctx, stopStarting := context.WithCancel(context.Background())
	flight, stopFlight := context.WithCancel(context.Background())
	n.cfg.Flight = flight
	finished := make(chan struct{})
	go onSignals(finished, stopStarting, stopFlight, n.opts.grace, n.book.TempPath(), stderr)
	return ctx, func() {
		close(finished)
		stopFlight()
		stopStarting()
	}
}

// onSignals handles SIGINT and SIGTERM: the first stops new requests and
// lets those under way answer for up to grace; the second ends the process
// at once. Every journal write is a committed transaction, so the journal
// is consistent whenever the process ends, and the unfinished workbook is
// removed so the output path keeps its previous complete file.
func onSignals(finished <-chan struct{}, stopStarting, stopFlight func(), grace time.Duration, tmpBook string, stderr io.Writer) {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	select {
	case <-sigs:
	case <-finished:
		return
	}
	fmt.Fprintf(stderr, "batch: señal recibida: no se envían más filas; se esperan hasta %s las respuestas en curso (otra señal termina de inmediato)\n", grace)
	stopStarting()
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-sigs:
		os.Remove(tmpBook)
		fmt.Fprintln(stderr, "batch: segunda señal: se termina ya, sin escribir el libro. El diario está completo: la próxima ejecución continúa donde quedó")
		os.Exit(exitSomeRows)
	case <-timer.C:
		stopFlight()
	case <-finished:
	}
}
