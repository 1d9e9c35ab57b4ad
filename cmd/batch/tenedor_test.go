package main

import (
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"batch/internal/testutil"
)

// A night of the legítimo tenedor killed with kill -9 while its second
// list waits for Afacturar: the night started again asks only the CUFEs
// that have no answer, twenty to a request.
func TestTenedorResumesAfterKill(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	var (
		mu    sync.Mutex
		asked = map[string]int{}
		lists int
		hang  = true
		gate  = make(chan struct{})
	)
	stand := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseMultipartForm(1 << 20)
		list := strings.Split(r.FormValue("lista_cufe"), ",")
		mu.Lock()
		lists++
		stall := hang && lists > 1
		for _, c := range list {
			asked[c]++
		}
		mu.Unlock()
		if stall {
			select { // the killed night's second list never gets its answer
			case <-gate:
			case <-r.Context().Done():
			}
			return
		}
		var items []map[string]any
		for _, c := range list {
			items = append(items, map[string]any{"cufe": c, "codigo_error": 0, "nit_legitimo_tenedor": "800197268", "razon_social_legitimo_tenedor": "PROVEEDOR SA"})
		}
		json.NewEncoder(w).Encode(map[string]any{"codigo_error": 0, "descripcion_error": "OK", "resultado": items})
	}))
	defer stand.Close()
	defer close(gate)
	bin := buildBinary(t)
	dir := t.TempDir()
	in, jr := filepath.Join(dir, "pagos.csv"), filepath.Join(dir, "j.db")
	var cufes []string
	text := "CUFE;Evento\n"
	for i := range 45 {
		cufes = append(cufes, testutil.CUFE(9000+i))
		text += cufes[i] + ";tenedor\n"
	}
	writeText(t, in, text)
	cmd := command(bin, stand.URL, "--rate", "60000", "--journal", jr, "-o", filepath.Join(dir, "r.xlsx"), in)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Killed once the first list's twenty answers are in the journal.
	db, err := sql.Open("sqlite", jr)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(30 * time.Second)
	for answered := 0; answered < 20; {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("%d answers in the journal after 30 s", answered)
		}
		db.QueryRow(`SELECT count(*) FROM rows WHERE operation = 'tenedor' AND status = 'OK'`).Scan(&answered)
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	mu.Lock()
	hang, asked, lists = false, map[string]int{}, 0
	mu.Unlock()

	out, err := command(bin, stand.URL, "--rate", "60000", "--journal", jr, "-o", filepath.Join(dir, "r2.xlsx"), in).CombinedOutput()
	if err != nil {
		t.Fatalf("the night again: %v\n%s", err, out)
	}
	// The estimate counts requests, not CUFEs.
	if !strings.Contains(string(out), "se enviarán 2 solicitudes (legítimo tenedor: 25 CUFE en listas de hasta 20); 20 ya resueltas") {
		t.Errorf("the estimate:\n%s", out)
	}
	mu.Lock()
	defer mu.Unlock()
	again := 0
	for _, c := range cufes {
		switch {
		case asked[c] > 1:
			t.Errorf("%s asked %d times in one night", c[:8], asked[c])
		case asked[c] == 1:
			again++
		}
	}
	if again != 25 || lists < 2 || lists > 3 {
		t.Errorf("the night again asked %d CUFEs in %d lists; want the 25 without an answer, in 2 (at most 3)", again, lists)
	}
}
