//go:build !windows

package progress

// escapes reports whether the terminal takes the escape sequences the bar
// draws with: every Unix terminal does.
func escapes(uintptr) bool { return true }
