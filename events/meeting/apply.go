package meeting

import (
	"cmp"
	"slices"
	"strings"

	"github.com/confwatch/confwatch/events"
)

// applier builds the view that follows one accepted push.
type applier struct {
	gen uint64
	nv  *view // the view being built; not yet published
	// base is the picture changes are computed against, and emit says
	// whether to compute them at all (see State.publish).
	base       *view
	emit       bool
	d          differ
	inviteCap  int
	captionCap int
}

// apply folds the push's payload into nv. full is true when the push
// replaces the type's state: a msgMode 0 push, or any push of a type that
// is always a whole state.
func (a *applier) apply(p *events.Push, full bool) {
	switch n := p.Payload.(type) {
	case *events.ConfBasicInfoNotify:
		a.nv.basic, a.nv.title = basicOf(n), n.Title
	case *events.ConfDynamicInfoNotify:
		a.nv.status = statusOf(n)
		if a.emit {
			a.d.status(a.base.status, a.nv.status)
		}
	case *events.ParticipantsNotify:
		a.participants(n, full)
	case *events.SpeakerChangeNotify:
		a.speakers(n)
	case *events.AttendeesNotify:
		a.attendees(n, full)
	case *events.WaitingListNotify:
		a.waiting(n, full)
	case *events.NetConditionNotify:
		a.netConditions(n, full)
	case *events.InviteResultNotify:
		a.invites(n, p)
	case *events.RealTimeSubtitleNotify:
		a.captions(n)
	case *events.InterpreterGroupNotify:
		a.nv.groups = groupsOf(n)
	}
}

func (a *applier) participants(n *events.ParticipantsNotify, full bool) {
	if full {
		a.allParticipants(n)
		return
	}
	tx := a.nv.roster.edit(a.gen)
	var touched []string
	for _, e := range n.Participants {
		if e.PID == "" {
			continue
		}
		touched = append(touched, e.PID)
		if e.Removed() {
			tx.remove(e.PID)
			continue
		}
		pid, info := e.PID, e.Info
		if cur, ok := tx.get(e.PID); ok {
			if !changesInfo(cur.Info, e.Info) {
				continue
			}
			// The entry keeps the roster's PID: the delta's shares memory
			// with the delta's other strings (events.Decode).
			pid, info = cur.PID, cur.Info.Merge(e.Info)
		}
		tx.put(a.participant(pid, info))
	}
	a.nv.roster = tx.done()
	if !a.emit {
		return
	}
	// A delta can name a PID twice; what counts is the net effect.
	slices.Sort(touched)
	for _, pid := range slices.Compact(touched) {
		old, _ := a.base.roster.get(pid)
		cur, _ := a.nv.roster.get(pid)
		a.d.participant(old, cur)
	}
}

// allParticipants replaces the roster with a full snapshot's, built at
// once.
func (a *applier) allParticipants(n *events.ParticipantsNotify) {
	entries := n.Participants
	if slices.ContainsFunc(entries, events.Participant.Removed) {
		// Entries apply in order: one removed after it was listed is gone.
		entries = lastOfEach(entries)
	}
	ps := make([]*Participant, 0, len(entries))
	for _, e := range entries {
		if e.PID != "" && !e.Removed() {
			ps = append(ps, a.participant(e.PID, e.Info))
		}
	}
	a.nv.roster = buildRoster(a.gen, ps)
	if a.emit {
		a.d.roster(a.base.roster, a.nv.roster)
	}
}

// lastOfEach returns the last entry of each PID, in order.
func lastOfEach(es []events.Participant) []events.Participant {
	seen := make(map[string]bool, len(es))
	var out []events.Participant
	for i := len(es) - 1; i >= 0; i-- {
		if !seen[es[i].PID] {
			seen[es[i].PID] = true
			out = append(out, es[i])
		}
	}
	slices.Reverse(out)
	return out
}

// changesInfo reports whether merging delta into cur would change it.
func changesInfo(cur, delta events.PInfo) bool {
	for k, v := range delta {
		if old, ok := cur[k]; !ok || old != v {
			return true
		}
	}
	return false
}

// participant makes an entry from a full pinfoMap, which it keeps (the
// map is never modified afterwards).
func (a *applier) participant(pid string, info events.PInfo) *Participant {
	if info == nil {
		info = events.PInfo{}
	}
	return &Participant{
		PID:        pid,
		Name:       info.Name(),
		Role:       info.Role(),
		HandRaised: info.HandRaised(),
		Muted:      info.Muted(),
		Sharing:    info.Sharing(),
		Video:      info.Video(),
		Speaking:   speaking(a.nv.speakers, pid),
		JoinTime:   info.JoinTime(),
		LoginType:  info.LoginType(),
		Info:       info,
	}
}

func speaking(ss []Speaker, pid string) bool {
	return slices.ContainsFunc(ss, func(s Speaker) bool { return s.PID == pid })
}

func (a *applier) speakers(n *events.SpeakerChangeNotify) {
	list := make([]Speaker, 0, len(n.Speakers))
	for _, sp := range n.Speakers {
		if sp.PID == "" || speaking(list, sp.PID) {
			continue
		}
		list = append(list, Speaker{PID: sp.PID, Name: sp.Name, Volume: sp.SpeakingVolume})
	}
	slices.SortStableFunc(list, func(x, y Speaker) int {
		return cmp.Or(cmp.Compare(y.Volume, x.Volume), strings.Compare(x.PID, y.PID))
	})
	prev := a.nv.speakers
	a.nv.speakers = list

	// Only the participants who started or stopped speaking get a new
	// entry; everyone else stays shared with the previous view.
	tx := a.nv.roster.edit(a.gen)
	changed := false
	for _, sp := range slices.Concat(prev, list) {
		p, ok := tx.get(sp.PID)
		if want := speaking(list, sp.PID); ok && p.Speaking != want {
			cp := *p
			cp.Speaking = want
			tx.put(&cp)
			changed = true
		}
	}
	if changed {
		a.nv.roster = tx.done()
	}
	if a.emit {
		a.d.speakers(a.base.speakers, list)
	}
}

func (a *applier) attendees(n *events.AttendeesNotify, full bool) {
	src := a.nv.attendees
	if full {
		src = pmap[Attendee]{}
	}
	tx := src.edit(a.gen)
	for _, e := range n.Attendees {
		at := attendeeOf(e)
		if at.Key == "" {
			continue
		}
		if e.Removed() {
			tx.del(at.Key)
		} else {
			tx.set(at.Key, at)
		}
	}
	a.nv.attendees = tx.done()
	a.nv.attendeeOut = &memo[[]Attendee]{}
}

func (a *applier) waiting(n *events.WaitingListNotify, full bool) {
	src := a.nv.waiting
	if full {
		src = pmap[*WaitingMember]{}
	}
	tx := src.edit(a.gen)
	for _, e := range n.Members {
		if e.PID == "" {
			continue
		}
		if e.Removed() {
			tx.del(e.PID)
			continue
		}
		pid, info := e.PID, e.Info
		if cur, ok := tx.get(e.PID); ok && !full {
			if !changesInfo(cur.Info, e.Info) {
				continue
			}
			pid, info = cur.PID, cur.Info.Merge(e.Info)
		}
		tx.set(pid, waitingOf(pid, info))
	}
	a.nv.waiting = tx.done()
	a.nv.waitingOut = &memo[[]WaitingMember]{}
}

// netConditions replaces entries whole: each entry the vendor sends
// carries every field, so there is nothing to merge.
func (a *applier) netConditions(n *events.NetConditionNotify, full bool) {
	src := a.nv.net
	if full {
		src = pmap[NetCondition]{}
	}
	tx := src.edit(a.gen)
	for _, e := range n.Conditions {
		if e.ParticipantID == "" {
			continue
		}
		if e.Removed() {
			tx.del(e.ParticipantID)
		} else {
			tx.set(e.ParticipantID, netOf(e))
		}
	}
	a.nv.net = tx.done()
	a.nv.netOut = &memo[map[string]NetCondition]{}
}

// invites appends to a bounded log; the previous view's slice is never
// appended to in place, since snapshots share it.
func (a *applier) invites(n *events.InviteResultNotify, p *events.Push) {
	prev := a.nv.invites
	drop := max(0, len(prev)+len(n.Results)-a.inviteCap)
	out := make([]InviteResult, 0, min(a.inviteCap, len(prev)+len(n.Results)))
	out = append(out, prev[min(drop, len(prev)):]...)
	results := n.Results
	if drop > len(prev) {
		results = results[drop-len(prev):]
	}
	for _, r := range results {
		out = append(out, InviteResult{CallNumber: r.CallNumber, Code: r.Code, At: a.d.at})
	}
	a.nv.invites = out
}
