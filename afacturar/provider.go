package afacturar

import (
	"time"

	"batch"
)

func init() {
	batch.Register(batch.Provider{
		Service: batch.ServiceAfacturar, Code: "afacturar",
		Rate: 120, Window: time.Minute, KeyedBy: "token",
		Addresses: map[string]string{"pruebas": HostPruebas, "produccion": HostProduccion},
		Party:     "el NIT del obligado", Secret: "el token de Afacturar",
		Holder: "el obligado %s",
	})
}
