package meeting

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"time"
)

// view is the state after one event, in persistent form. A published view
// is never modified: each event clones it (a shallow copy) and replaces
// only the parts it changes, so unchanged parts, and unchanged entries
// inside changed parts, are shared between views.
type view struct {
	confID     string
	title      string
	basic      Basic
	status     Status
	roster     roster
	speakers   []Speaker
	attendees  pmap[Attendee]
	waiting    pmap[*WaitingMember]
	net        pmap[NetCondition]
	invites    []InviteResult
	captions   pmap[[]Caption]
	groups     []InterpreterGroup
	versions   [nKinds]TypeVersion
	hasVersion [nKinds]bool
	resyncing  [nKinds]bool
	connected  bool
	blindSince time.Time
	updatedAt  time.Time

	// The Snapshot is built on first demand, once per view; the slices of
	// the large parts are cached separately so that a view that did not
	// change them reuses the previous view's copies. The roster needs no
	// copy: the Snapshot holds it as it is.
	lazy        *lazySnapshot
	attendeeOut *memo[[]Attendee]
	waitingOut  *memo[[]WaitingMember]
	netOut      *memo[map[string]NetCondition]
	captionOut  *memo[map[string][]Caption]
}

type lazySnapshot struct {
	once sync.Once
	s    *Snapshot
}

type memo[T any] struct {
	once sync.Once
	v    T
}

func (m *memo[T]) get(build func() T) T {
	m.once.Do(func() { m.v = build() })
	return m.v
}

func newView() *view {
	return &view{
		lazy:        &lazySnapshot{},
		attendeeOut: &memo[[]Attendee]{},
		waitingOut:  &memo[[]WaitingMember]{},
		netOut:      &memo[map[string]NetCondition]{},
		captionOut:  &memo[map[string][]Caption]{},
	}
}

// clone returns a copy to build the next view in. Whoever changes a large
// part also gives the copy a fresh memo for it.
func (v *view) clone() *view {
	nv := *v
	nv.lazy = &lazySnapshot{}
	return &nv
}

func (v *view) snapshot() *Snapshot {
	v.lazy.once.Do(func() { v.lazy.s = v.build() })
	return v.lazy.s
}

func (v *view) build() *Snapshot {
	s := &Snapshot{
		ConferenceID:      v.confID,
		Title:             v.title,
		Basic:             v.basic,
		Status:            v.status,
		Participants:      Roster{v.roster},
		Speakers:          v.speakers,
		Attendees:         v.attendeeOut.get(v.attendeeList),
		WaitingRoom:       v.waitingOut.get(v.waitingList),
		InviteResults:     v.invites,
		NetConditions:     v.netOut.get(v.netMap),
		Captions:          v.captionOut.get(v.captionMap),
		InterpreterGroups: v.groups,
		Versions:          make(map[string]TypeVersion),
		Connected:         v.connected,
		BlindSince:        v.blindSince,
		UpdatedAt:         v.updatedAt,
	}
	if s.Speakers == nil {
		s.Speakers = []Speaker{}
	}
	if s.InviteResults == nil {
		s.InviteResults = []InviteResult{}
	}
	if s.InterpreterGroups == nil {
		s.InterpreterGroups = []InterpreterGroup{}
	}
	for k := range nKinds {
		if v.hasVersion[k] {
			s.Versions[kinds[k].action] = v.versions[k]
		}
		if v.resyncing[k] {
			s.Resyncing = append(s.Resyncing, kinds[k].action)
		}
	}
	return s
}

func (v *view) attendeeList() []Attendee {
	out := make([]Attendee, 0, v.attendees.len())
	for _, a := range v.attendees.all() {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b Attendee) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Key, b.Key))
	})
	return out
}

func (v *view) waitingList() []WaitingMember {
	out := make([]WaitingMember, 0, v.waiting.len())
	for _, w := range v.waiting.all() {
		out = append(out, *w)
	}
	slices.SortFunc(out, func(a, b WaitingMember) int {
		return cmp.Or(a.JoinTime.Compare(b.JoinTime), strings.Compare(a.PID, b.PID))
	})
	return out
}

func (v *view) netMap() map[string]NetCondition {
	out := make(map[string]NetCondition, v.net.len())
	for pid, n := range v.net.all() {
		out[pid] = n
	}
	return out
}
