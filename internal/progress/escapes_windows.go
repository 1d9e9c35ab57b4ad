//go:build windows

package progress

import "golang.org/x/sys/windows"

// escapes turns on the console's escape sequences (Windows Terminal has
// them; cmd.exe on Windows 10 and later, once asked): where the console
// refuses, the progress is a line a minute, as in a log, and no escape
// sequence reaches the screen.
func escapes(fd uintptr) bool {
	h := windows.Handle(fd)
	var mode uint32
	if windows.GetConsoleMode(h, &mode) != nil {
		return false
	}
	if mode&windows.ENABLE_VIRTUAL_TERMINAL_PROCESSING != 0 {
		return true
	}
	return windows.SetConsoleMode(h, mode|windows.ENABLE_VIRTUAL_TERMINAL_PROCESSING) == nil
}
