// Command batch sends every row of an invoice spreadsheet to the electronic
// invoicing provider and writes a result workbook. See `batch --help`.
package main

import (
	"embed"
	"fmt"
	"io"
	"os"
	"strings"

	"batch"
	"batch/internal/process"
	"batch/internal/secret"
	"batch/internal/text"
)

func main() {
	cleanup := process.PrivateTemp()
	beforeExit = cleanup
	stop := process.Profile()
	code := Main(os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	cleanup()
	os.Exit(code)
}

// beforeExit runs before the process ends at once (a second signal).
var beforeExit = func() {}

// Exit codes.
const (
	exitOK          = 0 // every row OK or YA_REGISTRADO
	exitSomeRows    = 1 // some row needs attention
	exitNothing     = 2 // nothing could be done: bad flags, unreadable input, refused token
	exitInterrupted = 3 // a signal stopped the run: the next one sends the rest
)

// commands are batch's commands, in the order the help lists them: each
// reads its arguments and the environment, and returns the exit code.
var commands = []struct {
	name string
	run  func(args []string, getenv func(string) string, stdout, stderr io.Writer) int
}{{"run", runCmd}, {"check", checkCmd}, {"config", configCmd}, {"historial", historialCmd},
	{"pendientes", pendientesCmd}, {"journal", journalCmd}, {"sandbox", sandboxCmd}, {"version", versionCmd}}

// The help of each command, ayuda/NAME.txt: prose, kept apart from the
// code, as the manual writes it.
//
//go:embed ayuda/*.txt
var helps embed.FS

// help is a command's help text. Every command has one (a test checks
// it): a missing one is a build that must not ship.
func help(name string) string {
	b, err := helps.ReadFile("ayuda/" + name + ".txt")
	if err != nil {
		panic(err)
	}
	return string(b)
}

// Main runs the command line and returns the exit code.
func Main(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, help("batch"))
		return exitNothing
	}
	known := &secret.Known{}
	know(known, getenv)
	stdout, stderr = &secret.Writer{W: stdout, Known: known}, &secret.Writer{W: stderr, Known: known}
	var names []string
	for _, c := range commands {
		if args[0] == c.name || (c.name == "version" && strings.TrimLeft(args[0], "-") == c.name) {
			return c.run(args[1:], getenv, stdout, stderr)
		}
		names = append(names, c.name)
	}
	switch args[0] {
	case "help", "--help", "-help", "-h":
		fmt.Fprint(stdout, help("batch"))
		return exitOK
	}
	fmt.Fprintf(stderr, "batch: orden desconocida %q%s. Las órdenes son %s y version (batch --help)\n", args[0],
		text.DidYouMean(args[0], names, ""), strings.Join(names[:len(names)-1], ", "))
	return exitNothing
}

// versionCmd prints the build's version and commit.
func versionCmd(_ []string, _ func(string) string, stdout, _ io.Writer) int {
	fmt.Fprintf(stdout, "batch %s\n", batch.Version)
	if batch.Commit != "" {
		fmt.Fprintf(stdout, "commit %s del %s\n", batch.Commit, batch.Date)
	}
	return exitOK
}
