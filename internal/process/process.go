// Package process sets up what a batch process has around its work: a
// temporary folder of its own, and a CPU profile when one is asked for.
package process

import (
	"os"
	"runtime/pprof"
)

// PrivateTemp gives the process a temporary folder of its own, for every
// temporary file it and its libraries make (excelize's copies of large
// sheets, the sandbox's journal); cleanup removes it, however the process
// ends short of being killed.
func PrivateTemp() (cleanup func()) {
	dir, err := os.MkdirTemp("", "batch-")
	if err != nil {
		return func() {}
	}
	for _, v := range []string{"TMPDIR", "TMP", "TEMP"} {
		os.Setenv(v, dir)
	}
	return func() { os.RemoveAll(dir) }
}

// Profile writes a CPU profile of the whole process to the file named by
// BATCH_PERFIL_CPU, for make bench's account of where the time goes.
func Profile() (stop func()) {
	path := os.Getenv("BATCH_PERFIL_CPU")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
