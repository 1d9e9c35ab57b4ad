package pipeline

import (
	"context"
	"sync"

	"golang.org/x/sync/errgroup"
)

// workers run the jobs on at most most goroutines of the group, each kept
// for job after job while there is work: a request's goroutine grows its
// stack (HTTP, the journal) once, not once per request. Go blocks while
// every worker is busy, as a group with a limit does. A job's error stops
// sending at once (stop) and is the group's error once every job ended.
type workers struct {
	group *errgroup.Group
	stop  context.CancelCauseFunc
	jobs  chan func() error // unbuffered: a send succeeds only into a worker's hands

	mu            sync.Mutex
	started, most int
}

// Go runs f on an idle worker, on a new one while there are fewer than
// most, or on the first to be free.
func (w *workers) Go(f func() error) {
	select {
	case w.jobs <- f:
		return
	default:
	}
	w.mu.Lock()
	if w.started < w.most {
		w.started++
		w.mu.Unlock()
		w.group.Go(func() error { return w.work(f) })
		return
	}
	w.mu.Unlock()
	w.jobs <- f
}

// work runs f, then every job given to it until the jobs end.
func (w *workers) work(f func() error) error {
	var failed error
	for ; f != nil; f = <-w.jobs {
		if err := f(); err != nil && failed == nil {
			failed = err
			w.stop(err)
		}
	}
	return failed
}

// wait ends the jobs (no Go after it) and returns once every worker is
// done, with the first error a job returned.
func (w *workers) wait() error {
	close(w.jobs)
	return w.group.Wait()
}
