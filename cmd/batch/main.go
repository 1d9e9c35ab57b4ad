// Command batch sends every row of an invoice spreadsheet to the electronic
// invoicing provider and writes a result workbook. See `batch --help`.
package main

import (
	"os"
)

func main() {
	cleanup := privateTemp()
	beforeExit = cleanup
	stop := profile()
	code := Main(os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	cleanup()
	os.Exit(code)
}

// beforeExit runs before the process ends at once (a second signal).
var beforeExit = func() {}

// privateTemp gives the process a temporary folder of its own, for every
// temporary file it and its libraries make (excelize's copies of large
// sheets, the sandbox's journal), and removes it however the process ends
// short of being killed.
func privateTemp() (cleanup func()) {
	dir, err := os.MkdirTemp("", "batch-")
	if err != nil {
		return func() {}
	}
	for _, v := range []string{"TMPDIR", "TMP", "TEMP"} {
		os.Setenv(v, dir)
	}
	return func() { os.RemoveAll(dir) }
}
