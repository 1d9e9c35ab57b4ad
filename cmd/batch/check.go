package main

import "io"

// checkCmd is `batch run --dry-run`.
func checkCmd(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			io.WriteString(stdout, help("check"))
			return exitOK
		}
	}
	return runCmd(append([]string{"--dry-run"}, args...), getenv, stdout, stderr)
}
