package meeting

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/confwatch/confwatch/events"
)

// State is a live model of one meeting, fed by a session's ordered event
// stream. It implements events.Handler.
//
// HandleEvent must be called from one goroutine at a time, in stream
// order. Snapshot and Stats are safe for concurrent use from any goroutine.
type State struct {
	cfg Config
	log *slog.Logger

	cur atomic.Pointer[view]

	// Owned by the goroutine calling HandleEvent.
	gen      uint64 // transaction counter for the persistent structures
	vers     versions
	msgs     msgWindow
	hadFull  [nKinds]bool  // a full snapshot of the type was applied
	pending  [nKinds]bool  // waiting for the type's fresh snapshot after a resubscribe
	baseline [nKinds]*view // the picture before the outage, diffed with that snapshot
	started  bool          // any event has been applied

	stats struct {
		applied, stale, duplicate, gaps, requested, suppressed, ignored atomic.Uint64
	}
}

// Stats counts what State did with the pushes it was given.
type Stats struct {
	// Applied pushes changed (or confirmed) the state.
	Applied uint64 `json:"applied"`
	// Stale pushes were older than what was already applied and dropped.
	Stale uint64 `json:"stale"`
	// Duplicate pushes repeated a recent msgID or the last delta's version
	// and were dropped.
	Duplicate uint64 `json:"duplicate"`
	// Gaps counts deltas that skipped versions of a delta-built type; each
	// was applied, and a resync was asked for or suppressed.
	Gaps uint64 `json:"gaps"`
	// ResyncsRequested counts Resync calls that were taken.
	ResyncsRequested uint64 `json:"resyncsRequested"`
	// ResyncsSuppressed counts Resync calls that were refused (the
	// session's rate limit).
	ResyncsSuppressed uint64 `json:"resyncsSuppressed"`
	// Ignored pushes are of a type the state does not model (unknown
	// actions) or of another meeting.
	Ignored uint64 `json:"ignored"`
}

// New returns an empty State. It panics if cfg.Validate fails: a bad
// Config is a programming error, and HandleEvent has no way to report one.
func New(cfg Config) *State {
	if err := cfg.Validate(); err != nil {
		panic(fmt.Errorf("meeting: new: %w", err))
	}
	cfg = cfg.withDefaults()
	s := &State{cfg: cfg, log: cfg.Logger}
	s.cur.Store(newView())
	return s
}

// Snapshot returns the current picture. It never blocks on HandleEvent and
// the returned value is never modified afterwards. Repeated calls between
// two events return the same pointer.
func (s *State) Snapshot() *Snapshot { return s.cur.Load().snapshot() }

// Stats returns the counters. Each counter is read atomically; the set is
// not read as one unit.
func (s *State) Stats() Stats {
	return Stats{
		Applied:           s.stats.applied.Load(),
		Stale:             s.stats.stale.Load(),
		Duplicate:         s.stats.duplicate.Load(),
		Gaps:              s.stats.gaps.Load(),
		ResyncsRequested:  s.stats.requested.Load(),
		ResyncsSuppressed: s.stats.suppressed.Load(),
		Ignored:           s.stats.ignored.Load(),
	}
}

// HandleEvent applies one event of the session's stream. It never blocks
// apart from the Resync and OnChange callbacks, so ctx is not used.
func (s *State) HandleEvent(_ context.Context, e events.Event) {
	switch e := e.(type) {
	case *events.Push:
		s.handlePush(e)
	case *events.Subscribed:
		s.handleSubscribed(e.At)
	case *events.Disconnected:
		s.handleDisconnected(e.At)
	case *events.Resubscribed:
		s.handleResubscribed(e.BlindTo)
	}
}

func (s *State) handleSubscribed(at time.Time) {
	nv := s.cur.Load().clone()
	nv.connected, nv.blindSince = true, time.Time{}
	nv.updatedAt = s.or(at)
	s.vers.forgetDeltas()
	// Subscribed is meant to come once, before any snapshot. If the State
	// already holds a picture (it was reused for a new session), the new
	// snapshots repair it exactly as after a Resubscribed.
	if s.started {
		s.markPending(nv)
	}
	s.started = true
	s.cur.Store(nv)
}

func (s *State) handleDisconnected(at time.Time) {
	nv := s.cur.Load().clone()
	if nv.connected || nv.blindSince.IsZero() {
		nv.blindSince = s.or(at)
	}
	nv.connected = false
	nv.updatedAt = s.or(at)
	s.started = true
	s.cur.Store(nv)
}

func (s *State) handleResubscribed(at time.Time) {
	nv := s.cur.Load().clone()
	nv.connected, nv.blindSince = true, time.Time{}
	nv.updatedAt = s.or(at)
	s.vers.forgetDeltas()
	s.markPending(nv)
	s.started = true
	s.cur.Store(nv)
}

// markPending remembers the current picture of every type that had a full
// snapshot, to diff it with that type's next one. A type already pending
// keeps its older baseline: it is the last picture seen before going blind.
// Types never snapshotted (only ever sent as deltas) are not waited for.
func (s *State) markPending(nv *view) {
	old := s.cur.Load()
	for k := range nKinds {
		if s.hadFull[k] && !s.pending[k] && !kinds[k].appendOnly {
			s.pending[k] = true
			s.baseline[k] = old
			nv.resyncing[k] = true
		}
	}
}

func (s *State) or(t time.Time) time.Time {
	if t.IsZero() {
		return s.cfg.Clock.Now()
	}
	return t
}

func (s *State) handlePush(p *events.Push) {
	old := s.cur.Load()
	k, verdict, lastDelta, ok := s.admit(p, old)
	if !ok {
		return
	}
	s.vers.commit(k, p.Mode, p.Version)
	s.msgs.add(p.MsgID)
	s.started = true

	changes := s.publish(k, p, old)
	if verdict == acceptAfterGap && kinds[k].gapResync {
		s.stats.gaps.Add(1)
		s.askResync(fmt.Sprintf("%s delta version %d after %d", kinds[k].action, p.Version, lastDelta))
	}
	if s.cfg.OnChange != nil {
		sortChanges(changes)
		for _, c := range changes {
			s.cfg.OnChange(c)
		}
	}
}

// admit decides whether p is applied to old: it must be of a modelled
// type and of this meeting, and neither a repeated msgID nor a stale or
// repeated version. It returns p's type, the version check's verdict and
// the type's last delta version before p; it counts and logs what it
// drops.
func (s *State) admit(p *events.Push, old *view) (k kind, v verdict, lastDelta int64, ok bool) {
	k, ok = kindOf(p.Payload)
	switch {
	case !ok:
		s.stats.ignored.Add(1)
		s.log.Debug("meeting: push ignored: not modelled", "action", p.Action)
		return k, v, 0, false
	case old.confID != "" && p.ConfID != "" && p.ConfID != old.confID:
		s.stats.ignored.Add(1)
		s.log.Warn("meeting: push ignored: other meeting", "action", p.Action, "confID", p.ConfID, "want", old.confID)
		return k, v, 0, false
	case p.MsgID != "" && s.msgs.seen(p.MsgID):
		s.stats.duplicate.Add(1)
		s.log.Debug("meeting: push dropped: repeated msgID", "action", p.Action, "msgID", p.MsgID)
		return k, v, 0, false
	}
	lastDelta = s.vers.delta[k]
	switch v = s.vers.check(k, p.Mode, p.Version); v {
	case dropStale:
		s.stats.stale.Add(1)
		s.log.Debug("meeting: push dropped: stale", "action", p.Action, "mode", p.Mode, "version", p.Version)
		return k, v, lastDelta, false
	case dropDuplicate:
		s.stats.duplicate.Add(1)
		s.log.Debug("meeting: push dropped: repeated version", "action", p.Action, "version", p.Version)
		return k, v, lastDelta, false
	}
	return k, v, lastDelta, true
}

// publish applies p, of type k, to a copy of old, stores the result as the
// current view and returns the changes it revealed, unsorted.
func (s *State) publish(k kind, p *events.Push, old *view) []Change {
	full := kinds[k].fullState || !isDelta(p.Mode)
	s.gen++
	a := applier{gen: s.gen, nv: old.clone(), inviteCap: s.cfg.InviteResults, captionCap: s.cfg.Captions}
	a.d.at = s.or(p.CreateTime)
	// Changes are reported only against a picture known to be complete:
	// the previous one while live, the pre-outage one for a type's first
	// snapshot after a resubscribe (inferred). The first snapshot of a type
	// is the initial picture and reports nothing, and so do deltas that
	// arrive before any snapshot of their type.
	switch {
	case s.pending[k] && full:
		a.emit, a.d.inferred, a.base = true, true, s.baseline[k]
	case s.hadFull[k] && !s.pending[k]:
		a.emit, a.base = true, old
	}
	a.apply(p, full)
	if full && !kinds[k].appendOnly {
		s.hadFull[k], s.pending[k], s.baseline[k] = true, false, nil
		a.nv.resyncing[k] = false
	}
	a.nv.versions[k] = TypeVersion{Mode: p.Mode, Version: p.Version}
	a.nv.hasVersion[k] = true
	a.nv.updatedAt = a.d.at
	if a.nv.confID == "" {
		a.nv.confID = p.ConfID
	}
	s.cur.Store(a.nv)
	s.stats.applied.Add(1)
	return a.d.out
}

// askResync calls Config.Resync. The session it reaches rate-limits the
// requests: the first already makes it reconnect, and the snapshots it
// brings repair every gap at once.
func (s *State) askResync(reason string) {
	if s.cfg.Resync == nil {
		s.log.Warn("meeting: version gap, no Resync configured", "reason", reason)
		return
	}
	if !s.cfg.Resync("meeting: version gap: " + reason) {
		s.stats.suppressed.Add(1)
		s.log.Debug("meeting: resync refused by the session", "reason", reason)
		return
	}
	s.stats.requested.Add(1)
	s.log.Warn("meeting: version gap, resync requested", "reason", reason)
}
