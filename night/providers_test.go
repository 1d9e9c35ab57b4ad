package night

import (
	"slices"
	"testing"

	"batch"
	"batch/pipeline"
)

// Each provider describes itself once, whole: what night wires it from.
func TestProvidersDescribeThemselves(t *testing.T) {
	t.Parallel()
	var codes []string
	for _, p := range batch.Providers() {
		switch {
		case p.Code == "" || slices.Contains(codes, p.Code):
			t.Errorf("%s: code %q missing or repeated", p.Service, p.Code)
		case p.Rate <= 0 || p.Window <= 0:
			t.Errorf("%s: limit %d per %s", p.Service, p.Rate, p.Window)
		case p.Addresses["pruebas"] == "" || p.Addresses["produccion"] == "":
			t.Errorf("%s: addresses %v", p.Service, p.Addresses)
		case p.Party == "" || p.Secret == "" || p.Holder == "" || (p.KeyedBy != "token" && p.KeyedBy != "nit"):
			t.Errorf("%s: incomplete description %+v", p.Service, p)
		}
		codes = append(codes, p.Code)
	}
	if len(codes) != 2 {
		t.Errorf("registered providers: %v", codes)
	}
}

// A run reaches a provider as the provider says, but where the settings
// say otherwise.
func TestReachIsTheProvidersUnlessGiven(t *testing.T) {
	t.Parallel()
	p, _ := batch.ProviderOf(batch.ServiceAfacturar)
	s := Settings{Ambiente: "produccion"}
	if got := s.ReachOf(p); got.URL != p.Addresses["produccion"] || got.Rate != p.Rate || got.Window != p.Window {
		t.Errorf("defaults: %+v", got)
	}
	s.Reach = map[batch.Service]*Reach{batch.ServiceAfacturar: {URL: "http://127.0.0.1:1", Rate: 60}}
	if got := s.ReachOf(p); got.URL != "http://127.0.0.1:1" || got.Rate != 60 || got.Window != p.Window {
		t.Errorf("given: %+v", got)
	}
}

// In a night, companies that share what a provider counts its limit by
// share one pacer; the others each have their own.
func TestANightsPacersAreByKey(t *testing.T) {
	t.Parallel()
	af, _ := batch.ProviderOf(batch.ServiceAfacturar)
	ss, _ := batch.ProviderOf(batch.ServiceSSIntegral)
	pool := &pacers{all: map[[2]string]*pipeline.WindowPacer{}}
	a := pace(pool, &reach{Provider: af, party: "900111111", secret: "mismo-token"})
	b := pace(pool, &reach{Provider: af, party: "900222222", secret: "mismo-token"})
	c := pace(pool, &reach{Provider: af, party: "900111111", secret: "otro-token"})
	d := pace(pool, &reach{Provider: ss, party: "900111111", secret: "mismo-token"})
	if a != b || a == c || a == d {
		t.Errorf("same token shares: %v; other token apart: %v; other provider apart: %v", a == b, a != c, a != d)
	}
	if own := pace(nil, &reach{Provider: af, secret: "mismo-token"}); own == a {
		t.Error("a run of its own shares a night's pacer")
	}
}
