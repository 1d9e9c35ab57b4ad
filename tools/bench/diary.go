package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"batch"
	"batch/journal"
	"batch/pipeline"
)

// nightJournal is measurement 4d: the journal alone through a night of n
// companies at their limits, with no HTTP, reading or workbook. Each
// request is what batch asks of the journal: the key's last state
// (Recorded), Begin before sending, End once the answer came (after the
// night's latency), with a request and an answer the size of an acuse's.
// It prints the CPU the journal costs per request and the commits it made,
// and returns that CPU (0 where it is not measured).
func nightJournal(dir string, scale, n, rows int) time.Duration {
	j, err := journal.Open(filepath.Join(dir, "noche-diario.db"))
	check(err)
	window := time.Minute / time.Duration(scale)
	latency := heavyTail(scale)
	// The sizes of the sandbox's acuse as the journal keeps them: 540
	// bytes sent (without the token), 510 answered.
	request, response := strings.Repeat("q", 540), strings.Repeat("r", 510)
	values := map[string]any{"cude": strings.Repeat("c", 96), "url_representacion_xml": strings.Repeat("u", 150)}
	before := processCPU()
	start := time.Now()
	var wg sync.WaitGroup
	for c := 0; c < n; c++ {
		p := j.Ledger(journal.Pruebas, fmt.Sprintf("9001%05d", c))
		tick := time.NewTicker(pipeline.Interval(limit, window))
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer tick.Stop()
			for i := 0; i < rows; i++ {
				<-tick.C
				key := cufe(10_000_000 + c*rows + i)
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, _, _, err := p.Recorded(batch.OpAcuse, key)
					check(err)
					id, err := p.Begin(batch.OpAcuse, key, batch.Origin{Source: "fila 2"}, request)
					check(err)
					time.Sleep(latency())
					check(p.End(id, batch.OpAcuse, key, batch.Answer{Class: batch.ClassOK, HTTPStatus: 200, Code: "0", Response: response},
						batch.Result{Status: batch.StatusOK, Code: "0", Values: values, Attempts: 1}))
				}()
			}
		}()
	}
	wg.Wait()
	cpu, wall := processCPU()-before, time.Since(start)
	txs, records := j.Commits()
	check(j.Close())
	fmt.Printf("\n4d. el diario solo, en una noche de %d empresas (%d solicitudes a %.0f/s: consulta, Begin y End por solicitud; sin HTTP, hoja ni libro)\n", n, n*rows, float64(n)/pipeline.Interval(limit, window).Seconds())
	if cpu <= 0 {
		fmt.Printf("   %d anotaciones en %d commits en %.1f s; la CPU no se mide en este sistema\n", records, txs, wall.Seconds())
		return 0
	}
	fmt.Printf("   CPU del diario: %.2f ms por solicitud (%.1f s en %.1f s); %d anotaciones en %d commits (%.1f cada uno, un fsync por commit)\n",
		1000*cpu.Seconds()/float64(n*rows), cpu.Seconds(), wall.Seconds(), records, txs, float64(records)/float64(max(txs, 1)))
	return cpu / time.Duration(n*rows)
}
