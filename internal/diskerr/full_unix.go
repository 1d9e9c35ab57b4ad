//go:build !windows

package diskerr

import (
	"errors"
	"syscall"
)

// full says the disk, or the user's quota on it, has no room left.
func full(err error) bool { return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) }
