package journal

import (
	"os"
	"testing"
)

func writeFile(path, text string) error { return os.WriteFile(path, []byte(text), 0o600) }

// openLedger opens the journal at path and returns the ledger of party in
// DIAN's pruebas; its DB is ledger.d.
func openLedger(t *testing.T, path, party string) (*Ledger, error) {
	t.Helper()
	d, err := Open(path)
	if err != nil {
		return nil, err
	}
	return d.Ledger(Pruebas, party), nil
}
