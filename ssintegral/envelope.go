package ssintegral

import (
	"io"

	"bytes"
	"encoding/base64"
	"encoding/xml"
	"strings"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Namespaces of the envelopes the service's page shows.
const (
	nsXSI    = "http://www.w3.org/2001/XMLSchema-instance"
	nsXSD    = "http://www.w3.org/2001/XMLSchema"
	nsSOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
	nsSOAP12 = "http://www.w3.org/2003/05/soap-envelope"
)

const xmlHeader = `<?xml version="1.0" encoding="utf-8"?>` + "\n"

// envelope is the request as the service's page writes it: the prefixes
// (soap or soap12) and the three namespace declarations in its order.
// encoding/xml writes a name with a colon as it is, which is how the page's
// prefixes are reproduced exactly.
type envelope struct {
	XMLName xml.Name
	XSI     string `xml:"xmlns:xsi,attr"`
	XSD     string `xml:"xmlns:xsd,attr"`
	SOAP    string `xml:"xmlns:soap,attr,omitempty"`
	SOAP12  string `xml:"xmlns:soap12,attr,omitempty"`
	Body    envelopeBody
}

type envelopeBody struct {
	XMLName xml.Name
	Call    envioCorreo
}

type envioCorreo struct {
	XMLName xml.Name `xml:"https://factura.ssintegral.com/ EnvioCorreo"`
	Correo  correo   `xml:"correo"`
}

// correo holds the fields in the order of the service's schema; an .asmx
// service reads a sequence in order and ignores what comes out of place.
type correo struct {
	NIT                           string    `xml:"NIT"`
	Clave                         string    `xml:"Clave"`
	Resolucion                    string    `xml:"Resolucion"`
	NumeroFactura                 string    `xml:"NumeroFactura"`
	Prefijo                       string    `xml:"Prefijo"`
	CodigoEmpresa                 int       `xml:"CodigoEmpresa"`
	TipoAmbiente                  int       `xml:"TipoAmbiente"`
	Server                        string    `xml:"server"`
	MailAreaFacturacionFacturador string    `xml:"MailAreaFacturacionFacturador"`
	RazonSocialFacturador         string    `xml:"RazonSocialFacturador"`
	MailRecepcion                 string    `xml:"MailRecepcion"`
	TelefonoRecepcion             string    `xml:"TelefonoRecepcion"`
	NombreEmpresaRecepcion        string    `xml:"NombreEmpresaRecepcion"`
	NitEmpresaRecepcion           string    `xml:"NitEmpresaRecepcion"`
	Adjuntos                      *adjuntos `xml:"Adjuntos"`
	TipoDocumento                 string    `xml:"TipoDocumento"`
	DigitoVerificacionCliente     string    `xml:"DigitoVerificacionCliente"`
	DigitoVerificacionFacturador  string    `xml:"DigitoVerificacionFacturador"`
	FechaFactura                  string    `xml:"FechaFactura"`
	RutaArchivo                   string    `xml:"RutaArchivo"`
	TipoIdentificacionCliente     string    `xml:"TipoIdentificacionCliente"`
	TipoIdentificacionFacturador  string    `xml:"TipoIdentificacionFacturador"`
	NombreDocumento               string    `xml:"NombreDocumento"`
}

type adjuntos struct {
	Archivos []archivo `xml:"Archivos"`
}

type archivo struct {
	NombreArchivo string `xml:"NombreArchivo"`
	Archivo       Bytes  `xml:"Archivo"`
}

// Bytes is xsd:base64Binary: encoded when written, decoded leniently
// (line breaks inside are allowed) when read.
type Bytes []byte

func (b Bytes) MarshalText() ([]byte, error) {
	out := make([]byte, base64.StdEncoding.EncodedLen(len(b)))
	base64.StdEncoding.Encode(out, b)
	return out, nil
}

func (b *Bytes) UnmarshalText(text []byte) error {
	clean := bytes.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
			return -1
		}
		return r
	}, text)
	out := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
	n, err := base64.StdEncoding.Decode(out, clean)
	if err != nil {
		return err
	}
	*b = out[:n]
	return nil
}

// Envelope returns the request for one invoice, exactly as it is sent.
func (c *Client) Envelope(f Factura) ([]byte, error) {
	return c.envelope(f, c.Facturador.Clave, true)
}

// envelope builds the request; without files, the attachments keep their
// names and lose their content (the journal's copy).
func (c *Client) envelope(f Factura, clave string, files bool) ([]byte, error) {
	e := envelope{XSI: nsXSI, XSD: nsXSD}
	prefix := "soap"
	if c.SOAP12 {
		prefix, e.SOAP12 = "soap12", nsSOAP12
	} else {
		e.SOAP = nsSOAP11
	}
	e.XMLName.Local = prefix + ":Envelope"
	e.Body.XMLName.Local = prefix + ":Body"
	fa := c.Facturador
	e.Body.Call.Correo = correo{
		NIT:                           fa.NIT,
		Clave:                         clave,
		Resolucion:                    f.Resolucion,
		NumeroFactura:                 f.NumeroFactura,
		Prefijo:                       f.Prefijo,
		CodigoEmpresa:                 fa.CodigoEmpresa,
		TipoAmbiente:                  fa.TipoAmbiente,
		Server:                        fa.Server,
		MailAreaFacturacionFacturador: fa.MailAreaFacturacion,
		RazonSocialFacturador:         fa.RazonSocial,
		MailRecepcion:                 f.MailRecepcion,
		TelefonoRecepcion:             f.TelefonoRecepcion,
		NombreEmpresaRecepcion:        f.NombreEmpresaRecepcion,
		NitEmpresaRecepcion:           f.NitEmpresaRecepcion,
		TipoDocumento:                 f.TipoDocumento,
		DigitoVerificacionCliente:     f.DigitoVerificacionCliente,
		DigitoVerificacionFacturador:  fa.DigitoVerificacion,
		FechaFactura:                  f.FechaFactura,
		RutaArchivo:                   f.RutaArchivo,
		TipoIdentificacionCliente:     f.TipoIdentificacionCliente,
		TipoIdentificacionFacturador:  fa.TipoIdentificacion,
		NombreDocumento:               f.NombreDocumento,
	}
	// The service's page always carries Adjuntos: empty when there are
	// no files.
	{
		a := &adjuntos{}
		for _, file := range f.Adjuntos {
			content := Bytes(file.Contenido)
			if !files {
				content = nil
			}
			a.Archivos = append(a.Archivos, archivo{NombreArchivo: file.Nombre, Archivo: content})
		}
		e.Body.Call.Correo.Adjuntos = a
	}
	var b bytes.Buffer
	b.WriteString(xmlHeader)
	if err := xml.NewEncoder(&b).Encode(e); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// response is an answer's envelope, read by local names so that either
// SOAP version (and any prefix) decodes.
type response struct {
	Body struct {
		Fault  *fault `xml:"Fault"`
		Answer *struct {
			Result *Result `xml:"EnvioCorreoResult"`
		} `xml:"EnvioCorreoResponse"`
	} `xml:"Body"`
}

// fault is a SOAP 1.1 or 1.2 Fault.
type fault struct {
	Code11   string   `xml:"faultcode"`
	String11 string   `xml:"faultstring"`
	Code12   string   `xml:"Code>Value"`
	Subcode  string   `xml:"Code>Subcode>Value"`
	Reason12 []string `xml:"Reason>Text"`
}

func (f *fault) code() string {
	if f.Code11 != "" {
		return strings.TrimSpace(f.Code11)
	}
	return strings.TrimSpace(f.Code12)
}

func (f *fault) text() string {
	if s := strings.TrimSpace(f.String11); s != "" {
		return s
	}
	var parts []string
	for _, r := range f.Reason12 {
		if r = strings.TrimSpace(r); r != "" {
			parts = append(parts, r)
		}
	}
	return strings.Join(parts, " ")
}

// Result is EnvioCorreoResult: the invoice's keys, its files and DIAN's
// verdict.
type Result struct {
	CUFE string `xml:"CUFE"`
	CUDE string `xml:"CUDE"`
	QR   string `xml:"QR"`
	// The files' content is in files of their own (spooler): these
	// stand for them.
	XML          string      `xml:"xml"`
	FacturaPDF   string      `xml:"FacturaPDF"`
	ResponseDIAN string      `xml:"ResponseDIAN"`
	Descripcion  string      `xml:"Descripcion"`
	Produccion   *Produccion `xml:"RespuestaProduccion"`
	Habilitacion *struct {
		ZipKey string `xml:"ZipKey"`
	} `xml:"RespuestaHabilitacion"`
}

// Produccion is DIAN's answer (RespuestaProduccion).
type Produccion struct {
	Nil               string   `xml:"http://www.w3.org/2001/XMLSchema-instance nil,attr"`
	ErrorMessage      []string `xml:"ErrorMessage>string"`
	IsValid           string   `xml:"IsValid"`
	StatusCode        string   `xml:"StatusCode"`
	StatusDescription string   `xml:"StatusDescription"`
	StatusMessage     string   `xml:"StatusMessage"`
	XmlDocumentKey    string   `xml:"XmlDocumentKey"`
	XmlFileName       string   `xml:"XmlFileName"`
}

// decode reads an answer's body, its files already out of it. The error
// says what is wrong with it.
func decode(body io.Reader) (*fault, *Result, error) {
	var r response
	// A byte that is not UTF-8 in a text field (a name typed in another
	// encoding) is kept as U+FFFD: the answer is still read.
	if err := xml.NewDecoder(transform.NewReader(body, unicode.UTF8.NewDecoder())).Decode(&r); err != nil {
		return nil, nil, err
	}
	if r.Body.Fault != nil {
		return r.Body.Fault, nil, nil
	}
	if r.Body.Answer == nil || r.Body.Answer.Result == nil {
		return nil, nil, errNoResult
	}
	return nil, r.Body.Answer.Result, nil
}
