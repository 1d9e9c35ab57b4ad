package ssintegral

import (
	"time"

	"batch"
)

func init() {
	batch.Register(batch.Provider{
		Service: batch.ServiceSSIntegral, Code: "ssintegral",
		// SS Integral publishes no limit: 30 a minute leaves it room.
		Rate: 30, Window: time.Minute, KeyedBy: "nit",
		Addresses: map[string]string{"pruebas": DefaultURL, "produccion": DefaultURL},
		Party:     "el NIT del facturador en SS Integral", Secret: "la clave de SS Integral",
		Holder: "el facturador %s en SS Integral", Scope: "ssintegral:", OwnAccount: true,
		Table: "ssintegral", Options: map[string]string{"url": "soap-url", "soap12": "soap12", "rate": "rate-correo"},
	})
}
