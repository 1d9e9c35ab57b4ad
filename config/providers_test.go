package config

// The providers register their tables when their packages load, as they
// do in the binary.
import (
	_ "batch/afacturar"
	_ "batch/ssintegral"
)
