package meeting

import "slices"

// NewFromSnapshot returns a State that starts from snap, a picture another
// State published earlier (typically decoded from JSON by a process taking
// over a meeting from one that died or handed it over). It is the picture
// "before the outage": when the session subscribes, the first full
// snapshot of each type snap holds is diffed against it and the
// differences are reported as Inferred changes, exactly as within one
// State after a Resubscribed. Until then Snapshot returns snap's picture,
// marked not connected.
//
// Only what a Snapshot carries is taken: the version and msgID history is
// not, so nothing the new session receives is dropped as stale or
// repeated. A nil snap is the same as New. It panics if cfg.Validate
// fails, as New does.
func NewFromSnapshot(cfg Config, snap *Snapshot) *State {
	s, v := seeded(cfg, snap)
	if v != nil {
		s.cur.Store(v)
	}
	return s
}

// Continue returns a State that carries on from snap on the stream of
// events that produced it, as a reader of a fleet's records does when it
// starts from the stored picture and then applies the records published
// after it. Unlike NewFromSnapshot it takes snap as current, not as the
// picture before an outage: Snapshot keeps snap's Connected and
// BlindSince; the types snap lists in Resyncing wait for their full
// snapshot, diffed against snap's picture as after a Resubscribed; and the
// versions of snap are the baseline, so that a push snap already holds is
// dropped as stale or repeated and a lost delta counts as a gap. A nil
// snap is the same as New. It panics if cfg.Validate fails, as New does.
func Continue(cfg Config, snap *Snapshot) *State {
	s, v := seeded(cfg, snap)
	if v == nil {
		return s
	}
	v.connected, v.blindSince = snap.Connected, snap.BlindSince
	for k := range nKinds {
		tv, ok := snap.Versions[kinds[k].action]
		if !ok {
			continue
		}
		if isDelta(tv.Mode) {
			s.vers.delta[k], s.vers.haveDelta[k] = tv.Version, true
		} else {
			s.vers.full[k] = tv.Version
		}
	}
	for _, action := range snap.Resyncing {
		for k := range nKinds {
			if kinds[k].action == action && s.hadFull[k] {
				s.pending[k], s.baseline[k], v.resyncing[k] = true, v, true
			}
		}
	}
	s.cur.Store(v)
	return s
}

// seeded is a State holding snap's picture and the view of it, not yet
// stored; the view is nil when snap is.
func seeded(cfg Config, snap *Snapshot) (*State, *view) {
	s := New(cfg)
	if snap == nil {
		return s, nil
	}
	s.gen++
	v := newView()
	v.confID, v.title, v.basic, v.status = snap.ConferenceID, snap.Title, snap.Basic, snap.Status
	v.speakers = append([]Speaker(nil), snap.Speakers...)
	v.invites = append([]InviteResult(nil), snap.InviteResults...)
	v.updatedAt = snap.UpdatedAt
	v.blindSince = snap.BlindSince
	if v.blindSince.IsZero() {
		v.blindSince = s.or(snap.UpdatedAt)
	}

	var ps []*Participant
	for _, p := range snap.Participants.All() {
		if p.PID != "" {
			ps = append(ps, &p)
		}
	}
	v.roster = buildRoster(s.gen, ps)
	at := pmap[Attendee]{}.edit(s.gen)
	for _, a := range snap.Attendees {
		if a.Key != "" {
			at.set(a.Key, a)
		}
	}
	v.attendees = at.done()
	wt := pmap[*WaitingMember]{}.edit(s.gen)
	for _, w := range snap.WaitingRoom {
		if w.PID != "" {
			cp := w
			wt.set(w.PID, &cp)
		}
	}
	v.waiting = wt.done()
	nt := pmap[NetCondition]{}.edit(s.gen)
	for pid, n := range snap.NetConditions {
		nt.set(pid, n)
	}
	v.net = nt.done()
	v.captions = seedCaptions(s.gen, snap.Captions, s.cfg.Captions)
	v.groups = slices.Clone(snap.InterpreterGroups)

	for k := range nKinds {
		tv, ok := snap.Versions[kinds[k].action]
		if !ok {
			continue
		}
		v.versions[k], v.hasVersion[k] = tv, true
		// A type the earlier State had applied is part of the picture:
		// its next full snapshot is diffed against it.
		s.hadFull[k] = !kinds[k].appendOnly
	}
	s.started = true
	return s, v
}

// seedCaptions takes a snapshot's caption log, bounded as a State keeps
// it: the last limit sentences of at most MaxCaptionSpeakers participants.
func seedCaptions(gen uint64, in map[string][]Caption, limit int) pmap[[]Caption] {
	tx := pmap[[]Caption]{}.edit(gen)
	for pid, list := range in {
		if n := len(list); n > 0 && tx.n < MaxCaptionSpeakers {
			tx.set(pid, slices.Clone(list[max(0, n-limit):]))
		}
	}
	return tx.done()
}
