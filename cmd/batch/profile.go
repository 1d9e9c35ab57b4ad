package main

import (
	"os"
	"runtime/pprof"
)

// profile writes a CPU profile of the whole process to the file named by
// BATCH_PERFIL_CPU, for make bench's account of where the time goes.
func profile() (stop func()) {
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
