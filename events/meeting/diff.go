package meeting

import (
	"slices"
	"time"
)

// differ collects the changes of one push. Every change it records carries
// the same time and Inferred flag.
type differ struct {
	at       time.Time
	inferred bool
	out      []Change
}

func (d *differ) add(c Change) {
	c.At = d.at
	c.Inferred = d.inferred
	d.out = append(d.out, c)
}

// participant records what changed between two versions of one
// participant; nil means absent.
func (d *differ) participant(old, cur *Participant) {
	switch {
	case old == cur:
		return
	case old == nil:
		d.add(Change{Kind: ParticipantJoined, PID: cur.PID, Name: cur.Name})
		return
	case cur == nil:
		d.add(Change{Kind: ParticipantLeft, PID: old.PID, Name: old.Name})
		return
	}
	who := Change{PID: cur.PID, Name: cur.Name}
	if old.Name != cur.Name {
		d.add(with(who, ParticipantRenamed, old.Name, cur.Name))
	}
	if old.Role != cur.Role {
		d.add(with(who, RoleChanged, old.Role, cur.Role))
	}
	d.flag(who, old.HandRaised, cur.HandRaised, HandRaised, HandLowered)
	d.flag(who, old.Muted, cur.Muted, Muted, Unmuted)
	d.flag(who, old.Sharing, cur.Sharing, SharingStarted, SharingStopped)
}

func with(c Change, k ChangeKind, from, to string) Change {
	c.Kind, c.From, c.To = k, from, to
	return c
}

func (d *differ) flag(c Change, old, cur bool, on, off ChangeKind) {
	switch {
	case !old && cur:
		c.Kind = on
		d.add(c)
	case old && !cur:
		c.Kind = off
		d.add(c)
	}
}

// roster records every participant change between two rosters. Entries
// the two share (same pointer) are unchanged by construction. Both are in
// join order, so the old one is walked alongside: while the two hold the
// same people in the same order (a resync, mostly) no lookup is needed.
func (d *differ) roster(old, cur roster) {
	oc := cursor{seq: old.seq}
	inStep := 0 // old entries met in step, each known to be in cur
	cur.each(func(p *Participant) bool {
		if o := oc.peek(); o != nil && o.PID == p.PID {
			oc.next()
			inStep++
			d.participant(o, p)
			return true
		}
		o, _ := old.get(p.PID)
		d.participant(o, p)
		return true
	})
	if inStep == old.len() {
		return // nobody left
	}
	old.each(func(o *Participant) bool {
		if _, ok := cur.get(o.PID); !ok {
			d.participant(o, nil)
		}
		return true
	})
}

// status records the meeting-wide changes between two statuses.
func (d *differ) status(old, cur Status) {
	d.flag(Change{}, old.Locked, cur.Locked, MeetingLocked, MeetingUnlocked)
	d.flag(Change{}, old.Recording, cur.Recording, RecordingStarted, RecordingStopped)
	d.flag(Change{}, old.Subtitles, cur.Subtitles, CaptionsStarted, CaptionsStopped)
	d.flag(Change{}, old.Paused, cur.Paused, MeetingPaused, MeetingResumed)
	d.flag(Change{}, old.WaitingRoom, cur.WaitingRoom, WaitingRoomEnabled, WaitingRoomDisabled)
	if !old.Ended() && cur.Ended() {
		d.add(Change{Kind: MeetingEnded})
	}
}

// speakers records SpeakersChanged when who speaks, or in which order,
// changed; a volume change alone is not a change.
func (d *differ) speakers(old, cur []Speaker) {
	if slices.EqualFunc(old, cur, func(a, b Speaker) bool { return a.PID == b.PID }) {
		return
	}
	d.add(Change{Kind: SpeakersChanged, Speakers: speakerPIDs(cur)})
}

func speakerPIDs(ss []Speaker) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.PID
	}
	return out
}
