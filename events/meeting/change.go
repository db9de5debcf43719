package meeting

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ChangeKind names a semantic change.
type ChangeKind string

// The change kinds, in the order changes of one push are sorted by for the
// same participant.
const (
	ParticipantJoined  ChangeKind = "ParticipantJoined"
	ParticipantRenamed ChangeKind = "ParticipantRenamed"
	RoleChanged        ChangeKind = "RoleChanged"
	HandRaised         ChangeKind = "HandRaised"
	HandLowered        ChangeKind = "HandLowered"
	Muted              ChangeKind = "Muted"
	Unmuted            ChangeKind = "Unmuted"
	SharingStarted     ChangeKind = "SharingStarted"
	SharingStopped     ChangeKind = "SharingStopped"
	ParticipantLeft    ChangeKind = "ParticipantLeft"
	SpeakersChanged    ChangeKind = "SpeakersChanged"
	MeetingLocked      ChangeKind = "MeetingLocked"
	MeetingUnlocked    ChangeKind = "MeetingUnlocked"
	RecordingStarted   ChangeKind = "RecordingStarted"
	RecordingStopped   ChangeKind = "RecordingStopped"
	// CaptionsStarted and CaptionsStopped follow the meeting's live
	// captions switch (ConfDynamicInfoNotify realTimeSubtitle).
	CaptionsStarted ChangeKind = "CaptionsStarted"
	CaptionsStopped ChangeKind = "CaptionsStopped"
	// MeetingPaused and MeetingResumed follow Status.Paused.
	MeetingPaused  ChangeKind = "MeetingPaused"
	MeetingResumed ChangeKind = "MeetingResumed"
	// WaitingRoomEnabled and WaitingRoomDisabled follow
	// Status.WaitingRoom.
	WaitingRoomEnabled  ChangeKind = "WaitingRoomEnabled"
	WaitingRoomDisabled ChangeKind = "WaitingRoomDisabled"
	MeetingEnded        ChangeKind = "MeetingEnded"
)

var kindOrder = []ChangeKind{
	ParticipantJoined, ParticipantRenamed, RoleChanged, HandRaised, HandLowered,
	Muted, Unmuted, SharingStarted, SharingStopped, ParticipantLeft,
	SpeakersChanged, MeetingLocked, MeetingUnlocked, RecordingStarted,
	RecordingStopped, CaptionsStarted, CaptionsStopped, MeetingPaused,
	MeetingResumed, WaitingRoomEnabled, WaitingRoomDisabled, MeetingEnded,
}

func (k ChangeKind) rank() int {
	if i := slices.Index(kindOrder, k); i >= 0 {
		return i
	}
	return len(kindOrder)
}

// Change is one semantic change of the meeting, derived from a state
// transition: a push that restates what was already known produces none.
type Change struct {
	Kind ChangeKind `json:"kind"`
	// At is the creation time of the push that revealed the change (the
	// clock's time when the push had none). For an inferred change it is
	// when the change was learnt, not when it happened.
	At time.Time `json:"at"`
	// PID and Name identify the participant; empty for meeting-wide
	// changes. For ParticipantLeft, Name is the last name known.
	PID  string `json:"pid,omitempty"`
	Name string `json:"name,omitempty"`
	// From and To are the old and new name (ParticipantRenamed) or role
	// (RoleChanged).
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Speakers are the active speakers' PIDs, loudest first
	// (SpeakersChanged).
	Speakers []string `json:"speakers,omitempty"`
	// Inferred is true when the change was found by comparing the state
	// held before an outage with the fresh snapshot after it: it happened
	// while blind, at an unknown time.
	Inferred bool `json:"inferred,omitempty"`
}

// String describes the change for humans, e.g. `Li Wei raised a hand`.
func (c Change) String() string {
	s := c.describe()
	if c.Inferred {
		s += " (while disconnected)"
	}
	return s
}

// participantVerbs are the descriptions that follow a participant's name;
// meetingPhrases those of meeting-wide changes. The other kinds carry
// values of their own (see describe).
var (
	participantVerbs = map[ChangeKind]string{
		ParticipantJoined: "joined",
		ParticipantLeft:   "left",
		HandRaised:        "raised a hand",
		HandLowered:       "lowered a hand",
		Muted:             "was muted",
		Unmuted:           "was unmuted",
		SharingStarted:    "started sharing",
		SharingStopped:    "stopped sharing",
	}
	meetingPhrases = map[ChangeKind]string{
		MeetingLocked:       "meeting locked",
		MeetingUnlocked:     "meeting unlocked",
		RecordingStarted:    "recording started",
		RecordingStopped:    "recording stopped",
		CaptionsStarted:     "live captions started",
		CaptionsStopped:     "live captions stopped",
		MeetingPaused:       "meeting paused",
		MeetingResumed:      "meeting resumed",
		WaitingRoomEnabled:  "waiting room on",
		WaitingRoomDisabled: "waiting room off",
		MeetingEnded:        "meeting ended",
	}
)

func (c Change) describe() string {
	who := c.Name
	if who == "" {
		who = c.PID
	}
	if verb, ok := participantVerbs[c.Kind]; ok {
		return who + " " + verb
	}
	if phrase, ok := meetingPhrases[c.Kind]; ok {
		return phrase
	}
	switch c.Kind {
	case ParticipantRenamed:
		return fmt.Sprintf("%q renamed to %q", c.From, c.To)
	case RoleChanged:
		return fmt.Sprintf("%s changed role from %s to %s", who, orNone(c.From), orNone(c.To))
	case SpeakersChanged:
		if len(c.Speakers) == 0 {
			return "nobody is speaking"
		}
		return "speaking: " + strings.Join(c.Speakers, ", ")
	}
	return fmt.Sprintf("%s %s", c.Kind, who)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// sortChanges puts the changes of one push in their documented order:
// meeting-wide changes first (their PID is empty), then by PID, then by
// kind.
func sortChanges(cs []Change) {
	slices.SortStableFunc(cs, func(a, b Change) int {
		if c := strings.Compare(a.PID, b.PID); c != 0 {
			return c
		}
		return cmp.Compare(a.Kind.rank(), b.Kind.rank())
	})
}
