package batch

import "time"

// Summary counts what one run did, for the workbook, the journal and the
// front end alike.
type Summary struct {
	Rows       int            // data rows read
	Requests   int            // distinct keys sent (in a dry run, to send)
	OpRequests map[string]int // Requests per operation
	Reused     int            // keys answered from the journal, not sent
	Duplicates int            // rows answered by an earlier row's request
	Footers    int            // rows left out as a total or a footer under the invoices (no key)
	// Flagged are the NO_APLICA rows a person should look at all the same
	// (an invoice the DIAN refused): not sent, but not a quiet night.
	Flagged  int
	Attempts int // requests made, retries included
	// Unattempted are the Requests that never went out (the run stopped
	// first, a prerequisite was missing): Requests ≤ the requests attempted
	// + Unattempted, and each attempted one made at least one of Attempts.
	Unattempted int
	Statuses    map[string]map[Status]int // operation → status → rows
	// Notes are the rows a person must look at that the journal does not
	// hold as keys (INVALIDO, never sent; REVISAR, reviewed per row), for
	// the journal's list of what is pending.
	Notes   []Note
	Started time.Time
	Ended   time.Time
}

// Complete reports whether every row of every operation is OK or
// YA_REGISTRADO: a row to review (REVISAR) is not clean.
func (s Summary) Complete() bool {
	if s.Flagged > 0 {
		return false
	}
	for _, m := range s.Statuses {
		for st, n := range m {
			if n > 0 && st != StatusOK && st != StatusYaRegistrado && st != StatusNoAplica {
				return false
			}
		}
	}
	return true
}

// ByStatus adds up the rows per status across the operations.
func (s Summary) ByStatus() map[Status]int {
	out := map[Status]int{}
	for _, m := range s.Statuses {
		for st, n := range m {
			out[st] += n
		}
	}
	return out
}

// Note is one row of a night that needs a person but is no key the journal
// holds: INVALIDO (never sent) or REVISAR (checked per row).
type Note struct {
	Op, Key string
	Origin
	Result Result
}

// Origin is where a key was read, as the journal keeps it for a person to
// find it again: the file, sheet and row, and, where the row has them, the
// invoice's number (prefix and number) and its issuer's NIT.
type Origin struct {
	Source, Invoice, Supplier string
}

// Pause is one time a provider was waited out: it stopped answering and
// was probed until it answered again, the wait was given up, or the run
// ended.
type Pause struct {
	Service    string
	Start, End time.Time
	Probes     int
	Recovered  bool // the provider answered again
}
