package sandbox

import (
	"crypto/sha256"
	"encoding/binary"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// checkCUV validates consultar_cuv's data and returns its CUV.
func checkCUV(data any) (string, []problem) {
	c := &checker{}
	root := c.object("", data, []string{"informacion_documento", "generalidades"}, nil)
	if root == nil {
		return "", c.problems
	}
	var cuv string
	if v, ok := root["informacion_documento"]; ok {
		info := c.object("informacion_documento", v, []string{"cuv"}, []string{"numero_documento", "fecha_documento"})
		if info != nil {
			cv, ok := info["cuv"]
			cuv = c.str("informacion_documento.cuv", cv, 90, ok)
			n, ok := info["numero_documento"]
			c.str("informacion_documento.numero_documento", n, 1, ok)
			if f, ok := info["fecha_documento"]; ok {
				if s := c.str("informacion_documento.fecha_documento", f, 10, true); s != "" {
					if _, err := time.Parse("2006-01-02", s); err != nil {
						c.add("informacion_documento.fecha_documento", "Invalid date %q, expected format YYYY-MM-DD", s)
					}
				}
			}
		}
	}
	if g, ok := root["generalidades"]; ok {
		c.generalidades(g)
	}
	return strings.ToLower(cuv), c.problems
}

// cuv answers a CUV query with the seed's success shape (codigo_error as
// the string "0"), or a 400 for a CUV the validator never issued.
func (s *Server) cuv(w http.ResponseWriter, c call, _ Fault) {
	if strings.HasPrefix(c.key, UnknownPrefix) {
		s.replyFor(w, c.key, http.StatusBadRequest, answer{CodigoError: 400, DescripcionError: "Hay problema(s) con la información entregada",
			TiempoEjecucion: time.Since(c.start).Seconds(), Transaccion: transaccion(c.obligado), Entorno: entorno,
			Resultado: []problem{{"informacion_documento.cuv", "El CUV no se encuentra registrado"}}})
		return
	}
	info, ok := s.cfg.CUVs[c.key]
	if !ok {
		info = derivedCUV(c)
	}
	sum := sha256.Sum256([]byte(c.key))
	n := binary.BigEndian.Uint32(sum[:4])
	s.replyFor(w, c.key, http.StatusOK, answer{
		CodigoError: 0, DescripcionError: "OK", TiempoEjecucion: time.Since(c.start).Seconds(),
		Transaccion: transaccion(c.obligado), Entorno: entorno,
		Resultado: map[string]any{
			"codigoUnicoValidacion":     c.key,
			"fechaValidacion":           info.FechaEmision + "T07:31:31.5138302",
			"numDocumentoIdObligado":    info.NumDocumentoIdObligado,
			"numeroDocumento":           info.NumeroDocumento,
			"fechaEmision":              info.FechaEmision + "T11:25:00",
			"totalFactura":              info.TotalFactura,
			"cantidadUsuarios":          1 + n%5,
			"cantidadAtenciones":        n % 9,
			"totalValorServicios":       info.TotalFactura,
			"identificacionAdquiriente": c.obligado,
			"codigoPrestador":           "11001" + info.NumDocumentoIdObligado[:5],
			"modalidadPago":             "01",
			"numDocumentoReferenciado":  nil,
		},
	})
}

// derivedCUV is the invoice behind a CUV nobody configured: the
// validator's own data, derived from the CUV alone and never from what the
// request says, so that a row naming another invoice is caught.
func derivedCUV(c call) CUV {
	sum := sha256.Sum256([]byte(c.key))
	n := binary.BigEndian.Uint32(sum[:4])
	return CUV{
		NumDocumentoIdObligado: "800" + strconv.FormatUint(uint64(100000+n%900000), 10),
		NumeroDocumento:        "SETT" + strconv.FormatUint(uint64(1+n%9999), 10),
		FechaEmision:           time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(n%300)).Format("2006-01-02"),
		TotalFactura:           float64(50000 + n%5000000),
	}
}
