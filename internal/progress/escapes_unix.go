//go:build !windows

package progress

import "os"

// escapes reports whether the terminal takes the escape sequences the bar
// draws with: every Unix terminal does.
func escapes(*os.File) bool { return true }
