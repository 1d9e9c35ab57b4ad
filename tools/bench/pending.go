package main

import (
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"batch/journal"
	"batch/sandbox"
)

// pending measures the peak memory of a night of n rows left PENDIENTE
// (its token's first 5 requests, then --limite) against the same night
// fully resolved (every key OK in the journal, nothing sent): rows not
// sent must cost no more than rows answered.
func pending(bin, dir string, n int) {
	fmt.Printf("\n6. memoria de una noche de %d filas que quedan PENDIENTE (--limite 5) frente a la misma noche resuelta (todas OK en el diario)\n", n)
	in := filepath.Join(dir, "pendientes.csv")
	writeCSV(in, n)
	resolved := filepath.Join(dir, "resuelto.db")
	start := time.Now()
	resolvedJournal(resolved, n)
	fmt.Printf("   (diario de %d claves OK escrito en %s)\n", n, round(time.Since(start)))
	sb := sandbox.New(sandbox.Config{Tokens: map[string]string{token: obligado}, RatePerMinute: -1})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	srv := &http.Server{Handler: sb}
	go srv.Serve(ln)
	defer srv.Close()
	night := func(journalPath, out string, extra ...string) usage {
		args := append([]string{"run", "--quiet", "--url", "http://" + ln.Addr().String(), "--rate", "600000", "--copias-diario", "0",
			"--journal", journalPath, "-o", filepath.Join(dir, out)}, extra...)
		cmd := exec.Command(bin, append(args, in)...)
		cmd.Env = append(os.Environ(), "AFACTURAR_TOKEN="+token, "AFACTURAR_OBLIGADO="+obligado, "XDG_STATE_HOME="+filepath.Join(dir, "estado"))
		return measureExit(cmd, 1)
	}
	done := night(resolved, "resuelta.xlsx")
	left := night(filepath.Join(dir, "pendiente.db"), "pendiente.xlsx", "--limite", "5")
	fmt.Printf("   resuelta:  %.1f s, RSS máx. %d MB\n", done.wall.Seconds(), done.rssMB)
	fmt.Printf("   pendiente: %.1f s, RSS máx. %d MB\n", left.wall.Seconds(), left.rssMB)
	ratio := float64(left.rssMB) / float64(done.rssMB)
	fmt.Printf("   RSS pendiente ÷ resuelta = %.2f   (objetivo ≤ 1,2)   %s\n", ratio, verdict(ratio <= 1.2))
}

// resolvedJournal writes a journal whose n keys (the bench's CUFEs) are
// each an acuse registered OK in pruebas, as a night that sent them would
// leave it.
func resolvedJournal(path string, n int) {
	d, err := journal.Open(path)
	check(err)
	check(d.Close())
	db, err := sql.Open("sqlite", "file:"+path)
	check(err)
	defer db.Close()
	tx, err := db.Begin()
	check(err)
	stmt, err := tx.Prepare(`INSERT INTO rows (ambiente, obligado, operation, key, status, code, message, vals, attempts, source, created_at, updated_at)
		VALUES ('pruebas', ?, 'acuse', ?, 'OK', '0', '', ?, 1, ?, ?, ?)`)
	check(err)
	at := time.Now().UTC().Format(time.RFC3339Nano)
	for i := 0; i < n; i++ {
		c := cufe(i)
		_, err := stmt.Exec(obligado, c, `{"cude":"`+c+`","numero_evento":"1"}`, fmt.Sprintf("pendientes.csv fila %d", i+2), at, at)
		check(err)
	}
	check(tx.Commit())
}
