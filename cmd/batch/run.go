package main

import (
	"errors"
	"flag"
	"io"

	"batch/night"
)

// runCmd is a run's story: parse, open, send, report, and the exit code.
// A configuration file that lists obligados makes it a night of several
// companies (nightCmd).
func runCmd(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	opts, files, err := parseRun(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return fail(stderr, err)
	}
	if len(opts.obligados) > 0 {
		return nightCmd(opts, getenv, stdout, stderr)
	}
	r, err := night.Open(opts.settings(files, getenv))
	if err != nil {
		return fail(stderr, err)
	}
	defer r.Close()
	ctx, stopWatching := watchSignals(opts.grace, r.Abandon, stderr)
	defer stopWatching()
	o := r.Send(ctx, newConsole(opts, stderr))
	code := int(o.Verdict())
	if opts.json && o.Failed == nil {
		writeJSON(stdout, o, code)
	}
	return code
}
