package batch

import (
	"fmt"
	"slices"
	"time"
)

// Provider is what a provider says of itself, once, in its own package
// (rclone's backends register the same way): night wires every registered
// provider alike, and nothing else keeps a list of them.
type Provider struct {
	Service Service // its name in messages
	Code    string  // its name in files: lock files, journal scopes
	// Rate requests per Window is the limit it enforces or, where it
	// publishes none, a pace that leaves it room.
	Rate   int
	Window time.Duration
	// KeyedBy is what its limit is counted by ("token", "nit"): runs that
	// share the key share the pace.
	KeyedBy string
	// Addresses are its address in each DIAN environment (pruebas,
	// produccion).
	Addresses map[string]string
	// Party and Secret are what a run must have to reach it, as messages
	// say them: "el NIT del obligado", "el token de Afacturar".
	Party, Secret string
	// Holder says whose sends a run's lock holds, with %s for the party:
	// "el obligado %s".
	Holder string
	// Scope prefixes its party in the journal ("" for the obligado's own):
	// an invoicer's e-mails apart from an obligado's events under one NIT.
	Scope string
	// OwnAccount: a company of a night sends only with an account of its
	// own NIT (an SS Integral account mails as whoever owns it).
	OwnAccount bool
	// Table is its table in the configuration file ("" for the file's top
	// level): a key of the table sets the option Table-key, or the one
	// Options names for it.
	Table   string
	Options map[string]string
}

// Option is the option that key of p's table in the configuration file
// sets.
func (p Provider) Option(key string) string {
	if o, ok := p.Options[key]; ok {
		return o
	}
	return p.Table + "-" + key
}

var providers []Provider

// Register makes a provider known; each provider's package registers
// itself when it is loaded.
func Register(p Provider) {
	if slices.ContainsFunc(providers, func(q Provider) bool { return q.Service == p.Service }) {
		panic(fmt.Sprintf("batch: provider %s registered twice", p.Service))
	}
	providers = append(providers, p)
}

// Providers are the registered providers, in the order they registered.
func Providers() []Provider { return slices.Clone(providers) }

// ProviderOf is the registered provider of a service.
func ProviderOf(s Service) (Provider, bool) {
	i := slices.IndexFunc(providers, func(p Provider) bool { return p.Service == s })
	if i < 0 {
		return Provider{}, false
	}
	return providers[i], true
}
