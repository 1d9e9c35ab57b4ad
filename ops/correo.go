package ops

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"batch"
	"batch/cells"
	"batch/ssintegral"
)

// correoSpec declares the e-mail dispatch: a sheet of issued invoices
// (number, address and date of each) asks for it.
var correoSpec = Spec{
	Name:     batch.OpCorreo,
	Key:      batch.FieldNumeroFactura,
	Needs:    []batch.Field{batch.FieldNumeroFactura, batch.FieldMailRecepcion, batch.FieldFechaFactura},
	Issued:   true,
	Endpoint: "EnvioCorreo",
	Service:  batch.ServiceSSIntegral,
	Repeat:   RepeatReaches, // SS Integral e-mails the customer again
	New: func(e Env) Operation {
		// The answers' files are written as they arrive beside where
		// they are kept, and moved into place.
		client := *e.SSIntegral
		client.Spool = e.FilesDir
		return &Correo{Client: &client, Dir: e.FilesDir, Base: e.WorkbookDir, files: newAttachments(e.AttachmentsRoot), Refused: e.NoInvoicer}
	},
}

// Correo sends each row's invoice to its buyer with SS Integral's
// EnvioCorreo, and keeps the PDF and XML it answers with.
type Correo struct {
	Client *ssintegral.Client
	// Dir is where the answers' PDF and XML are saved.
	Dir string
	// Base is the workbook's folder: the cells name the files relative to
	// it, so the workbook and its folder of files can move together.
	Base string
	// Refused, when set, is why no row may be sent (the account is not the
	// company's).
	Refused string

	files *attachments
}

// Close releases the folders attachments were read from.
func (o *Correo) Close() error {
	o.attachments().close()
	return nil
}

// attachments is the operation's resolver, the input files' folders as
// roots unless the Env named one.
func (o *Correo) attachments() *attachments {
	if o.files == nil {
		o.files = newAttachments("")
	}
	return o.files
}

func (*Correo) Name() string { return correoSpec.Name }

// Statuses: an invoice already sent is YA_REGISTRADO.
func (*Correo) Statuses() []batch.Status {
	return statuses(batch.StatusYaRegistrado, batch.StatusRevisar)
}

// KeyField is the column that holds the operation's key.
func (*Correo) KeyField() batch.Field { return correoSpec.Key }

// Columns are the dispatch's output columns, in workbook order.
func (*Correo) Columns() []string {
	return []string{"correo_estado", "correo_cufe", "correo_cude", "correo_qr", "correo_descripcion",
		"correo_dian_valido", "correo_dian_estado", "correo_dian_mensaje", "correo_pdf", "correo_xml",
		"correo_codigo", "correo_mensaje"}
}

// Cells returns a result's values in Columns' order.
func (o *Correo) Cells(r batch.Result) []any {
	if r.Status == "" {
		return make([]any, len(o.Columns()))
	}
	v := func(k string) any { return str(r.Values[k]) }
	return []any{string(r.Status), v(ssintegral.ValueCUFE), v(ssintegral.ValueCUDE), v(ssintegral.ValueQR),
		v(ssintegral.ValueDescripcion), v(ssintegral.ValueDIANValido), v(ssintegral.ValueDIANEstado),
		v(ssintegral.ValueDIANMensaje), o.relative(str(r.Values[ssintegral.ValuePDF])),
		o.relative(str(r.Values[ssintegral.ValueXML])), r.Code, r.Message}
}

func (o *Correo) relative(path string) string {
	if path == "" || o.Base == "" {
		return path
	}
	rel, err := filepath.Rel(o.Base, path)
	if err != nil || strings.HasPrefix(rel, "..") {
		return path
	}
	return filepath.ToSlash(rel)
}

// Prepare checks the row and builds its invoice once, keyed by Prefijo and
// NumeroFactura as DIAN names it. The attachments are found now and read
// only when the invoice is sent.
func (o *Correo) Prepare(row batch.Row) (batch.Request, string) {
	if o.Refused != "" {
		return batch.Request{}, o.Refused
	}
	f, key, problem := o.build(row)
	if problem != "" {
		return batch.Request{}, problem
	}
	files, problem := o.attachments().find(strings.TrimSpace(row.Get(batch.FieldAdjuntos)), row.Sheet.File)
	if problem != "" {
		return batch.Request{}, problem
	}
	for _, file := range files {
		f.Adjuntos = append(f.Adjuntos, ssintegral.Adjunto{Nombre: filepath.Base(file.name)})
	}
	return batch.Request{
		Key: key,
		// The journal keeps the envelope without the Clave and without
		// the attachments' content.
		Describe: func() string { return o.Client.Request(f) },
		Send:     func(ctx context.Context) batch.Answer { return o.send(ctx, f, files, key) },
	}, ""
}

// send dispatches the invoice and saves the files of the answer.
func (o *Correo) send(ctx context.Context, f ssintegral.Factura, files []attachment, key string) batch.Answer {
	withFiles, release, problem := o.attachments().read(ctx, f, files)
	if problem != "" {
		return batch.Answer{Class: batch.ClassRejected, Message: problem}
	}
	ans := o.Client.EnvioCorreo(ctx, withFiles)
	release()
	for _, file := range []struct{ value, ext string }{{ssintegral.ValuePDF, ".pdf"}, {ssintegral.ValueXML, ".xml"}} {
		received, ok := ans.Values[file.value].(ssintegral.Spooled)
		if !ok {
			continue
		}
		path, err := o.keep(fileName(key)+file.ext, received)
		if err != nil {
			os.Remove(received.Path)
			delete(ans.Values, file.value)
			ans.Message = joinNote(ans.Message, fmt.Sprintf("no se pudo guardar el %s recibido: %v", strings.ToUpper(file.ext[1:]), err))
			continue
		}
		ans.Values[file.value] = path
	}
	return ans
}

// keep moves a received file, written whole and on disk, to its name in
// Dir.
func (o *Correo) keep(name string, f ssintegral.Spooled) (string, error) {
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return "", err
	}
	path := filepath.Join(o.Dir, name)
	if err := os.Rename(f.Path, path); err != nil {
		return "", err
	}
	return filepath.Abs(path)
}

// fileName is the file of an invoice's key ("SETP 990000001" is
// SETP-990000001): letters, digits and inner dots stay, the space between
// prefix and number becomes "-", and any other byte is written as _XX, so
// that two invoices never share a file and no name leaves the folder.
func fileName(key string) string {
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.' && i > 0:
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('-')
		default:
			fmt.Fprintf(&b, "_%02X", c)
		}
	}
	return b.String()
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// build turns a row into the invoice to send, without its attachments.
func (o *Correo) build(row batch.Row) (ssintegral.Factura, string, string) {
	get := func(f batch.Field) string { return strings.TrimSpace(row.Get(f)) }
	f := ssintegral.Factura{
		Resolucion:                get(batch.FieldResolucion),
		Prefijo:                   strings.ToUpper(get(batch.FieldPrefijo)),
		NumeroFactura:             cells.WholeNumber(get(batch.FieldNumeroFactura)),
		MailRecepcion:             get(batch.FieldMailRecepcion),
		TelefonoRecepcion:         get(batch.FieldTelefonoRecepcion),
		NombreEmpresaRecepcion:    get(batch.FieldNombreEmpresaRecepcion),
		NitEmpresaRecepcion:       get(batch.FieldNitEmpresaRecepcion),
		TipoDocumento:             get(batch.FieldTipoDocumento),
		DigitoVerificacionCliente: get(batch.FieldDigitoVerificacionCliente),
		RutaArchivo:               get(batch.FieldRutaArchivo),
		TipoIdentificacionCliente: get(batch.FieldTipoIdentificacionCliente),
		NombreDocumento:           get(batch.FieldNombreDocumento),
	}
	if problem := checkInvoiceNumber(f); problem != "" {
		return f, "", problem
	}
	key := InvoiceKey(f.Prefijo, f.NumeroFactura)
	raw := get(batch.FieldFechaFactura)
	if raw == "" {
		return f, "", "FechaFactura: la celda está vacía"
	}
	d, ok := cells.NormalizeDate(raw)
	if !ok {
		return f, "", fmt.Sprintf("FechaFactura: «%s» no es una fecha; escríbala como AAAA-MM-DD", raw)
	}
	f.FechaFactura = d + "T00:00:00"
	if problem := checkMails(f.MailRecepcion); problem != "" {
		return f, "", problem
	}
	return f, key, ""
}

// InvoiceKey is an invoice's key: prefix and number as DIAN names it,
// kept apart by a space (which neither may hold), so that FE1 23 and
// FE 123 are two invoices. Without a prefix it is the number alone.
func InvoiceKey(prefijo, numero string) string {
	numero = strings.ToUpper(numero)
	if prefijo == "" {
		return numero
	}
	return strings.ToUpper(prefijo) + " " + numero
}

// checkInvoiceNumber checks Prefijo and NumeroFactura, the invoice's key.
func checkInvoiceNumber(f ssintegral.Factura) string {
	switch n := f.NumeroFactura; {
	case n == "":
		return "NumeroFactura: la celda está vacía"
	case cells.Damaged(n):
		return fmt.Sprintf("NumeroFactura: «%s» fue convertido en número por la hoja de cálculo, que perdió cifras; escríbalo como texto", n)
	case strings.ContainsAny(n, " \t;,"):
		return fmt.Sprintf("NumeroFactura: «%s» tiene espacios o separadores", n)
	case strings.ContainsAny(f.Prefijo, " \t;,"):
		return fmt.Sprintf("Prefijo: «%s» tiene espacios o separadores", f.Prefijo)
	}
	return ""
}

// checkMails checks MailRecepcion: one or more addresses separated by ; or ,.
func checkMails(raw string) string {
	if raw == "" {
		return "MailRecepcion: la celda está vacía; es el correo al que se envía la factura"
	}
	for _, m := range strings.FieldsFunc(raw, func(r rune) bool { return r == ';' || r == ',' }) {
		m = strings.TrimSpace(m)
		at := strings.LastIndex(m, "@")
		if at < 1 || at == len(m)-1 || strings.ContainsAny(m, " \t<>\"") || !strings.Contains(m[at:], ".") ||
			strings.HasSuffix(m, ".") || strings.Contains(m[at:], "..") {
			return fmt.Sprintf("MailRecepcion: «%s» no es un correo electrónico", m)
		}
	}
	return ""
}
