package process

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// Interrupts handles SIGINT and SIGTERM for the length of a run: the first
// ends ctx (no new request starts; those under way are awaited by the
// run) after first is told; the second calls abandon and then second, which
// ends the process. stop ends the watch.
func Interrupts(first, abandon, second func()) (ctx context.Context, stop func()) {
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
		first()
		stopStarting()
		select {
		case <-sigs:
			abandon()
			second()
		case <-finished:
		}
	}()
	return ctx, func() {
		close(finished)
		stopStarting()
	}
}
