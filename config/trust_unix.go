//go:build unix

package config

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// trusted refuses a configuration file that someone other than the user
// running batch (or root) could have written, as ssh does with its keys:
// its addresses receive the tokens.
func trusted(path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil // the read that follows says what is wrong
	}
	for _, p := range []string{abs, filepath.Dir(abs)} {
		st, err := os.Stat(p)
		if err != nil {
			return nil
		}
		sys, _ := st.Sys().(*syscall.Stat_t)
		switch {
		case st.Mode().Perm()&0o022 != 0:
			return fmt.Errorf("el archivo de configuración %s no se usa: %s lo pueden modificar otros usuarios (modo %04o). Corríjalo con: chmod go-w %s", path, p, st.Mode().Perm(), p)
		case sys != nil && sys.Uid != 0 && int(sys.Uid) != os.Getuid():
			return fmt.Errorf("el archivo de configuración %s no se usa: %s es de otro usuario (uid %d). Corríjalo con: chown %d %s", path, p, sys.Uid, os.Getuid(), p)
		}
	}
	return nil
}
