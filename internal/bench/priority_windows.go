package main

import "os/exec"

// make bench runs on Linux; on Windows the loaded measurement shares the
// CPU with the server.
func raisePriority() string { return "; sin prioridad alta en Windows" }

func normalPriority(cmd *exec.Cmd) *exec.Cmd { return cmd }
