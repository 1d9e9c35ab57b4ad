package night

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"batch"
	"batch/internal/testutil"
	"batch/journal"
)

// tenedorStand answers the legítimo tenedor query unlike what the client
// expects: lists out of order, CUFEs in upper case, codigo_error as text,
// one CUFE refused on its own, one left out of the first list that asks
// for it, and the first request of all failing whole (503).
type tenedorStand struct {
	mu        sync.Mutex
	lists     [][]string
	whose     []string // each list's documento_obligado
	asked     map[string]int
	refused   string // answered with its own error
	left      string // missing from the first answer that should hold it
	endorsed  string // held by a factoring company
	failFirst bool
}

func (s *tenedorStand) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.ParseMultipartForm(1 << 20)
	list := strings.Split(r.FormValue("lista_cufe"), ",")
	s.mu.Lock()
	s.lists, s.whose = append(s.lists, list), append(s.whose, r.FormValue("documento_obligado"))
	first := len(s.lists) == 1
	var items []map[string]any
	for i := len(list) - 1; i >= 0; i-- { // out of order
		c := list[i]
		s.asked[c]++
		switch {
		case c == s.left && s.asked[c] == 1:
			continue
		case c == s.refused:
			items = append(items, map[string]any{"cufe": strings.ToUpper(c), "codigo_error": 7, "descripcion_error": "CUFE no encontrado en RADIAN"})
		case c == s.endorsed:
			items = append(items, map[string]any{"cufe": strings.ToUpper(c), "codigo_error": "0", "nit_legitimo_tenedor": "900.777.777-2", "razon_social_legitimo_tenedor": "FACTORING SA"})
		default:
			items = append(items, map[string]any{"cufe": strings.ToUpper(c), "codigo_error": "0", "nit_legitimo_tenedor": "800197268", "razon_social_legitimo_tenedor": "PROVEEDOR SA"})
		}
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if first && s.failFirst {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"codigo_error":503,"descripcion_error":"Servicio no disponible"}`))
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"codigo_error": "0", "descripcion_error": "OK", "resultado": items})
}

// Rows are asked twenty distinct CUFEs to a request; a CUFE repeated in
// the file is asked once; each CUFE is answered on its own, whatever the
// order and case of the answer; a refused CUFE is its row's error and its
// neighbours are OK; a CUFE left out is asked again; a request that fails
// whole is sent again; a holder other than the issuer is REVISAR, in
// Atención. The same night asks nothing again; the next one asks again.
func TestTenedorTwentyAtATime(t *testing.T) {
	t.Parallel()
	var cufes []string
	for i := range 45 {
		cufes = append(cufes, testutil.CUFE(7000+i))
	}
	stand := &tenedorStand{asked: map[string]int{}, refused: cufes[3], left: cufes[30], endorsed: cufes[10], failFirst: true}
	srv := httptest.NewServer(stand)
	defer srv.Close()
	dir := t.TempDir()
	in := filepath.Join(dir, "pagos.csv")
	text := "CUFE;NIT Emisor;Evento\n"
	for i, c := range cufes {
		text += c + ";800.197.268-4;tenedor\n"
		if i%9 == 0 {
			text += strings.ToUpper(c) + ";800197268;tenedor\n" // the same invoice again
		}
	}
	writeText(t, in, text)
	jr := filepath.Join(dir, "j.db")
	s := settingsFor(srv.URL, jr, filepath.Join(dir, "r.xlsx"), in)
	s.RetryDelay = 1
	o := send(t, s)
	if o.Failed != nil || o.Err != nil {
		t.Fatalf("%v %v", o.Failed, o.Err)
	}
	stand.mu.Lock()
	lists := slices.Clone(stand.lists)
	stand.mu.Unlock()
	// 3 lists for 45 CUFEs, the failed one again, and the CUFE left out.
	if len(lists) > 5 {
		t.Errorf("%d requests for 45 CUFEs: %v", len(lists), lens(lists))
	}
	for _, l := range lists {
		if len(l) > 20 || len(l) != len(unique(l)) {
			t.Errorf("a list of %d CUFEs, %d distinct", len(l), len(unique(l)))
		}
	}
	for _, c := range cufes {
		if n := stand.asked[c]; n == 0 || (n > 1 && c != stand.left && !slices.Contains(lists[0], c)) {
			t.Errorf("%s asked %d times", c[:8], n)
		}
	}
	rows := testutil.ReadSheet(t, filepath.Join(dir, "r.xlsx"), "Resultados")
	by := map[string]map[string]string{}
	for _, r := range rows {
		by[strings.ToLower(r["CUFE"])] = r
	}
	if r := by[stand.refused]; r["tenedor_estado"] != "RECHAZADO" || !strings.Contains(r["tenedor_mensaje"], "CUFE no encontrado") {
		t.Errorf("the refused CUFE: %v", r)
	}
	if r := by[cufes[4]]; r["tenedor_estado"] != "OK" || r["tenedor_nit"] != "800197268" || !strings.Contains(r["tenedor_mensaje"], "en poder de su emisor") {
		t.Errorf("its neighbour: %v", r)
	}
	if r := by[stand.left]; r["tenedor_estado"] != "OK" {
		t.Errorf("the CUFE left out: %v", r)
	}
	if r := by[stand.endorsed]; r["tenedor_estado"] != "REVISAR" || r["tenedor_nit"] != "900777777" || !strings.Contains(r["tenedor_mensaje"], "endosada: pague a 900777777 – FACTORING SA") {
		t.Errorf("the endorsed invoice: %v", r)
	}
	if attention := testutil.ReadSheet(t, filepath.Join(dir, "r.xlsx"), "Atención"); len(attention) != 2 {
		t.Errorf("Atención: %v", attention)
	}
	// Resumen says whom to pay: 50 rows, 48 held by their issuer.
	f, err := excelize.OpenFile(filepath.Join(dir, "r.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	resumen, _ := f.GetRows("Resumen")
	f.Close()
	for _, want := range []string{"[en poder de su emisor: se le paga a él  48]", "[endosadas: se paga al tenedor (hoja Atención)  1]",
		"[la fila no dice el NIT Emisor: compare el tenedor con él  0]", "[sin respuesta: no pague sin saber quién la tiene  1]"} {
		if !strings.Contains(fmt.Sprint(resumen), want) {
			t.Errorf("Resumen lacks %s:\n%v", want, resumen)
		}
	}
	// The same night: nothing is asked again.
	before := len(lists)
	if o := send(t, settingsFor(srv.URL, jr, filepath.Join(dir, "r2.xlsx"), in)); o.Failed != nil || len(stand.lists) != before {
		t.Errorf("the same night asked %d more lists", len(stand.lists)-before)
	}
	// The next night asks again: the holder can change any day.
	db, err := sql.Open("sqlite", jr)
	if err != nil {
		t.Fatal(err)
	}
	yesterday := time.Now().Add(-13 * time.Hour).UTC().Format(time.RFC3339Nano)
	if _, err := db.Exec(`UPDATE rows SET updated_at = ? WHERE operation = ?`, yesterday, batch.OpTenedor); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// ⌈45/20⌉ = 3 lists; one more where a slow journal let a list go
	// before its twentieth CUFE came.
	if o := send(t, settingsFor(srv.URL, jr, filepath.Join(dir, "r3.xlsx"), in)); o.Failed != nil || len(stand.lists)-before < 3 || len(stand.lists)-before > 4 {
		t.Errorf("the next night asked %d lists, want 3 (at most 4)", len(stand.lists)-before)
	}
	// The journal keeps each night's holder, for batch historial.
	j, err := journal.OpenReadOnly(jr)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	history, err := j.History(cufes[4])
	if err != nil || len(history) != 1 {
		t.Fatalf("history: %+v, %v", history, err)
	}
	nights := 0
	for _, a := range history[0].Attempts {
		if a.Outcome == "OK" && a.Message == "legítimo tenedor: 800197268 – PROVEEDOR SA" {
			nights++
		}
	}
	if nights != 2 {
		t.Errorf("the holder of %d nights kept: %+v", nights, history[0].Attempts)
	}
}

func lens(lists [][]string) []int {
	var out []int
	for _, l := range lists {
		out = append(out, len(l))
	}
	return out
}

func unique(l []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range l {
		if !seen[c] {
			seen[c], out = true, append(out, c)
		}
	}
	return out
}

// A night of two companies asks each company's CUFEs in lists of its own,
// with its own token, at once.
func TestTenedorListsAreOneObligados(t *testing.T) {
	t.Parallel()
	stand := &tenedorStand{asked: map[string]int{}}
	srv := httptest.NewServer(stand)
	defer srv.Close()
	dir := t.TempDir()
	text := "CUFE;Obligado;Evento\n"
	owner := map[string]string{}
	for i := range 50 {
		c, nit := testutil.CUFE(7500+i), []string{"900111111", "900222222"}[i%2]
		owner[c] = nit
		text += c + ";" + nit + ";tenedor\n"
	}
	writeText(t, filepath.Join(dir, "grupo.csv"), text)
	s := settingsFor(srv.URL, filepath.Join(dir, "diario.db"), "")
	s.Obligado, s.Token, s.Person = "", "", testPerson
	p := Plan{Settings: s, OutDir: dir, Archivos: []string{filepath.Join(dir, "grupo.csv")}, Companies: []Company{
		{Nombre: "ACME", NIT: "900111111", Token: "tok-acme", Archivos: []string{filepath.Join(dir, "nada-*.csv")}, Person: testPerson},
		{Nombre: "Beta", NIT: "900222222", Token: "tok-beta", Archivos: []string{filepath.Join(dir, "nada-*.csv")}, Person: testPerson},
	}}
	rep, err := NewNight(p).Run(context.Background(), func(Company) Watcher { return quiet{} })
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range rep.Companies {
		if by := c.Summary.ByStatus(); by[batch.StatusOK] != 25 {
			t.Errorf("%s: %v", c.Label(), by)
		}
	}
	stand.mu.Lock()
	defer stand.mu.Unlock()
	if len(stand.lists) < 4 || len(stand.lists) > 6 { // ⌈25/20⌉ each, one more each at most
		t.Errorf("%d lists for 2 × 25 CUFEs: %v", len(stand.lists), lens(stand.lists))
	}
	for i, l := range stand.lists {
		for _, c := range l {
			if owner[c] != stand.whose[i] {
				t.Errorf("list %d of %s holds %s, of %s", i, stand.whose[i], c[:8], owner[c])
			}
		}
	}
}
