// Command barehttp sends a night's acuses the plainest way Go allows: per
// company, one net/http client, a ticker at the company's rate and a
// goroutine per request that posts the multipart form and reads the
// answer. Nothing is read from a spreadsheet, journalled, retried or
// written. It is the floor against which `make bench` measures batch's
// CPU per request (measurement 4): what the HTTP alone costs here.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "uso: barehttp URL EMPRESAS POR_SEGUNDO (EMPRESAS: líneas «token nit archivo.csv»)")
		os.Exit(2)
	}
	base, perSecond := os.Args[1], os.Args[3]
	rate, err := strconv.ParseFloat(perSecond, 64)
	check(err)
	list, err := os.ReadFile(os.Args[2])
	check(err)
	var (
		wg     sync.WaitGroup
		failed atomic.Int64
	)
	for _, line := range strings.Split(strings.TrimSpace(string(list)), "\n") {
		f := strings.Fields(line)
		cufes := firstColumn(f[2])
		wg.Add(1)
		go func() {
			defer wg.Done()
			company(base, f[0], f[1], cufes, rate, &failed)
		}()
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		fmt.Fprintf(os.Stderr, "barehttp: %d respuestas no fueron 200\n", n)
		os.Exit(1)
	}
}

// company sends one acuse per CUFE at rate a second.
func company(base, token, nit string, cufes []string, rate float64, failed *atomic.Int64) {
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 100}}
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	var wg sync.WaitGroup
	for i, cufe := range cufes {
		if i > 0 {
			<-tick.C
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !send(c, base, token, nit, cufe) {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
}

func send(c *http.Client, base, token, nit, cufe string) bool {
	data, _ := json.Marshal(map[string]any{
		"evento": []any{map[string]any{
			"informacion_documento_referencia": map[string]any{"cufe": cufe},
			"quien_recibio_documento":          map[string]any{"tipo_identificacion": 13, "identificacion": "52123456", "nombres": "Ana María", "apellidos": "Gómez Ruiz"},
		}},
		"generalidades": map[string]any{"tipo_ambiente_dian": 2, "identificador_transmision": "EXCEL-" + cufe[:16], "integrador": map[string]any{"nombre": "EXCEL", "tipo": "EXCEL"}},
	})
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("documento_obligado", nit)
	mw.WriteField("data", string(data))
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, base+"/api/radian/acuse_recibo_fev", &body)
	check(err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode == http.StatusOK
}

// firstColumn is the first field of every line of a CSV but its header.
func firstColumn(path string) []string {
	f, err := os.Open(path)
	check(err)
	defer f.Close()
	var out []string
	s := bufio.NewScanner(f)
	for first := true; s.Scan(); first = false {
		if !first {
			out = append(out, strings.SplitN(s.Text(), ";", 2)[0])
		}
	}
	check(s.Err())
	return out
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "barehttp:", err)
		os.Exit(1)
	}
}
