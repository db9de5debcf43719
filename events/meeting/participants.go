package meeting

import (
	"bytes"
	"encoding/json"
	"fmt"
	"iter"
)

// Roster is the list of online participants of a Snapshot, ordered by
// join time, then PID. It is persistent: the snapshots a State publishes
// share every part of the list an event did not change, so that taking a
// Snapshot after a delta costs in proportion to the delta, not to the size
// of the meeting.
//
// A Roster is immutable and safe for concurrent use; the zero value is
// empty. The Participant values it yields are copies, but their Info maps
// are shared with the State and later snapshots and must not be modified.
//
// It encodes to JSON exactly as a []Participant would ([] when empty) and
// decodes from such an array.
type Roster struct{ r roster }

// NewRoster returns a Roster of ps, for a Snapshot built by hand. The
// order of ps does not matter; of two entries with the same PID the last
// is kept.
func NewRoster(ps ...Participant) Roster {
	cp := make([]Participant, len(ps))
	copy(cp, ps)
	ptrs := make([]*Participant, len(cp))
	for i := range cp {
		ptrs[i] = &cp[i]
	}
	return Roster{buildRoster(0, ptrs)} // a State's own transactions start at 1
}

// Len returns the number of participants.
func (r Roster) Len() int { return r.r.len() }

// All yields the participants in order with their positions, as
// slices.All does for a slice: the loop `for i, p := range r.All()` reads
// like one over a []Participant.
func (r Roster) All() iter.Seq2[int, Participant] {
	return func(yield func(int, Participant) bool) {
		i := 0
		r.r.each(func(p *Participant) bool {
			ok := yield(i, *p)
			i++
			return ok
		})
	}
}

// MarshalJSON encodes the participants as a JSON array. It leaves HTML
// characters unescaped: encoding/json escapes them afterwards if, and only
// if, the encoder it runs in does, which keeps the bytes those of a
// []Participant field.
func (r Roster) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r.r.list()); err != nil {
		return nil, fmt.Errorf("meeting: roster: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// UnmarshalJSON decodes an array of participants, as NewRoster takes them;
// null gives an empty Roster.
func (r *Roster) UnmarshalJSON(b []byte) error {
	var ps []Participant
	if err := json.Unmarshal(b, &ps); err != nil {
		return fmt.Errorf("meeting: roster: %w", err)
	}
	*r = NewRoster(ps...)
	return nil
}
