package night

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"batch/journal"

	"github.com/xuri/excelize/v2"

	"batch"
	"batch/internal/stands"
	"batch/internal/testutil"
)

// Issued invoices, one row each, sent to an independent .asmx-like service
// in both SOAP versions: every valid row is OK with the service's CUFE and
// its PDF saved beside the workbook, each invoice is called once, and the
// Clave is nowhere on disk.
func TestCorreoAgainstAnIndependentService(t *testing.T) {
	t.Parallel()
	for _, v := range []struct {
		name   string
		soap12 bool
	}{{"soap11", false}, {"soap12", true}} {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			server, url := stands.NewASMX(t, v.soap12)
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "orden-77.pdf"), bytes.Repeat([]byte("x"), 1234), 0o644)
			os.WriteFile(filepath.Join(dir, "acta.txt"), []byte("acta"), 0o644)
			in := filepath.Join(dir, "emitidas.xlsx")
			testutil.WriteXLSX(t, in, testutil.Sheet{Name: "Emitidas", Rows: [][]any{
				{"Prefijo", "NumeroFactura", "Resolucion", "MailRecepcion", "TelefonoRecepcion", "NombreEmpresaRecepcion", "NitEmpresaRecepcion",
					"TipoDocumento", "DigitoVerificacionCliente", "FechaFactura", "RutaArchivo", "TipoIdentificacionCliente", "NombreDocumento", "Adjuntos"},
				{"SETP", 990000001, "18760000001", "compras@cliente.com.co", "6015550000", "Cliente Uno S.A.S.", "800111222", "01", "7", "2026-11-20", "", "31", "SETP990000001", "orden-77.pdf; acta.txt"},
				{"setp", "990000002", "18760000001", "pagos@otro.co;copia@otro.co", "", "Otro Ltda.", "800333444", "01", "1", "20/11/2026", "", "31", "", ""},
				{"SETP", 990000001, "18760000001", "compras@cliente.com.co", "", "Cliente Uno S.A.S.", "800111222", "01", "7", "2026-11-20", "", "31", "", "orden-77.pdf; acta.txt"},
				{"SETP", 990000003, "18760000001", "sin-arroba.cliente.co", "", "Tercero", "800555666", "01", "2", "2026-11-20", "", "31", "", ""},
				{"SETP", 990000004, "18760000001", "ok@cliente.co", "", "Cuarto", "800777888", "01", "2", "2026-11-19", "", "31", "", "no-existe.pdf"},
			}})
			out := filepath.Join(dir, "envios.xlsx")
			journalPath := filepath.Join(dir, "estado", "journal.db")
			s := soapSettings(url, journalPath, out, in)
			s.Facturador.CodigoEmpresa, s.Facturador.RazonSocial, s.SOAP12 = 12, "Facturadora S.A.S.", v.soap12
			if o := send(t, s); o.Verdict() != Attention {
				t.Fatalf("verdict %d, want %d (two invalid rows): %v %v", o.Verdict(), Attention, o.Failed, o.Err)
			}
			rows := testutil.ReadSheet(t, out, "Resultados")
			if len(rows) != 5 {
				t.Fatalf("%d rows in the workbook, want 5", len(rows))
			}
			for i, invoice := range []string{"SETP990000001", "SETP990000002", "SETP990000001"} {
				r := rows[i]
				fecha := "2026-11-20T00:00:00"
				if want := stands.CUFEFor(stands.SoapNIT, invoice, fecha); r["correo_estado"] != "OK" || r["correo_cufe"] != want {
					t.Errorf("row %d: %s cufe %s, want OK %s (%s)", i+2, r["correo_estado"], r["correo_cufe"], want, r["correo_mensaje"])
				}
				if r["correo_dian_valido"] != "sí" || r["correo_dian_estado"] != "00 Procesado Correctamente." ||
					!strings.HasPrefix(r["correo_dian_mensaje"], "Regla: FAJ44b") || !strings.Contains(r["correo_dian_mensaje"], "; Regla: FAJ44b") {
					t.Errorf("row %d: DIAN columns %q %q %q", i+2, r["correo_dian_valido"], r["correo_dian_estado"], r["correo_dian_mensaje"])
				}
				pdf, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(r["correo_pdf"])))
				if err != nil || !bytes.Equal(pdf, server.PDFs[invoice]) {
					t.Errorf("row %d: PDF at %q: %v (%d bytes, want %d)", i+2, r["correo_pdf"], err, len(pdf), len(server.PDFs[invoice]))
				}
				if file := strings.Replace(invoice, "SETP", "SETP-", 1); r["correo_pdf"] != "envios-adjuntos/"+file+".pdf" || r["correo_xml"] != "envios-adjuntos/"+file+".xml" {
					t.Errorf("row %d: files %q %q", i+2, r["correo_pdf"], r["correo_xml"])
				}
			}
			if !strings.Contains(rows[2]["correo_mensaje"], "mismo NUMERO_FACTURA que la hoja «Emitidas», fila 2") {
				t.Errorf("repeated invoice: %q", rows[2]["correo_mensaje"])
			}
			if rows[3]["correo_estado"] != "INVALIDO" || rows[3]["correo_mensaje"] != "MailRecepcion: «sin-arroba.cliente.co» no es un correo electrónico" {
				t.Errorf("bad e-mail: %q %q", rows[3]["correo_estado"], rows[3]["correo_mensaje"])
			}
			if rows[4]["correo_estado"] != "INVALIDO" || rows[4]["correo_mensaje"] != "Adjuntos: no se encuentra el archivo «no-existe.pdf»" {
				t.Errorf("missing attachment: %q %q", rows[4]["correo_estado"], rows[4]["correo_mensaje"])
			}
			want := map[string]int{"SETP990000001": 1, "SETP990000002": 1}
			if fmt.Sprint(server.Calls) != fmt.Sprint(want) {
				t.Errorf("calls per invoice %v, want %v", server.Calls, want)
			}
			if got := server.Files["SETP990000001"]; got != "orden-77.pdf:1234,acta.txt:4" {
				t.Errorf("attachments received %q", got)
			}
			f, err := excelize.OpenFile(out)
			if err != nil {
				t.Fatal(err)
			}
			link, _ := f.GetCellFormula("Resultados", cellOf(t, f, "correo_pdf", 2))
			f.Close()
			if link != `HYPERLINK("envios-adjuntos/SETP-990000001.pdf")` {
				t.Errorf("correo_pdf link %q", link)
			}

			// A second night with the same file and journal calls nobody.
			if o := send(t, s); o.Verdict() != Attention || fmt.Sprint(server.Calls) != fmt.Sprint(want) {
				t.Errorf("second run: verdict %d, calls %v", o.Verdict(), server.Calls)
			}
			assertNoSecretOnDisk(t, dir, stands.SoapClave)
		})
	}
}

// An e-mail is sent at most once unless a person asks again. A request
// that provably never reached the service (a 503, a Fault saying it could
// not read the request) is sent again; one that may have reached it (a
// Fault while handling it, a connection cut half-way through the answer,
// an answer that trickles past the timeout) leaves the row REVISAR, in
// this run and the next ones, until --reenviar names it. An answer with a
// byte that is not UTF-8 is read.
func TestCorreoAtMostOnce(t *testing.T) {
	t.Parallel()
	server, url := stands.NewASMX(t, false)
	server.Trouble = func(invoice string, attempt int) string {
		switch {
		case invoice == "FE1" && attempt <= 2:
			return "503"
		case invoice == "FE2" && attempt == 1:
			return "fault"
		case invoice == "FE3" && attempt == 1:
			return "cut"
		case invoice == "FE4" && attempt == 1:
			return "trickle"
		case invoice == "FE5":
			return "badutf8"
		case invoice == "FE6" && attempt == 1:
			return "unreadable"
		}
		return ""
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "emitidas.csv")
	var b strings.Builder
	b.WriteString("Prefijo;NumeroFactura;FechaFactura;MailRecepcion\n")
	for i := 1; i <= 7; i++ {
		fmt.Fprintf(&b, "FE;%d;2026-11-20;a@b.co\n", i)
	}
	writeText(t, in, b.String())
	out, jr := filepath.Join(dir, "envios.xlsx"), filepath.Join(dir, "j.db")
	// A night killed while FE 7's request was under way left it in flight.
	d, err := journal.Open(jr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Ledger(journal.Pruebas, "ssintegral:"+stands.SoapNIT).Begin(batch.OpCorreo, "FE 7", batch.Origin{Source: "emitidas.csv fila 8"}, "POST"); err != nil {
		t.Fatal(err)
	}
	d.Close()
	s := soapSettings(url, jr, out, in)
	s.RetryDelay, s.Timeout = 10*time.Millisecond, 500*time.Millisecond
	status := func(o Outcome) map[string]string {
		t.Helper()
		got := map[string]string{}
		for _, r := range testutil.ReadSheet(t, out, "Resultados") {
			got[r["NumeroFactura"]] = r["correo_estado"] + " " + r["correo_codigo"]
			if r["NumeroFactura"] == "5" && !strings.Contains(r["correo_descripcion"], "Mu\uFFFDoz") {
				t.Errorf("FE 5's description: %q", r["correo_descripcion"])
			}
		}
		return got
	}
	want := map[string]string{"1": "OK 00", "2": "REVISAR INCIERTO", "3": "REVISAR INCIERTO", "4": "REVISAR INCIERTO", "5": "OK 00", "6": "ERROR soap:Client", "7": "REVISAR INCIERTO"}
	o := send(t, s)
	if got := status(o); !maps.Equal(got, want) {
		t.Errorf("first night:\n got %v\nwant %v", got, want)
	}
	calls := map[string]int{"FE1": 3, "FE2": 1, "FE3": 1, "FE4": 1, "FE5": 1, "FE6": 1}
	if !maps.Equal(server.Calls, calls) {
		t.Errorf("first night's requests %v, want %v", server.Calls, calls)
	}
	// The next night sends again only what provably never left.
	o = send(t, s)
	want["6"], calls["FE6"] = "OK 00", 2
	if got := status(o); !maps.Equal(got, want) || !maps.Equal(server.Calls, calls) {
		t.Errorf("second night:\n got %v %v\nwant %v %v", got, server.Calls, want, calls)
	}
	// A person confirmed with the customers of FE 2 and FE 7: sent again.
	s.Resend = []string{"fe  2", "FE 7"}
	o = send(t, s)
	want["2"], want["7"], calls["FE2"], calls["FE7"] = "OK 00", "OK 00", 2, 1
	if got := status(o); !maps.Equal(got, want) || !maps.Equal(server.Calls, calls) {
		t.Errorf("night with --reenviar:\n got %v %v\nwant %v %v", got, server.Calls, want, calls)
	}
	for invoice, n := range server.Mailed {
		if limit := map[string]int{"FE2": 2}[invoice]; n > max(1, limit) {
			t.Errorf("%s reached the customer %d times", invoice, n)
		}
	}
}

// An answer larger than any held in memory before (a 12 MB PDF, 16 MB in
// base64) is read whole: the invoice is OK and its PDF kept byte for byte.
func TestCorreoLargeAnswer(t *testing.T) {
	t.Parallel()
	server, url := stands.NewASMX(t, true)
	server.Trouble = func(string, int) string { return "huge" }
	dir := t.TempDir()
	in := filepath.Join(dir, "emitidas.csv")
	writeText(t, in, "Prefijo;NumeroFactura;FechaFactura;MailRecepcion\nFE;8;2026-11-20;a@b.co\n")
	out := filepath.Join(dir, "envios.xlsx")
	s := soapSettings(url, filepath.Join(dir, "j.db"), out, in)
	s.SOAP12 = true
	if o := send(t, s); o.Verdict() != Clean {
		t.Fatalf("verdict %d: %v %v %v", o.Verdict(), o.Failed, o.Err, testutil.ReadSheet(t, out, "Resultados"))
	}
	pdf, err := os.ReadFile(filepath.Join(dir, "envios-adjuntos", "FE-8.pdf"))
	if err != nil || len(pdf) < 12<<20 || !bytes.Equal(pdf, server.PDFs["FE8"]) {
		t.Errorf("the large PDF: %d bytes (want %d), %v", len(pdf), len(server.PDFs["FE8"]), err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "envios-adjuntos", ".correo-*")); len(left) > 0 {
		t.Errorf("files left half-way: %v", left)
	}
}

// soapSettings are a run of files that e-mails through the service at url
// as the invoicer stands.SoapNIT, at a pace no test waits for.
func soapSettings(url, jr, out string, files ...string) Settings {
	s := settingsFor(url, jr, out, files...)
	s.Reach[batch.ServiceSSIntegral].URL, s.Reach[batch.ServiceSSIntegral].Rate = url, 600
	s.Facturador.NIT, s.Facturador.Clave = stands.SoapNIT, stands.SoapClave
	return s
}
