package diskerr

import (
	"errors"
	"syscall"
)

// full says the disk has no room left: ERROR_DISK_FULL or
// ERROR_HANDLE_DISK_FULL.
func full(err error) bool {
	return errors.Is(err, syscall.Errno(112)) || errors.Is(err, syscall.Errno(39)) || errors.Is(err, syscall.ENOSPC)
}
