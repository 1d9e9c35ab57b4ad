package ops

import (
	"testing"

	"batch"
)

// Only the e-mail is sent at most once: the RADIAN events are refused
// when repeated (LGC01), the queries change nothing. An operation that
// says nothing is at most once.
func TestWhatARepeatDoes(t *testing.T) {
	t.Parallel()
	want := map[string]Repeat{batch.OpAcuse: RepeatRefused, batch.OpRecibo: RepeatRefused, batch.OpReclamo: RepeatRefused,
		batch.OpHistorico: RepeatHarmless, batch.OpTenedor: RepeatHarmless, batch.OpCUV: RepeatHarmless, batch.OpCorreo: RepeatReaches}
	for _, s := range Table {
		if s.Repeat != want[s.Name] {
			t.Errorf("%s: repeat %d, want %d", s.Name, s.Repeat, want[s.Name])
		}
	}
	if (Spec{}).Repeat != RepeatReaches {
		t.Error("an operation that does not say may be sent again")
	}
}
