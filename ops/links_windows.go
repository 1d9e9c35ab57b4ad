//go:build windows

package ops

import (
	"io/fs"
	"os"

	"golang.org/x/sys/windows"
)

// links is how many names the open file has (NTFS hard links): more than
// one, and it may be a file from outside the attachments' folder under
// another name.
func links(f *os.File, _ fs.FileInfo) uint64 {
	var d windows.ByHandleFileInformation
	if err := windows.GetFileInformationByHandle(windows.Handle(f.Fd()), &d); err != nil {
		return 2 // what cannot be known is refused
	}
	return uint64(d.NumberOfLinks)
}
