//go:build unix

package ops

import (
	"io/fs"
	"os"
	"syscall"
)

// links is how many names the open file has: more than one, and it may be
// a file from outside the attachments' folder under another name.
func links(_ *os.File, info fs.FileInfo) uint64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}
