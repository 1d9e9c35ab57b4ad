package ops

import (
	"fmt"
	"strings"

	"batch"
	"batch/cells"
	"batch/nit"
)

// What a row is decides whether a RADIAN event may be sent for it. The
// DIAN's export of a company's documents (and many ERPs') mixes sale
// invoices with notes, application responses, support and payroll
// documents, invoices the company issued itself and invoices the DIAN
// refused: events go only for a sale invoice the obligado received and the
// DIAN approved. A row that does not say what it is is sent as before; one
// that says something batch does not recognise is not sent on a guess.

// kind is one kind of document the export names, by the words its
// normalised name contains, in the order they are tried.
type kind struct {
	words   []string
	invoice bool
	code    string
	why     string
}

var kinds = []kind{
	{[]string{"notacredito", "notadecredito"}, false, batch.CodeNota, "nota crédito: RADIAN no registra eventos sobre notas"},
	{[]string{"notadebito", "notadedebito"}, false, batch.CodeNota, "nota débito: RADIAN no registra eventos sobre notas"},
	{[]string{"notadeajuste", "notaajuste"}, false, batch.CodeNota, "nota de ajuste: RADIAN no registra eventos sobre notas"},
	{[]string{"applicationresponse", "respuestadeaplicacion", "eventoradian", "evento"}, false, batch.CodeEvento, "application response: es un evento, no un documento sobre el que se registren eventos"},
	{[]string{"soporte"}, false, batch.CodeSoporte, "documento soporte: RADIAN no registra eventos sobre él"},
	{[]string{"equivalente", "serviciospublicos"}, false, batch.CodeEquivalente, "documento equivalente: RADIAN no registra eventos sobre él"},
	{[]string{"nomina"}, false, batch.CodeNomina, "nómina electrónica: RADIAN no registra eventos sobre ella"},
	{[]string{"facturaelectronica", "facturadeventa", "facturaventa"}, true, "", ""},
}

// RadianScreen says whether a RADIAN event may be sent for a row, for the
// obligado (its NIT as batch keeps it): ok, or the row's result, NO_APLICA
// with its kind or INVALIDO when what the row says cannot be read.
func RadianScreen(row batch.Row, obligado string) (res batch.Result, ok bool) {
	notFor := func(code, why string) (batch.Result, bool) {
		return batch.Result{Status: batch.StatusNoAplica, Code: code, Message: why + "; no se envió"}, false
	}
	invalid := func(why string) (batch.Result, bool) {
		return batch.Result{Status: batch.StatusInvalido, Code: batch.CodeValidacion, Message: why}, false
	}
	if raw := strings.TrimSpace(row.Get(batch.FieldClaseDocumento)); raw != "" {
		k, known := kindOf(raw)
		switch {
		case !known:
			return invalid(fmt.Sprintf("tipo de documento «%s», que batch no reconoce: no se envía sin saber si es una factura de venta. Si lo es, escriba «Factura electrónica»", raw))
		case !k.invoice:
			return notFor(k.code, k.why)
		}
	}
	switch grupo := cells.NormalizeHeader(row.Get(batch.FieldGrupo)); {
	case grupo == "" || strings.HasPrefix(grupo, "recibid"):
	case strings.HasPrefix(grupo, "emitid"):
		return notFor(batch.CodeEmitida, "factura emitida por la empresa: los eventos los registra quien la recibe")
	default:
		return invalid(fmt.Sprintf("grupo «%s», que batch no reconoce: se esperaba Recibido o Emitido", row.Get(batch.FieldGrupo)))
	}
	if issuer := nit.Canonical(row.Get(batch.FieldNITEmisor)); obligado != "" && issuer == obligado {
		return notFor(batch.CodeEmitida, "factura emitida por la empresa (NIT emisor "+issuer+"): los eventos los registra quien la recibe")
	}
	switch estado := cells.NormalizeHeader(row.Get(batch.FieldEstadoDIAN)); {
	case estado == "" || strings.HasPrefix(estado, "aprobad") || strings.HasPrefix(estado, "aceptad") || estado == "valido" || estado == "validado":
	case strings.HasPrefix(estado, "rechazad"):
		return notFor(batch.CodeRechazadaDIAN, "rechazada por la DIAN: no es una factura válida y no admite eventos. Confirme con el emisor cuál la reemplaza")
	default:
		return invalid(fmt.Sprintf("estado «%s», que batch no reconoce: se esperaba Aprobado o Rechazado", row.Get(batch.FieldEstadoDIAN)))
	}
	if to := nit.Canonical(row.Get(batch.FieldNITReceptor)); to != "" && obligado != "" && to != obligado {
		return invalid(fmt.Sprintf("dirigida a NIT %s, no a esta empresa (%s): no se envía con su token. Póngala en los archivos de esa empresa", row.Get(batch.FieldNITReceptor), obligado))
	}
	return batch.Result{}, true
}

// kindOf is the kind a document's type names.
func kindOf(raw string) (kind, bool) {
	name := cells.NormalizeHeader(raw)
	if name == "factura" || name == "fev" || name == "fe" {
		return kinds[len(kinds)-1], true // an ERP's short name for a sale invoice
	}
	for _, k := range kinds {
		for _, w := range k.words {
			if strings.Contains(name, w) {
				return k, true
			}
		}
	}
	return kind{}, false
}

// Addressee is the company a received document is addressed to, as batch
// keeps NITs: its NIT Receptor, unless the row is one the company issued
// (whose receptor is its customer). "" when the row does not say.
func Addressee(row batch.Row) string {
	if strings.HasPrefix(cells.NormalizeHeader(row.Get(batch.FieldGrupo)), "emitid") {
		return ""
	}
	return nit.Canonical(row.Get(batch.FieldNITReceptor))
}
