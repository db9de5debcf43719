package events

import (
	"encoding/json"
	"time"

	"github.com/confwatch/confwatch/secret"
)

// The payload types below decode from the vendor's frames (see Decode) and
// marshal to JSON with the vendor's key spellings where the protocol
// documents one; confwatch's CLI prints them so. Secrets marshal as
// REDACTED, times as RFC 3339.

// Payload is the typed payload of a Push: a pointer to one of the structs
// below named after their action, *ConfBasicInfoNotify for
// "ConfBasicInfoNotify" and so on. The set is closed (no type outside this
// package implements Payload), so On and a type switch over a Payload see
// every case at compile time.
type Payload interface {
	// action returns the push action the payload type is decoded from.
	action() string
}

func (*ConfBasicInfoNotify) action() string    { return ActionConfBasicInfo }
func (*ConfDynamicInfoNotify) action() string  { return ActionConfDynamicInfo }
func (*ParticipantsNotify) action() string     { return ActionParticipants }
func (*AttendeesNotify) action() string        { return ActionAttendees }
func (*SpeakerChangeNotify) action() string    { return ActionSpeakerChange }
func (*NetConditionNotify) action() string     { return ActionNetCondition }
func (*InviteResultNotify) action() string     { return ActionInviteResult }
func (*RealTimeSubtitleNotify) action() string { return ActionRealTimeSubtitle }
func (*WaitingListNotify) action() string      { return ActionWaitingList }
func (*InterpreterGroupNotify) action() string { return ActionInterpreterGroup }

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
)

// ConfBasicInfoNotify is the meeting's basic information. Always a full
// snapshot. On the wire its fields sit at the top level of the frame.
type ConfBasicInfoNotify struct {
	DisplayID string    `json:"displayID"`
	Title     string    `json:"title"`
	StartTime time.Time `json:"startTime,omitzero"` // zero when absent
	// Passwords are the meeting's passwords by role: "chair" (the host's)
	// and "general" (the guests'), sent as a list of {role, pwd}; a role
	// sent twice keeps its last. Each is a secret: the vendor sends it in
	// plain text, confwatch never prints it.
	Passwords          map[string]secret.Secret `json:"pwds,omitempty"`
	RecType            int                      `json:"recType"` // 0 off, 1 recording, 2 recording + live, 3 live only
	Media              int                      `json:"media"`   // 1 voice, 2 video
	Owner              string                   `json:"owner"`
	OwnerID            string                   `json:"ownerID"`
	UserType           int                      `json:"userType"`
	SupportWatermark   int                      `json:"supportWatermark"`
	ScheduledStartTime time.Time                `json:"scheduledStartTime,omitzero"`
	GuestJoinURI       string                   `json:"guestJoinUri"`
	CallInRestriction  int                      `json:"callInRestriction"` // 0 anyone, 2 enterprise users, 3 invited only
	ConfMode           string                   `json:"confMode"`
	RealTimeSubtitle   int                      `json:"realTimeSubtitle"`
	OrgID              string                   `json:"orgID"`
	SupportWaitingRoom bool                     `json:"supportWaitingRoom"`
	Webinar            bool                     `json:"webinar"`

	// The fields below appear only in the vendor's sample frame (protocol
	// §5.3): no table gives their meaning or type. The switches the
	// sample shows as booleans are bools; the rest are kept as the
	// integers sent (a boolean sent in their place reads as 0 or 1).

	AIRecType                 int  `json:"aiRecType"`
	AudienceCallInRestriction int  `json:"audienceCallInRestriction"` // as CallInRestriction, for webinar audiences
	BignumMultiPicSwitch      bool `json:"bignumMultiPicSwitch"`
	PartViewSwitch            bool `json:"partViewSwitch"`
	// SimultaneousInterpretation is non-zero when the meeting has
	// simultaneous interpretation [inference from the name].
	SimultaneousInterpretation int    `json:"simultaneousInterpretation"`
	SupportCohost              int    `json:"supportCohost"`
	SupportClientRecord        int    `json:"supportClientRecord"`
	InviteShareSwitch          bool   `json:"inviteShareSwitch"`
	ConfPortalCapabilities     string `json:"confPortalCapabilities"`
}

// ConfDynamicInfoNotify is the meeting's status. Each push is effectively
// a full state (replace, do not merge). On the wire its fields sit at the
// top level of the frame.
type ConfDynamicInfoNotify struct {
	EndTime          time.Time `json:"endTime,omitzero"`
	Mode             string    `json:"mode"`  // FREE, FIXED, ROLLCALL, BROADCAST
	State            string    `json:"state"` // Schedule, Created, Destroyed (ended: see Ended)
	VAS              int       `json:"vas"`
	Lock             int       `json:"lock"`
	Mute             int       `json:"mute"`
	LockSharing      int       `json:"lockSharing"`
	CanUnmute        int       `json:"canUnmute"`
	ChairView        int       `json:"chairView"`
	PicNum           int       `json:"picNum"` // sent as a string or a number
	PartViewNum      int       `json:"partViewNum"`
	MaxPartViewNum   int       `json:"maxPartViewNum"`
	RecState         int       `json:"recState"`
	MultiPic         *MultiPic `json:"multiPic,omitempty"`
	ConfIMGroupID    string    `json:"confIMGroupId"`
	ForbiddenChat    int       `json:"forbiddenChat"`
	RecOccurred      int       `json:"recOccurred"`
	RealTimeSubtitle int       `json:"realTimeSubtitle"`

	// The fields below appear only in the vendor's sample frame (protocol
	// §5.4 lists them as sample-only): no table gives their meaning or
	// type. Booleans in the sample are bools; the rest are kept as the
	// integers sent (a boolean sent in their place reads as 0 or 1).
	// Meanings given here are read from the names [inference].

	// CallInRestriction is who may dial in, as in ConfBasicInfoNotify:
	// 0 anyone, 2 enterprise users, 3 invited only.
	CallInRestriction         int `json:"callInRestriction"`
	AudienceCallInRestriction int `json:"audienceCallInRestriction"`
	// AudienceTotalCount, AudienceCountReal and AudienceCountMultiple
	// count a webinar's audience: the total shown, the real number and
	// the multiplier the host may apply to the shown figure.
	AudienceTotalCount         int `json:"audienceTotalCount"`
	AudienceCountReal          int `json:"audienceCountReal"`
	AudienceCountMultiple      int `json:"audienceCountMultiple"`
	AIRecState                 int `json:"aiRecState"`
	EnableShareSetting         int `json:"enableShareSetting"`
	SimultaneousInterpretation int `json:"simultaneousInterpretation"`
	// LanChannels are the interpretation language channels. No page
	// shows an element (the sample's array is empty), so each is kept
	// as its JSON, compacted.
	LanChannels         []json.RawMessage `json:"lanChannels,omitempty"`
	AllowAudience       bool              `json:"allowAudience"`
	Pause               bool              `json:"pause"`
	AudienceVideoLayout string            `json:"audienceVideoLayout"`
	ClientRecState      int               `json:"clientRecState"`
	ClientRecMode       int               `json:"clientRecMode"`
	// WaitingRoomState is non-zero while the waiting room is on.
	WaitingRoomState int `json:"waitingRoomState"`
	ShowAudienceMode int `json:"showAudienceMode"`
}

// Locked reports whether the meeting is locked.
func (d *ConfDynamicInfoNotify) Locked() bool { return d.Lock != 0 }

// Recording reports whether the meeting is being recorded.
func (d *ConfDynamicInfoNotify) Recording() bool { return d.RecState != 0 }

// Ended reports whether the meeting has ended (state "Destroyed").
func (d *ConfDynamicInfoNotify) Ended() bool { return d.State == stateEnded }

// stateEnded is the State of an ended meeting.
const stateEnded = "Destroyed"

// MultiPic is the continuous-presence layout.
type MultiPic struct {
	PicNum   int       `json:"picNum"`
	Period   int       `json:"period"` // seconds between polls
	PicInfos []PicInfo `json:"picInfos,omitempty"`
}

// PicInfo is one pane of the layout.
type PicInfo struct {
	Index int      `json:"index"`        // 1-based pane
	IDs   []string `json:"id,omitempty"` // participants' SIP numbers
	Share int      `json:"share"`        // 1 = presentation stream
}

// entryRemove is the mode of a participant, attendee, waiting-room or
// net-condition entry that removes it; 0 adds or updates.
const entryRemove = 1

// ParticipantsNotify lists online participants (full) or changes to them
// (delta: Info holds only changed keys; an entry whose Removed reports true
// removes the participant).
type ParticipantsNotify struct {
	Participants []Participant `json:"participants,omitempty"`
}

// Participant is one entry of ParticipantsNotify or WaitingListNotify.
type Participant struct {
	PID  string `json:"pid"`
	Mode int    `json:"mode"` // 0 adds or updates, 1 removes: see Removed
	Info PInfo  `json:"pinfoMap"`
	// DelType is a waiting-room entry's delType, which only the vendor's
	// sample shows (protocol §5.11) and no page explains; 0 when absent.
	DelType int `json:"delType,omitempty"`
}

// Removed reports whether the entry removes the participant.
func (p Participant) Removed() bool { return p.Mode == entryRemove }

// AttendeesNotify lists the attendees invited when the meeting was
// scheduled.
type AttendeesNotify struct {
	Attendees []Attendee `json:"attendees,omitempty"`
}

// Attendee is one entry of AttendeesNotify.
type Attendee struct {
	UserUUID      string `json:"userUUID"`
	ParticipantID string `json:"participantID"`
	Mode          int    `json:"mode"` // 0 adds or updates, 1 removes: see Removed
	Phone         string `json:"phone"`
	Name          string `json:"name"`
	AccountID     string `json:"accountId"`
	Role          int    `json:"role"` // 0 ordinary, 1 host
	Email         string `json:"email"`
	SMS           string `json:"sms"`
	IsMute        int    `json:"isMute"`
	IsAutoInvite  int    `json:"isAutoInvite"`
	Type          string `json:"type"`
	Address       string `json:"address"`
	DeptUUID      string `json:"deptUUID"`
	DeptName      string `json:"deptName"`
	OrgID         string `json:"orgID"` // sent as orgId or orgID
	ThirdAccount  string `json:"thirdAccount"`
	// HidePhone and IsNotOverlayPidName appear only in the vendor's
	// sample (protocol §5.6). HidePhone asks that Phone not be shown
	// [inference from the name].
	HidePhone           bool `json:"hidePhone"`
	IsNotOverlayPidName bool `json:"isNotOverlayPidName"`
}

// Removed reports whether the entry removes the attendee.
func (a Attendee) Removed() bool { return a.Mode == entryRemove }

// SpeakerChangeNotify lists the loudest speakers; empty means nobody is
// speaking (the wire frame then has no data).
type SpeakerChangeNotify struct {
	Speakers []Speaker `json:"speakers,omitempty"`
}

// Speaker is one active speaker.
type Speaker struct {
	PID            string `json:"pid"`
	Name           string `json:"name"`
	SpeakingVolume int    `json:"speakingVolume"`
}

// NetConditionNotify carries per-participant media quality.
type NetConditionNotify struct {
	Conditions []NetCondition `json:"conditions,omitempty"`
}

// NetCondition is one participant's media quality. Numeric quality fields
// are kept as sent (strings, in the vendor's units). The video and
// assist-video (shared content) fields appear only in the vendor's sample
// (protocol §5.8); they are read as the audio ones' units.
type NetCondition struct {
	ParticipantID          string `json:"participantID"`
	Mode                   int    `json:"mode"` // 0 adds or updates, 1 removes: see Removed
	NetInfo                string `json:"netInfo"`
	Delay                  string `json:"delay"`     // ms
	Jitter                 string `json:"jitter"`    // ms
	OutJitter              string `json:"outJitter"` // ms
	AudioCodecType         string `json:"audioCodecType"`
	VideoCodecType         string `json:"videoCodecType"`
	FluxIn                 string `json:"fluxIn"`
	FluxOut                string `json:"fluxOut"`
	LostPacketRate         string `json:"lostPacketRate"`         // 0.01 %
	AudioOutLossPacketRate string `json:"audioOutLossPacketRate"` // 0.01 %
	Bandwidth              int64  `json:"bandwidth"`

	VideoInLossPacketRate        string `json:"videoInLossPacketRate"`        // 0.01 %, terminal→server
	VideoOutLossPacketRate       string `json:"videoOutLossPacketRate"`       // 0.01 %, server→terminal
	AssistVideoInLossPacketRate  string `json:"assistVideoInLossPacketRate"`  // 0.01 %
	AssistVideoOutLossPacketRate string `json:"assistVideoOutLossPacketRate"` // 0.01 %
	VideoFluxIn                  string `json:"videoFluxIn"`                  // 100 bit/s
	VideoFluxOut                 string `json:"videoFluxOut"`                 // 100 bit/s
	AssistVideoFluxIn            string `json:"assistVideoFluxIn"`            // 100 bit/s
	AssistVideoFluxOut           string `json:"assistVideoFluxOut"`           // 100 bit/s
}

// Removed reports whether the entry removes the participant's figures.
func (n NetCondition) Removed() bool { return n.Mode == entryRemove }

// InviteResultNotify carries invite results and leave reasons.
type InviteResultNotify struct {
	Results []InviteResult `json:"results,omitempty"`
}

// InviteResult is one entry of InviteResultNotify. Code is "0" for a
// successful invite; see the protocol notes for leave reasons.
type InviteResult struct {
	CallNumber string `json:"callNumber"`
	Code       string `json:"resultCode"` // sent as errorCode or resultCode
}

// RealTimeSubtitleNotify is one live-caption update: the text of one
// sentence so far (IsFinal false) or complete (IsFinal true).
type RealTimeSubtitleNotify struct {
	Msgs    []SubtitleMsg `json:"msgs,omitempty"`
	IsFinal bool          `json:"isFinal"`
	// Timestamp is when the server produced the update, an instant sent
	// as epoch ms (protocol §5.10; the samples' value is a few ms before
	// the frame's createTime). Zero when absent.
	Timestamp time.Time `json:"timestamp,omitzero"`
	// BeginTime and EndTime are where the sentence starts and ends in the
	// audio, as offsets, not instants: the vendor's sample frame of
	// 2021-03-05 carries beginTime 1528680, i.e. 25 min 28.68 s, sent in
	// ms. No page names the origin; it reads as the start of the
	// meeting's caption stream [inference]. 0 is an offset like any other.
	BeginTime     time.Duration `json:"beginTime"`
	EndTime       time.Duration `json:"endTime"`
	ParticipantID string        `json:"participantID"`
}

// MarshalJSON encodes n with the vendor's keys and units: beginTime and
// endTime as ms offsets, as they arrive, rather than as a Duration's
// nanoseconds.
func (n RealTimeSubtitleNotify) MarshalJSON() ([]byte, error) {
	type plain RealTimeSubtitleNotify // without this method
	return json.Marshal(struct {
		plain
		BeginTime int64 `json:"beginTime"` // shallower: hides plain's
		EndTime   int64 `json:"endTime"`
	}{plain(n), n.BeginTime.Milliseconds(), n.EndTime.Milliseconds()})
}

// SubtitleMsg is one caption text in one language.
type SubtitleMsg struct {
	Lang string `json:"subtitleLang"` // "Original", "Mandarin", "English"
	Text string `json:"translateText"`
	ID   string `json:"id"`
}

// WaitingListNotify lists waiting-room members (full) or changes to them
// (delta). A member has the shape of a participant: its pid, an entry Mode
// (Removed: the member left the waiting room) and its pinfoMap, which
// in a delta holds only the keys that changed.
type WaitingListNotify struct {
	Members []Participant `json:"members,omitempty"`
}

// InterpreterGroupNotify lists simultaneous-interpretation groups.
type InterpreterGroupNotify struct {
	Groups []InterpreterGroup `json:"groups,omitempty"`
}

// InterpreterGroup is one interpretation group.
type InterpreterGroup struct {
	GroupID        string        `json:"groupId"` // sent as groupId or groupID
	GroupName      string        `json:"groupName"`
	FirstLanguage  string        `json:"firstLanguage"`
	SecondLanguage string        `json:"secondLanguage"`
	GroupType      string        `json:"groupType"`
	Interpreters   []Interpreter `json:"interpreters,omitempty"`
}

// Interpreter is one interpreter of a group.
type Interpreter struct {
	LoginAccount    string `json:"loginAccount"`
	UserID          string `json:"userID"`
	CallNumber      string `json:"callNumber"`
	Name            string `json:"name"`
	InterpreterType string `json:"interpreterType"` // MANUAL or AI
	InterpreterID   string `json:"interpreterId"`
	// AIDigitalInfo describes an AI interpreter's digital presenter; nil
	// when not sent.
	AIDigitalInfo *AIDigitalInfo `json:"aiDigitalInfo,omitempty"`
}

// AIDigitalInfo is an AI interpreter's digital presenter (protocol
// §5.12). The page lists more keys after these ("…") without naming them;
// those stay in Push.Raw.
type AIDigitalInfo struct {
	Type                     string `json:"type"` // PUBLIC, PRIVATE or LOCAL
	DigitalAccount           string `json:"digitalAccount"`
	DigitalName              string `json:"digitalName"`
	PresenterAccount         string `json:"presenterAccount"`
	PresenterRealNameAccount string `json:"presenterRealNameAccount"`
	PresenterName            string `json:"presenterName"`
	PresenterUserID          string `json:"presenterUserID"`
	LocalConfID              string `json:"localConfId"`
}
