package events

import (
	"time"

	"github.com/confwatch/confwatch/token"
)

// Push action names, as sent in the envelope and in subscribeType.
const (
	ActionConfBasicInfo    = "ConfBasicInfoNotify"
	ActionConfDynamicInfo  = "ConfDynamicInfoNotify"
	ActionParticipants     = "ParticipantsNotify"
	ActionAttendees        = "AttendeesNotify"
	ActionSpeakerChange    = "SpeakerChangeNotify"
	ActionNetCondition     = "NetConditionNotify"
	ActionInviteResult     = "InviteResultNotify"
	ActionRealTimeSubtitle = "RealTimeSubtitleNotify"
	ActionWaitingList      = "WaitingListNotify"
	ActionInterpreterGroup = "InterpreterGroupNotify"
	ActionSubscribe        = "Subscribe"
	ActionHeartBeat        = "HeartBeat"
	ActionConfControl      = "ConfControl"
)

// KnownActions lists every push type this package decodes, in a stable
// order. It is the default subscription.
func KnownActions() []string {
	return []string{
		ActionConfBasicInfo, ActionConfDynamicInfo, ActionParticipants,
		ActionAttendees, ActionSpeakerChange, ActionNetCondition,
		ActionInviteResult, ActionRealTimeSubtitle, ActionWaitingList,
		ActionInterpreterGroup,
	}
}

// ConfBasicInfoNotify is the meeting's basic information. Always a full
// snapshot. On the wire its fields sit at the top level of the frame.
type ConfBasicInfoNotify struct {
	DisplayID          string
	Title              string
	StartTime          time.Time // zero when absent
	Passwords          []ConfPassword
	RecType            int // 0 off, 1 recording, 2 recording + live, 3 live only
	Media              int // 1 voice, 2 video
	Owner              string
	OwnerID            string
	UserType           int
	SupportWatermark   int
	ScheduledStartTime time.Time
	GuestJoinURI       string
	CallInRestriction  int // 0 anyone, 2 enterprise users, 3 invited only
	ConfMode           string
	RealTimeSubtitle   int
	OrgID              string
	SupportWaitingRoom bool
	Webinar            bool
}

// ConfPassword is one of the meeting's passwords. Pwd is a secret: the
// vendor sends it in plain text, confwatch never prints it.
type ConfPassword struct {
	Role string // "chair" or "general"
	Pwd  token.Secret
}

// Meeting states of ConfDynamicInfoNotify.State.
const (
	StateSchedule  = "Schedule"
	StateCreated   = "Created"
	StateDestroyed = "Destroyed"
)

// ConfDynamicInfoNotify is the meeting's status. Each push is effectively
// a full state (replace, do not merge). On the wire its fields sit at the
// top level of the frame.
type ConfDynamicInfoNotify struct {
	EndTime          time.Time
	Mode             string // FREE, FIXED, ROLLCALL, BROADCAST
	State            string // Schedule, Created, Destroyed
	VAS              int
	Lock             int
	Mute             int
	LockSharing      int
	CanUnmute        int
	ChairView        int
	PicNum           int // sent as a string or a number
	PartViewNum      int
	MaxPartViewNum   int
	RecState         int
	MultiPic         *MultiPic
	ConfIMGroupID    string
	ForbiddenChat    int
	RecOccurred      int
	RealTimeSubtitle int
}

// Locked reports whether the meeting is locked.
func (d *ConfDynamicInfoNotify) Locked() bool { return d.Lock != 0 }

// Recording reports whether the meeting is being recorded.
func (d *ConfDynamicInfoNotify) Recording() bool { return d.RecState != 0 }

// Ended reports whether the meeting has ended (state "Destroyed").
func (d *ConfDynamicInfoNotify) Ended() bool { return d.State == StateDestroyed }

// MultiPic is the continuous-presence layout.
type MultiPic struct {
	PicNum   int
	Period   int // seconds between polls
	PicInfos []PicInfo
}

// PicInfo is one pane of the layout.
type PicInfo struct {
	Index int      // 1-based pane
	IDs   []string // participants' SIP numbers
	Share int      // 1 = presentation stream
}

// Entry modes of participant, attendee, waiting-room and net-condition
// entries.
const (
	EntryRefresh = 0 // add or update
	EntryRemove  = 1 // remove
)

// ParticipantsNotify lists online participants (full) or changes to them
// (delta: Info holds only changed keys; Mode EntryRemove removes).
type ParticipantsNotify struct {
	Participants []Participant
}

// Participant is one entry of ParticipantsNotify.
type Participant struct {
	PID  string
	Mode int // EntryRefresh or EntryRemove
	Info PInfo
}

// Removed reports whether the entry removes the participant.
func (p Participant) Removed() bool { return p.Mode == EntryRemove }

// AttendeesNotify lists the attendees invited when the meeting was
// scheduled.
type AttendeesNotify struct {
	Attendees []Attendee
}

// Attendee is one entry of AttendeesNotify.
type Attendee struct {
	UserUUID      string
	ParticipantID string
	Mode          int
	Phone         string
	Name          string
	AccountID     string
	Role          int // 0 ordinary, 1 host
	Email         string
	SMS           string
	IsMute        int
	IsAutoInvite  int
	Type          string
	Address       string
	DeptUUID      string
	DeptName      string
	OrgID         string // sent as orgId or orgID
	ThirdAccount  string
}

// SpeakerChangeNotify lists the loudest speakers; empty means nobody is
// speaking (the wire frame then has no data).
type SpeakerChangeNotify struct {
	Speakers []Speaker
}

// Speaker is one active speaker.
type Speaker struct {
	PID            string
	Name           string
	SpeakingVolume int
}

// NetConditionNotify carries per-participant media quality.
type NetConditionNotify struct {
	Conditions []NetCondition
}

// NetCondition is one participant's media quality. Numeric quality fields
// are kept as sent (strings, in the vendor's units).
type NetCondition struct {
	ParticipantID          string
	Mode                   int
	NetInfo                string
	Delay                  string // ms
	Jitter                 string // ms
	OutJitter              string // ms
	AudioCodecType         string
	VideoCodecType         string
	FluxIn                 string
	FluxOut                string
	LostPacketRate         string // 0.01 %
	AudioOutLossPacketRate string // 0.01 %
	Bandwidth              int64
}

// InviteResultNotify carries invite results and leave reasons.
type InviteResultNotify struct {
	Results []InviteResult
}

// InviteResult is one entry of InviteResultNotify. Code is "0" for a
// successful invite; see the protocol notes for leave reasons.
type InviteResult struct {
	CallNumber string
	Code       string // sent as errorCode or resultCode
}

// RealTimeSubtitleNotify is one live-caption update.
type RealTimeSubtitleNotify struct {
	Msgs          []SubtitleMsg
	IsFinal       bool
	Timestamp     time.Time
	BeginTime     time.Time
	EndTime       time.Time
	ParticipantID string
}

// SubtitleMsg is one caption text in one language.
type SubtitleMsg struct {
	Lang string // "Original", "Mandarin", "English"
	Text string
	ID   string
}

// WaitingListNotify lists waiting-room members or changes to them.
type WaitingListNotify struct {
	Members []WaitingMember
}

// WaitingMember is one waiting-room entry.
type WaitingMember struct {
	PID  string
	Mode int
	Info PInfo
}

// InterpreterGroupNotify lists simultaneous-interpretation groups.
type InterpreterGroupNotify struct {
	Groups []InterpreterGroup
}

// InterpreterGroup is one interpretation group.
type InterpreterGroup struct {
	GroupID        string // sent as groupId or groupID
	GroupName      string
	FirstLanguage  string
	SecondLanguage string
	GroupType      string
	Interpreters   []Interpreter
}

// Interpreter is one interpreter of a group.
type Interpreter struct {
	LoginAccount    string
	UserID          string
	CallNumber      string
	Name            string
	InterpreterType string
	InterpreterID   string
}
