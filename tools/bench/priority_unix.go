//go:build unix

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// raisePriority gives every thread of the bench (the stand-in server) a
// nice of -10, which the threads it starts later inherit, so that the
// server is kept out of the contention of a loaded measurement. It says
// so when it cannot (not root).
func raisePriority() string {
	tasks, _ := filepath.Glob("/proc/self/task/*")
	for _, t := range tasks {
		tid, err := strconv.Atoi(filepath.Base(t))
		if err != nil {
			continue
		}
		if err := syscall.Setpriority(syscall.PRIO_PROCESS, tid, -10); err != nil {
			return "; sin permiso para subir su prioridad, el servidor comparte la CPU"
		}
	}
	return ""
}

// normalPriority runs cmd at the priority of an ordinary process (nice 0),
// whatever the bench's own.
func normalPriority(cmd *exec.Cmd) *exec.Cmd {
	if p, err := syscall.Getpriority(syscall.PRIO_PROCESS, 0); err == nil && 20-p != 0 {
		// Linux returns 20 - nice.
		n := 20 - p
		args := append([]string{"-n", strconv.Itoa(-n), cmd.Path}, cmd.Args[1:]...)
		c := exec.Command("nice", args...)
		c.Env, c.Dir = cmd.Env, cmd.Dir
		if cmd.Env == nil {
			c.Env = os.Environ()
		}
		return c
	}
	return cmd
}

// processCPU is the CPU the bench's process has used so far, user and
// system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
