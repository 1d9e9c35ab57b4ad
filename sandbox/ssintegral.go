package sandbox

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
	"strconv"
	"strings"
	"time"
)

// The SS Integral service the sandbox simulates at SOAPPath.
const (
	SOAPPath      = "/ServicioSSIntegral.asmx"
	soapNamespace = "https://factura.ssintegral.com/"
	soapAction    = soapNamespace + "EnvioCorreo"
	soap11        = "http://schemas.xmlsoap.org/soap/envelope/"
	soap12        = "http://www.w3.org/2003/05/soap-envelope"

	// DefaultNIT and DefaultClave are the invoicer the sandbox knows
	// unless Config.Facturadores says otherwise.
	DefaultNIT   = "900123456"
	DefaultClave = "sandbox-clave"
)

// soapRequest is an EnvioCorreo envelope as the .asmx service reads it:
// the envelope's namespace tells the version, the operation's must be the
// service's.
type soapRequest struct {
	XMLName xml.Name
	Body    struct {
		Call *struct {
			Correo soapCorreo `xml:"correo"`
		} `xml:"https://factura.ssintegral.com/ EnvioCorreo"`
	} `xml:"Body"`
}

// soapCorreo is the correo element of an EnvioCorreo call.
type soapCorreo struct {
	NIT                    string `xml:"NIT"`
	Clave                  string `xml:"Clave"`
	NumeroFactura          string `xml:"NumeroFactura"`
	Prefijo                string `xml:"Prefijo"`
	CodigoEmpresa          int    `xml:"CodigoEmpresa"`
	TipoAmbiente           int    `xml:"TipoAmbiente"`
	MailRecepcion          string `xml:"MailRecepcion"`
	NombreEmpresaRecepcion string `xml:"NombreEmpresaRecepcion"`
	Adjuntos               []struct {
		Nombre  string `xml:"NombreArchivo"`
		Archivo string `xml:"Archivo"`
	} `xml:"Adjuntos>Archivos"`
	FechaFactura string `xml:"FechaFactura"`
}

// Correo is one EnvioCorreo that reached the simulated service.
type Correo struct {
	NIT, Prefijo, NumeroFactura, MailRecepcion string
	SOAP12                                     bool
	Adjuntos                                   map[string][]byte
}

// Correos returns the EnvioCorreo calls received for an invoice
// (Prefijo+NumeroFactura).
func (s *Server) Correos(invoice string) []Correo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Correo(nil), s.correos[invoice]...)
}

// SOAPRequests counts every request to SOAPPath.
func (s *Server) SOAPRequests() int { s.mu.Lock(); defer s.mu.Unlock(); return s.soapRequests }

// CUFEOf is the CUFE the simulated service gives an invoice.
func CUFEOf(nit, prefijo, numero, fecha string) string {
	sum := sha512.Sum384([]byte(nit + "|" + prefijo + "|" + numero + "|" + fecha[:min(len(fecha), 10)]))
	return hex.EncodeToString(sum[:])
}

func (s *Server) asmx(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.soapRequests++
	s.mu.Unlock()
	if r.Method == http.MethodGet {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<html><body><h1>ServicioSSIntegral</h1><p>EnvioCorreo</p></body></html>")
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	version12, ok := soapVersion(w, r)
	if !ok {
		return
	}
	c, fecha, ok := readCorreo(w, r, version12)
	if !ok || !s.authorize(w, c, version12) {
		return
	}
	attempt, ok := s.record(w, c, version12)
	if !ok || !s.delay(r) || s.faulty(w, r, c.Prefijo+c.NumeroFactura, attempt) {
		return
	}
	soapReply(w, version12, http.StatusOK, correoResult(c, fecha, attempt))
}

// soapVersion reads the request's SOAP version from its headers, and
// answers a wrong action or media type as an .asmx service does.
func soapVersion(w http.ResponseWriter, r *http.Request) (version12, ok bool) {
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "text/xml":
		if action := strings.Trim(r.Header.Get("SOAPAction"), `"`); action != soapAction {
			soapFault(w, false, "Client", fmt.Sprintf("Server did not recognize the value of HTTP Header SOAPAction: %s.", r.Header.Get("SOAPAction")))
			return false, false
		}
		return false, true
	case "application/soap+xml":
		if action, ok := params["action"]; ok && action != soapAction {
			soapFault(w, true, "Sender", fmt.Sprintf("Server did not recognize the value of HTTP Header SOAPAction: %s.", action))
			return true, false
		}
		return true, true
	}
	http.Error(w, "Unsupported Media Type", http.StatusUnsupportedMediaType)
	return false, false
}

// readCorreo reads the envelope and its correo, answering a Fault to
// one that cannot be read.
func readCorreo(w http.ResponseWriter, r *http.Request, version12 bool) (soapCorreo, time.Time, bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		return soapCorreo{}, time.Time{}, false
	}
	var req soapRequest
	if err := xml.Unmarshal(body, &req); err != nil {
		soapFault(w, version12, "Client", "Server was unable to read request. ---> There is an error in XML document. ---> "+err.Error())
		return soapCorreo{}, time.Time{}, false
	}
	want := soap11
	if version12 {
		want = soap12
	}
	if req.XMLName.Local != "Envelope" || req.XMLName.Space != want {
		soapFault(w, version12, "VersionMismatch", "Possible SOAP version mismatch: Envelope namespace "+req.XMLName.Space+" was unexpected. Expecting "+want+".")
		return soapCorreo{}, time.Time{}, false
	}
	if req.Body.Call == nil {
		soapFault(w, version12, "Client", "Server did not recognize the value of the request element: the body has no EnvioCorreo in "+soapNamespace+".")
		return soapCorreo{}, time.Time{}, false
	}
	c := req.Body.Call.Correo
	fecha, err := time.Parse("2006-01-02T15:04:05", c.FechaFactura)
	if err != nil {
		soapFault(w, version12, "Client", fmt.Sprintf("Server was unable to read request. ---> There is an error in XML document. ---> The string '%s' is not a valid AllXsd value.", c.FechaFactura))
		return soapCorreo{}, time.Time{}, false
	}
	return c, fecha, true
}

// authorize checks the NIT and Clave, and the invoicer's rate.
func (s *Server) authorize(w http.ResponseWriter, c soapCorreo, version12 bool) bool {
	facturadores := s.cfg.Facturadores
	if facturadores == nil {
		facturadores = map[string]string{DefaultNIT: DefaultClave}
	}
	if clave, ok := facturadores[c.NIT]; !ok || clave != c.Clave {
		soapFault(w, version12, "Server", "Server was unable to process request. ---> NIT o clave incorrectos")
		return false
	}
	if wait, ok := s.admit("soap:"+c.NIT, s.cfg.SOAPRatePerMinute); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds()+0.999)))
		http.Error(w, "Too Many Requests", http.StatusTooManyRequests)
		return false
	}
	return true
}

// record keeps the call and its attachments; attempt is how many calls
// the invoice has had, this one included.
func (s *Server) record(w http.ResponseWriter, c soapCorreo, version12 bool) (attempt int, ok bool) {
	invoice := c.Prefijo + c.NumeroFactura
	files := map[string][]byte{}
	for _, a := range c.Adjuntos {
		b, err := base64.StdEncoding.DecodeString(a.Archivo)
		if err != nil {
			soapFault(w, version12, "Client", "Server was unable to read request. ---> Archivo "+a.Nombre+" is not valid base64.")
			return 0, false
		}
		files[a.Nombre] = b
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.correos[invoice] = append(s.correos[invoice], Correo{NIT: c.NIT, Prefijo: c.Prefijo, NumeroFactura: c.NumeroFactura,
		MailRecepcion: c.MailRecepcion, SOAP12: version12, Adjuntos: files})
	return len(s.correos[invoice]), true
}

// faulty answers the fault the test asked for this attempt, if any.
func (s *Server) faulty(w http.ResponseWriter, r *http.Request, invoice string, attempt int) bool {
	if s.cfg.Fault == nil {
		return false
	}
	switch s.cfg.Fault(invoice, attempt) {
	case FaultNone:
		return false
	case FaultDrop, FaultDropRegistered:
		drop(w)
	case FaultHang:
		<-r.Context().Done()
	default:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, "<html><body><h1>503 Service Unavailable</h1></body></html>")
	}
	return true
}

// correoResult is EnvioCorreoResult for an invoice. In production
// (TipoAmbiente 1) DIAN's verdict comes in RespuestaProduccion: rule 90 on
// a resend, FAD09e for a date in the future, else valid. In pruebas
// (TipoAmbiente 2) DIAN checks the test set later: the answer carries
// RespuestaHabilitacion with its ZipKey and no RespuestaProduccion, and a
// date in the future is refused by SS Integral itself, in Descripcion.
func correoResult(c soapCorreo, fecha time.Time, attempt int) string {
	invoice := c.Prefijo + c.NumeroFactura
	cufe := CUFEOf(c.NIT, c.Prefijo, c.NumeroFactura, c.FechaFactura)
	var verdict string
	switch {
	case c.TipoAmbiente != 1 && fecha.After(time.Now()):
		return fmt.Sprintf(`<EnvioCorreoResponse xmlns="%s"><EnvioCorreoResult><Descripcion>La FechaFactura de %s es posterior a la fecha de envío</Descripcion><RespuestaHabilitacion xsi:nil="true" /><RespuestaProduccion xsi:nil="true" /></EnvioCorreoResult></EnvioCorreoResponse>`,
			soapNamespace, escape(invoice))
	case c.TipoAmbiente != 1:
		zip := cufe[:8] + "-" + cufe[8:12] + "-" + cufe[12:16] + "-" + cufe[16:20] + "-" + cufe[20:32]
		verdict = `<RespuestaHabilitacion><ExtensionData /><ErrorMessageList /><ZipKey>` + zip + `</ZipKey></RespuestaHabilitacion><RespuestaProduccion xsi:nil="true" />`
	case attempt > 1:
		verdict = `<RespuestaHabilitacion xsi:nil="true" />` + dianAnswer(false, "99", "Validación contiene errores en campos mandatorios.", "Regla: 90, Rechazo: Documento procesado anteriormente.")
	case fecha.After(time.Now()):
		verdict = `<RespuestaHabilitacion xsi:nil="true" />` + dianAnswer(false, "99", "Validación contiene errores en campos mandatorios.", "Regla: FAD09e, Rechazo: Fecha de emisión posterior a la fecha de envío")
	default:
		verdict = `<RespuestaHabilitacion xsi:nil="true" />` + dianAnswer(true, "00", "Procesado Correctamente.", "")
	}
	pdf := invoicePDF(invoice, c.NombreEmpresaRecepcion, cufe)
	doc := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?><AttachedDocument><ID>%s</ID><UUID schemeName="CUFE-SHA384">%s</UUID></AttachedDocument>`, escape(invoice), cufe)
	return fmt.Sprintf(`<EnvioCorreoResponse xmlns="%s"><EnvioCorreoResult><CUFE>%s</CUFE><CUDE /><QR>https://catalogo-vpfe-hab.dian.gov.co/document/searchqr?documentkey=%s</QR><xml>%s</xml><FacturaPDF>%s</FacturaPDF><ResponseDIAN>%s</ResponseDIAN><Descripcion>Factura %s enviada a %s</Descripcion><DatosResolucion><ExtensionData /><OperationCode>100</OperationCode><OperationDescription>Accion completada OK</OperationDescription><ResponseList /></DatosResolucion>%s</EnvioCorreoResult></EnvioCorreoResponse>`,
		soapNamespace, cufe, cufe, base64.StdEncoding.EncodeToString([]byte(doc)), base64.StdEncoding.EncodeToString(pdf),
		base64.StdEncoding.EncodeToString([]byte("<ApplicationResponse/>")), escape(invoice), escape(c.MailRecepcion), verdict)
}

func dianAnswer(valid bool, code, description, message string) string {
	msgs := ""
	if message != "" {
		msgs = "<string>" + escape(message) + "</string>"
	}
	return fmt.Sprintf(`<RespuestaProduccion><ExtensionData /><ErrorMessage>%s</ErrorMessage><IsValid>%t</IsValid><StatusCode>%s</StatusCode><StatusDescription>%s</StatusDescription><StatusMessage /><XmlBase64Bytes xsi:nil="true" /><XmlBytes xsi:nil="true" /><XmlDocumentKey /><XmlFileName /></RespuestaProduccion>`,
		msgs, valid, code, escape(description))
}

// soapFault answers as an .asmx service does: HTTP 500 and a Fault in the
// request's SOAP version.
func soapFault(w http.ResponseWriter, version12 bool, code, text string) {
	if version12 {
		soapReply(w, true, http.StatusInternalServerError, fmt.Sprintf(`<soap:Fault><soap:Code><soap:Value>soap:%s</soap:Value></soap:Code><soap:Reason><soap:Text xml:lang="es">%s</soap:Text></soap:Reason><soap:Detail /></soap:Fault>`, code, escape(text)))
		return
	}
	soapReply(w, false, http.StatusInternalServerError, fmt.Sprintf(`<soap:Fault><faultcode>soap:%s</faultcode><faultstring>%s</faultstring><detail /></soap:Fault>`, code, escape(text)))
}

func soapReply(w http.ResponseWriter, version12 bool, status int, body string) {
	ns, ct := soap11, "text/xml; charset=utf-8"
	if version12 {
		ns, ct = soap12, "application/soap+xml; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="%s" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soap:Body>%s</soap:Body></soap:Envelope>`, ns, body)
}

func escape(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// invoicePDF is a one-page PDF naming the invoice, with a correct
// cross-reference table, so a reader opens it.
func invoicePDF(invoice, buyer, cufe string) []byte {
	text := func(s string) string {
		return strings.NewReplacer(`\`, `\\`, "(", `\(`, ")", `\)`).Replace(strings.Map(func(r rune) rune {
			if r < 32 || r > 126 {
				return '?'
			}
			return r
		}, s))
	}
	content := fmt.Sprintf("BT /F1 14 Tf 50 780 Td (Factura electronica %s) Tj 0 -24 Td /F1 10 Tf (Adquirente: %s) Tj 0 -16 Td (CUFE: %s) Tj ET",
		text(invoice), text(buyer), cufe[:48])
	objects := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objects))
	for i, o := range objects {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objects)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objects)+1, xref)
	return b.Bytes()
}
