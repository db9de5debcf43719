package meeting

import (
	"github.com/confwatch/confwatch/events"
)

// kind indexes the push types the state models.
type kind int

const (
	kBasic kind = iota
	kDynamic
	kParticipants
	kAttendees
	kSpeakers
	kNet
	kInvites
	kWaiting
	kCaptions
	kInterpreters
	nKinds
)

// kindInfo says how a push type is versioned and applied.
type kindInfo struct {
	action string
	// fullState: every push carries the whole state of the type, whatever
	// its msgMode says (§8 Q8), so it replaces and a lost push costs
	// nothing once the next one arrives.
	fullState bool
	// gapResync: the state is built by merging deltas, so a lost delta
	// leaves it wrong until a fresh full snapshot.
	gapResync bool
	// appendOnly: pushes add records to a log (invite results, caption
	// sentences); there is nothing to snapshot or diff, and a lost push
	// is not worth a resync.
	appendOnly bool
}

var kinds = [nKinds]kindInfo{
	kBasic:        {action: events.ActionConfBasicInfo, fullState: true},
	kDynamic:      {action: events.ActionConfDynamicInfo, fullState: true},
	kParticipants: {action: events.ActionParticipants, gapResync: true},
	kAttendees:    {action: events.ActionAttendees, gapResync: true},
	kSpeakers:     {action: events.ActionSpeakerChange, fullState: true},
	kNet:          {action: events.ActionNetCondition, gapResync: true},
	kInvites:      {action: events.ActionInviteResult, appendOnly: true},
	kWaiting:      {action: events.ActionWaitingList, gapResync: true},
	kCaptions:     {action: events.ActionRealTimeSubtitle, appendOnly: true},
	// No page says whether a group push is ever a delta; each is read as
	// the whole list, as the constructed example (§5.12) shows it.
	kInterpreters: {action: events.ActionInterpreterGroup, fullState: true},
}

// kindOf maps a payload to the type it belongs to. It goes by the payload's
// Go type rather than the action string, so a typed nil or an unknown
// action is simply not modelled.
func kindOf(payload events.Payload) (kind, bool) {
	switch p := payload.(type) {
	case *events.ConfBasicInfoNotify:
		return kBasic, p != nil
	case *events.ConfDynamicInfoNotify:
		return kDynamic, p != nil
	case *events.ParticipantsNotify:
		return kParticipants, p != nil
	case *events.AttendeesNotify:
		return kAttendees, p != nil
	case *events.SpeakerChangeNotify:
		return kSpeakers, p != nil
	case *events.NetConditionNotify:
		return kNet, p != nil
	case *events.InviteResultNotify:
		return kInvites, p != nil
	case *events.WaitingListNotify:
		return kWaiting, p != nil
	case *events.RealTimeSubtitleNotify:
		return kCaptions, p != nil
	case *events.InterpreterGroupNotify:
		return kInterpreters, p != nil
	}
	return 0, false
}

// verdict is what version checking decided about a push.
type verdict int

const (
	accept verdict = iota
	acceptAfterGap
	dropStale
	dropDuplicate
)

// versions tracks, per type, the last full snapshot's version (a ms
// timestamp) and the last delta's version (a counter). The two are never
// compared with each other (§6.3): after a full snapshot nothing says what
// the next delta's number will be, so it is accepted whatever it is and
// becomes the baseline.
type versions struct {
	full      [nKinds]int64
	delta     [nKinds]int64
	haveDelta [nKinds]bool
}

func isDelta(m events.Mode) bool { return m == events.ModeDelta }

func (v *versions) check(k kind, m events.Mode, ver int64) verdict {
	if !isDelta(m) {
		// Two snapshots are comparable (both ms timestamps); an older one
		// arriving late would roll the state back.
		if ver < v.full[k] {
			return dropStale
		}
		return accept
	}
	if !v.haveDelta[k] {
		return accept
	}
	switch last := v.delta[k]; {
	case ver == last:
		return dropDuplicate
	case ver < last:
		return dropStale
	case ver > last+1:
		return acceptAfterGap
	}
	return accept
}

func (v *versions) commit(k kind, m events.Mode, ver int64) {
	if !isDelta(m) {
		v.full[k] = max(v.full[k], ver)
		v.haveDelta[k] = false
		return
	}
	v.delta[k] = ver
	v.haveDelta[k] = true
}

// forgetDeltas drops every delta baseline. After a reconnect the server
// may continue its counters anywhere, and the first new delta must not be
// mistaken for a gap.
func (v *versions) forgetDeltas() { v.haveDelta = [nKinds]bool{} }

// msgWindow remembers the last dedupeWindow msgIDs.
type msgWindow struct {
	ring []string
	next int
	set  map[string]struct{}
}

func (w *msgWindow) seen(id string) bool {
	_, ok := w.set[id]
	return ok
}

func (w *msgWindow) add(id string) {
	if id == "" {
		return
	}
	if w.set == nil {
		w.set = make(map[string]struct{}, dedupeWindow)
		w.ring = make([]string, dedupeWindow)
	}
	if old := w.ring[w.next]; old != "" {
		delete(w.set, old)
	}
	w.ring[w.next] = id
	w.set[id] = struct{}{}
	w.next = (w.next + 1) % dedupeWindow
}
