package main

import (
	"sync"
	"time"

	"github.com/confwatch/confwatch/events/meeting"
)

// connUnowned is the link state of a meeting no fleet worker holds: its
// last owner's lease expired and no one has claimed it yet, so the picture
// is the last one stored.
const connUnowned = "unowned"

// Bounds of what the page lists under "Fleet".
const (
	maxOwnerChanges = 8
	maxChanges      = 20
)

// fleetView is the fleet part of a message: who watches the meeting, when
// that changed, and the semantic changes the owners published.
type fleetView struct {
	// Owner is the ID of the worker holding the meeting; "" means none.
	Owner string `json:"owner"`
	// OwnerChanges are the latest handovers and failovers, oldest first.
	OwnerChanges []ownerChange `json:"ownerChanges"`
	// Changes are the latest changes, oldest first; Inferred marks those
	// a new owner found by comparing the stored picture with the meeting.
	Changes []changeLine `json:"changes"`
}

// ownerChange is one move of a meeting from worker From to worker To.
type ownerChange struct {
	From string    `json:"from"`
	To   string    `json:"to"`
	At   time.Time `json:"at"`
}

type changeLine struct {
	Kind     string    `json:"kind"`
	Text     string    `json:"text"`
	At       time.Time `json:"at,omitzero"`
	Inferred bool      `json:"inferred,omitempty"`
}

// fleetSource is a source for one meeting of a fleet, fed from NATS: the
// stored Snapshot (setState), the lease (setOwner) and the published
// changes (addChange). Each setter may be called from its own goroutine;
// the getters are safe from any.
type fleetSource struct {
	now      func() time.Time
	linkDown func() bool // is the dashboard cut off from NATS?
	changed  chan struct{}

	mu        sync.Mutex
	snap      *meeting.Snapshot
	owner     string
	ownerSeen bool      // setOwner was called at least once
	lastOwner string    // the last non-empty owner
	since     time.Time // of the current owner or of its absence
	view      fleetView
}

// newFleetSource returns an empty source. now nil means time.Now;
// linkDown nil means NATS is always reachable.
func newFleetSource(now func() time.Time, linkDown func() bool) *fleetSource {
	if now == nil {
		now = time.Now
	}
	if linkDown == nil {
		linkDown = func() bool { return false }
	}
	return &fleetSource{now: now, linkDown: linkDown, changed: make(chan struct{}, 1),
		view: fleetView{OwnerChanges: []ownerChange{}, Changes: []changeLine{}}}
}

// setState records the meeting's stored Snapshot. A nil s is ignored: a
// deleted state key does not blank the page.
func (f *fleetSource) setState(s *meeting.Snapshot) {
	if s == nil {
		return
	}
	f.mu.Lock()
	f.snap = s
	f.mu.Unlock()
	f.signal()
}

// setOwner records the worker now holding the meeting ("" for none). A
// move from one worker to another, with or without a gap between them, is
// an owner change.
func (f *fleetSource) setOwner(owner string) {
	f.mu.Lock()
	if f.ownerSeen && owner == f.owner {
		f.mu.Unlock()
		return
	}
	now := f.now()
	f.owner, f.ownerSeen, f.since = owner, true, now
	if owner != "" {
		if f.lastOwner != "" && f.lastOwner != owner {
			f.view.OwnerChanges = appendBounded(f.view.OwnerChanges, ownerChange{From: f.lastOwner, To: owner, At: now}, maxOwnerChanges)
		}
		f.lastOwner = owner
	}
	f.mu.Unlock()
	f.signal()
}

// addChange records a change an owner published.
func (f *fleetSource) addChange(c meeting.Change) {
	f.mu.Lock()
	f.view.Changes = appendBounded(f.view.Changes, changeLine{Kind: string(c.Kind), Text: c.String(), At: c.At, Inferred: c.Inferred}, maxChanges)
	f.mu.Unlock()
	f.signal()
}

func appendBounded[T any](s []T, v T, limit int) []T {
	s = append(s, v)
	if len(s) > limit {
		s = append(s[:0:0], s[len(s)-limit:]...)
	}
	return s
}

func (f *fleetSource) signal() {
	select {
	case f.changed <- struct{}{}:
	default:
	}
}

func (f *fleetSource) Snapshot() *meeting.Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snap
}

// Connection maps the fleet's picture onto the page's link states:
// connecting until the first Snapshot, ended once the meeting ended,
// reconnecting while the dashboard is cut off from NATS, unowned while no
// worker holds the meeting, live otherwise.
func (f *fleetSource) Connection() connection {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := connection{Since: f.since, Outages: len(f.view.OwnerChanges)}
	switch {
	case f.snap == nil:
		c.State = connConnecting
	case f.snap.Status.Ended():
		c.State = connEnded
	case f.linkDown():
		c.State = connReconnecting
	case f.ownerSeen && f.owner == "":
		c.State = connUnowned
	default:
		c.State = connLive
	}
	return c
}

func (f *fleetSource) Fleet() *fleetView {
	f.mu.Lock()
	defer f.mu.Unlock()
	v := fleetView{Owner: f.owner, OwnerChanges: append([]ownerChange{}, f.view.OwnerChanges...), Changes: append([]changeLine{}, f.view.Changes...)}
	return &v
}

func (f *fleetSource) Changed() <-chan struct{} { return f.changed }
