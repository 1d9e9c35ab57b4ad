package main

import (
	"os/exec"
	"time"
)

// make bench runs on Linux; on Windows the loaded measurement shares the
// CPU with the server.
func raisePriority() string { return "; sin prioridad alta en Windows" }

func normalPriority(cmd *exec.Cmd) *exec.Cmd { return cmd }

// processCPU is not measured on Windows.
func processCPU() time.Duration { return 0 }
