package stands

import (
	"bytes"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The invoicer ASMX knows, and its clave.
const (
	SoapNIT   = "901555444"
	SoapClave = "Cl4ve-Secreta#2026"
)

// ASMX is an .asmx-like EnvioCorreo service written apart from the client:
// it reads the request token by token, checks the transport of each SOAP
// version, and answers with the service page's own sample answer, its
// placeholders filled in.
type ASMX struct {
	t        *testing.T
	template string // the page's sample answer, SOAP 1.1 or 1.2

	mu      sync.Mutex
	Calls   map[string]int    // Prefijo+NumeroFactura → requests
	Mailed  map[string]int    // Prefijo+NumeroFactura → e-mails that reached the customer
	Files   map[string]string // invoice → attachments' names and sizes
	PDFs    map[string][]byte // invoice → the PDF answered
	version map[string]string
	// Trouble, when set, says how an attempt on an invoice goes wrong:
	// "503" (a proxy's page), "fault" (the service failed while handling
	// it), "unreadable" (the service could not read it), "cut" (the
	// connection closes half-way through a 200 answer), "trickle" (the
	// answer comes a byte at a time until the client gives up), "badutf8"
	// (a whole answer with a byte that is not UTF-8 in Descripcion), "huge"
	// (a whole answer with a 12 MB PDF), or "" for none. Every trouble but 503 and unreadable comes after the
	// invoice was e-mailed.
	Trouble func(invoice string, attempt int) string
}

// CUFEFor is how this service computes an invoice's CUFE.
func CUFEFor(nit, invoice, fecha string) string {
	sum := sha512.Sum384([]byte("asmx|" + nit + "|" + invoice + "|" + fecha))
	return hex.EncodeToString(sum[:])
}

// NewASMX serves an ASMX speaking SOAP 1.1 or 1.2 on loopback for the
// test, and returns it with its address. It answers with the service
// page's sample answers, from the module's ssintegral/testdata.
func NewASMX(t *testing.T, soap12 bool) (*ASMX, string) {
	t.Helper()
	seed := "seed-soap11-response.xml"
	if soap12 {
		seed = "seed-soap12-response.xml"
	}
	tmpl, err := os.ReadFile(filepath.Join(moduleRoot(t), "ssintegral", "testdata", seed))
	if err != nil {
		t.Fatal(err)
	}
	a := &ASMX{t: t, template: string(tmpl), Calls: map[string]int{}, Mailed: map[string]int{}, Files: map[string]string{}, PDFs: map[string][]byte{}, version: map[string]string{}}
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	return a, srv.URL + "/ServicioSSIntegral.asmx"
}

func (a *ASMX) fault(w http.ResponseWriter, text string) {
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Client</faultcode><faultstring>%s</faultstring></soap:Fault></soap:Body></soap:Envelope>`, text)
}

// read checks a request's transport against its SOAP version and walks
// its document: the correo's leaves by name, in order, and the
// attachments' names and sizes. problem is why the request is refused.
func (a *ASMX) read(r *http.Request) (envNS string, fields map[string]string, order, files []string, problem string) {
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case mt == "text/xml" && params["charset"] == "utf-8" && r.Header.Get("SOAPAction") == `"https://factura.ssintegral.com/EnvioCorreo"`:
		envNS = "http://schemas.xmlsoap.org/soap/envelope/"
	case mt == "application/soap+xml" && params["charset"] == "utf-8" && r.Header.Get("SOAPAction") == "":
		envNS = "http://www.w3.org/2003/05/soap-envelope"
	default:
		return "", nil, nil, nil, "transport: Content-Type " + r.Header.Get("Content-Type") + " SOAPAction " + r.Header.Get("SOAPAction")
	}
	if strings.Contains(a.template, "soap12:") != (envNS == "http://www.w3.org/2003/05/soap-envelope") {
		return "", nil, nil, nil, "this service speaks the other SOAP version"
	}
	fields = map[string]string{}
	var (
		path []string
		text strings.Builder
		name string
	)
	dec := xml.NewDecoder(r.Body)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return envNS, fields, order, files, ""
		}
		if err != nil {
			return "", nil, nil, nil, "XML: " + err.Error()
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			path = append(path, tok.Name.Space+" "+tok.Name.Local)
			text.Reset()
		case xml.CharData:
			text.Write(tok)
		case xml.EndElement:
			p := strings.Join(path, "/")
			const correo = "https://factura.ssintegral.com/ correo"
			if i := strings.Index(p, correo+"/"); i >= 0 && strings.HasPrefix(p, envNS+" Envelope/"+envNS+" Body/https://factura.ssintegral.com/ EnvioCorreo/") {
				switch leaf := strings.ReplaceAll(p[i+len(correo)+1:], "https://factura.ssintegral.com/ ", ""); leaf {
				case "Adjuntos/Archivos/NombreArchivo":
					name = text.String()
				case "Adjuntos/Archivos/Archivo":
					b, err := base64.StdEncoding.DecodeString(text.String())
					if err != nil {
						return "", nil, nil, nil, "Archivo is not base64"
					}
					files = append(files, fmt.Sprintf("%s:%d", name, len(b)))
				case "Adjuntos/Archivos", "Adjuntos":
				default:
					fields[leaf] = text.String()
					order = append(order, leaf)
				}
			}
			path = path[:len(path)-1]
		}
	}
}

func (a *ASMX) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/ServicioSSIntegral.asmx" {
		http.NotFound(w, r)
		return
	}
	envNS, fields, order, files, problem := a.read(r)
	if problem != "" {
		a.fault(w, problem)
		return
	}
	want := "NIT Clave Resolucion NumeroFactura Prefijo CodigoEmpresa TipoAmbiente server MailAreaFacturacionFacturador RazonSocialFacturador MailRecepcion TelefonoRecepcion NombreEmpresaRecepcion NitEmpresaRecepcion TipoDocumento DigitoVerificacionCliente DigitoVerificacionFacturador FechaFactura RutaArchivo TipoIdentificacionCliente TipoIdentificacionFacturador NombreDocumento"
	if got := strings.Join(order, " "); got != want {
		a.fault(w, "correo's fields: "+got)
		return
	}
	if fields["NIT"] != SoapNIT || fields["Clave"] != SoapClave {
		a.fault(w, "NIT o clave incorrectos")
		return
	}
	invoice := fields["Prefijo"] + fields["NumeroFactura"]
	cufe := CUFEFor(fields["NIT"], invoice, fields["FechaFactura"])
	pdf := []byte("%PDF-1.4\n% factura " + invoice + "\n%%EOF\n")

	a.mu.Lock()
	a.Calls[invoice]++
	attempt := a.Calls[invoice]
	a.mu.Unlock()
	trouble := ""
	if a.Trouble != nil {
		trouble = a.Trouble(invoice, attempt)
	}
	if trouble == "huge" {
		// A PDF of many scanned pages: 12 MB, 16 MB in base64.
		pdf = append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte{0xE2, 0x80, 0x94, 'x'}, 3<<20)...)
		pdf = append(pdf, "\n%%EOF\n"...)
	}
	switch trouble {
	case "503":
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "<html><body>503 Service Unavailable</body></html>")
		return
	case "unreadable":
		a.fault(w, "Server was unable to read request. ---> There is an error in XML document (1, 310).")
		return
	}
	a.mu.Lock()
	a.Mailed[invoice]++
	a.mu.Unlock()
	if trouble == "fault" {
		a.fault(w, "Server was unable to process request. ---> Object reference not set to an instance of an object.")
		return
	}
	a.mu.Lock()
	a.Files[invoice] = strings.Join(files, ",")
	a.PDFs[invoice] = pdf
	a.version[invoice] = envNS
	a.mu.Unlock()

	a.answer(w, r, a.body(invoice, cufe, fields["MailRecepcion"], pdf), trouble)
}

// body is the page's sample answer with its placeholders filled in.
func (a *ASMX) body(invoice, cufe, mail string, pdf []byte) string {
	body := a.template
	for placeholder, value := range map[string]string{
		"<CUFE>string</CUFE>":                           "<CUFE>" + strings.ToUpper(cufe) + "</CUFE>",
		"<CUDE>string</CUDE>":                           "<CUDE></CUDE>",
		"<QR>string</QR>":                               "<QR>https://catalogo-vpfe.dian.gov.co/document/searchqr?documentkey=" + cufe + "</QR>",
		"<xml>base64Binary</xml>":                       "<xml>" + base64.StdEncoding.EncodeToString([]byte("<Invoice>"+invoice+"</Invoice>")) + "</xml>",
		"<FacturaPDF>base64Binary</FacturaPDF>":         "<FacturaPDF>" + base64.StdEncoding.EncodeToString(pdf) + "</FacturaPDF>",
		"<Descripcion>string</Descripcion>":             "<Descripcion>Enviada a " + mail + "</Descripcion>",
		"<IsValid>boolean</IsValid>":                    "<IsValid>true</IsValid>",
		"<StatusCode>string</StatusCode>":               "<StatusCode>00</StatusCode>",
		"<StatusDescription>string</StatusDescription>": "<StatusDescription>Procesado Correctamente.</StatusDescription>",
		"<string>string</string>":                       "<string>Regla: FAJ44b, Notificación: Nit o Documento de Identificación informado No corresponde al registrado en el RUT</string>",
	} {
		body = strings.ReplaceAll(body, placeholder, value)
	}
	return body
}

// answer writes body as trouble has it: whole, with a byte that is not
// UTF-8, cut half-way, or a byte at a time until the client gives up.
func (a *ASMX) answer(w http.ResponseWriter, r *http.Request, body, trouble string) {
	ct := "text/xml; charset=utf-8"
	if strings.Contains(body, "soap12:") {
		ct = "application/soap+xml; charset=utf-8"
	}
	switch trouble {
	case "badutf8":
		body = strings.Replace(body, "<Descripcion>Enviada a ", "<Descripcion>Enviada a Mu\xf1oz ", 1)
	case "cut":
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			a.t.Error(err)
			return
		}
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s", ct, len(body), body[:len(body)/2])
		buf.Flush()
		conn.Close()
		return
	case "trickle":
		w.Header().Set("Content-Type", ct)
		rc := http.NewResponseController(w)
		for i := 0; i < len(body); i++ {
			if _, err := io.WriteString(w, body[i:i+1]); err != nil || rc.Flush() != nil {
				return
			}
			select {
			case <-r.Context().Done():
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
		return
	}
	w.Header().Set("Content-Type", ct)
	io.WriteString(w, body)
}

// moduleRoot is the folder of go.mod, above the test's package.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	for err == nil {
		if _, statErr := os.Stat(filepath.Join(dir, "go.mod")); statErr == nil {
			return dir
		}
		if parent := filepath.Dir(dir); parent != dir {
			dir = parent
			continue
		}
		break
	}
	t.Fatalf("no go.mod above the test's folder: %v", err)
	return ""
}
