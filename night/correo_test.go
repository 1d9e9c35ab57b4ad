package night

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// A 5xx without a Fault is retried; a Fault is the row's ERROR with its
// text, not retried in the run, and sent again by the next one.
func TestCorreoRetriesAndFaults(t *testing.T) {
	t.Parallel()
	server, url := stands.NewASMX(t, false)
	server.Trouble = func(invoice string, attempt int) string {
		switch {
		case invoice == "FE1" && attempt <= 2:
			return "503"
		case invoice == "FE2" && attempt == 1:
			return "fault"
		}
		return ""
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "emitidas.csv")
	writeText(t, in, "Prefijo;NumeroFactura;FechaFactura;MailRecepcion\nFE;1;2026-11-20;a@b.co\nFE;2;2026-11-20;a@b.co\n")
	out := filepath.Join(dir, "envios.xlsx")
	s := soapSettings(url, filepath.Join(dir, "j.db"), out, in)
	s.RetryDelay = 10 * time.Millisecond
	o := send(t, s)
	rows := testutil.ReadSheet(t, out, "Resultados")
	if o.Verdict() != Attention || len(rows) != 2 {
		t.Fatalf("verdict %d, %d rows: %v %v", o.Verdict(), len(rows), o.Failed, o.Err)
	}
	if r := rows[0]; r["correo_estado"] != "OK" || r["intentos"] != "3" || server.Calls["FE1"] != 3 {
		t.Errorf("503 twice then OK: %s after %s attempts (%d calls) %q", r["correo_estado"], r["intentos"], server.Calls["FE1"], r["correo_mensaje"])
	}
	want := "SS Integral respondió con un error SOAP: Server was unable to process request. ---> Object reference not set to an instance of an object."
	if r := rows[1]; r["correo_estado"] != "ERROR" || r["correo_codigo"] != "soap:Client" || r["correo_mensaje"] != want || server.Calls["FE2"] != 1 {
		t.Errorf("fault: %s %s %q after %d calls", r["correo_estado"], r["correo_codigo"], r["correo_mensaje"], server.Calls["FE2"])
	}
	o = send(t, s)
	rows = testutil.ReadSheet(t, out, "Resultados")
	if o.Verdict() != Clean || rows[1]["correo_estado"] != "OK" || server.Calls["FE2"] != 2 || server.Calls["FE1"] != 3 {
		t.Errorf("next run: verdict %d, %s, calls %v", o.Verdict(), rows[1]["correo_estado"], server.Calls)
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
