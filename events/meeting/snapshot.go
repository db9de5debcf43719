package meeting

import (
	"encoding/json"
	"time"

	"github.com/confwatch/confwatch/events"
)

// Snapshot is a consistent picture of the meeting at one point of the push
// stream. It is immutable: State never changes a Snapshot it has handed
// out, and callers must not change one either (its slices, maps, Roster
// and Info maps are shared with later snapshots).
//
// Marshaled to JSON it is stable: slices are in a deterministic order and
// maps are sorted by key by encoding/json.
type Snapshot struct {
	// ConferenceID is the meeting ID from the push envelopes.
	ConferenceID string `json:"conferenceId"`
	// Title is the meeting subject (ConfBasicInfoNotify).
	Title string `json:"title"`
	// Basic holds selected fields of ConfBasicInfoNotify.
	Basic Basic `json:"basic"`
	// Status is the meeting status (ConfDynamicInfoNotify).
	Status Status `json:"status"`
	// Participants are the online participants, ordered by join time, then
	// PID. Range over Participants.All(); Participant looks one up.
	Participants Roster `json:"participants"`
	// Speakers are the active speakers, loudest first (ties by PID).
	Speakers []Speaker `json:"speakers"`
	// Attendees are the people invited when the meeting was scheduled,
	// ordered by name, then key.
	Attendees []Attendee `json:"attendees"`
	// WaitingRoom lists the waiting-room members, ordered by arrival, then
	// PID.
	WaitingRoom []WaitingMember `json:"waitingRoom"`
	// InviteResults are the most recent invite results and leave reasons,
	// oldest first; Config.InviteResults bounds how many are kept.
	InviteResults []InviteResult `json:"inviteResults"`
	// NetConditions is the media quality per participant ID (MCU meetings).
	NetConditions map[string]NetCondition `json:"netConditions"`
	// Captions holds, per participant ID, the latest final live-caption
	// sentences, oldest first: at most Config.Captions per participant,
	// for at most MaxCaptionSpeakers participants. Sentences without a
	// participant ID are under "".
	Captions map[string][]Caption `json:"captions"`
	// InterpreterGroups are the simultaneous-interpretation groups, in the
	// order the server sent them (InterpreterGroupNotify).
	InterpreterGroups []InterpreterGroup `json:"interpreterGroups"`
	// Versions is the mode and version of the last push applied, per
	// action.
	Versions map[string]TypeVersion `json:"versions"`
	// Connected is true from a Subscribed or Resubscribed event to the
	// next Disconnected one; while false the picture may be out of date.
	Connected bool `json:"connected"`
	// BlindSince is when the link was lost; zero while connected.
	BlindSince time.Time `json:"blindSince,omitzero"`
	// Resyncing lists the actions still waiting for their fresh full
	// snapshot after a resubscribe; their part of the picture is the one
	// held before the outage.
	Resyncing []string `json:"resyncing,omitempty"`
	// UpdatedAt is the creation time of the last push applied (or the time
	// of the last lifecycle event).
	UpdatedAt time.Time `json:"updatedAt,omitzero"`
}

// Participant returns the online participant with the given PID.
func (s *Snapshot) Participant(pid string) (Participant, bool) {
	if p, ok := s.Participants.r.get(pid); ok {
		return *p, true
	}
	return Participant{}, false
}

// Basic holds the ConfBasicInfoNotify fields worth showing. Passwords and
// the guest join link are left out on purpose: they let anyone join.
type Basic struct {
	DisplayID          string    `json:"displayId,omitempty"`
	StartTime          time.Time `json:"startTime,omitzero"`
	ScheduledStartTime time.Time `json:"scheduledStartTime,omitzero"`
	Owner              string    `json:"owner,omitempty"`
	OwnerID            string    `json:"ownerId,omitempty"`
	// Media is 1 for voice, 2 for video.
	Media int `json:"media,omitempty"`
	// RecType is 0 off, 1 recording, 2 recording + live, 3 live only.
	RecType int `json:"recType"`
	// ConfMode is COMMON or RTC.
	ConfMode string `json:"confMode,omitempty"`
	// CallInRestriction is 0 anyone, 2 enterprise users, 3 invited only.
	CallInRestriction  int  `json:"callInRestriction"`
	SupportWaitingRoom bool `json:"supportWaitingRoom,omitempty"`
	Webinar            bool `json:"webinar,omitempty"`
	// Subtitles reports whether live captions are supported.
	Subtitles bool `json:"subtitles,omitempty"`

	// The fields below come from fields only the vendor's sample shows
	// (protocol §5.3); their meanings are read from the names.

	// AudienceCallInRestriction is CallInRestriction for a webinar's
	// audience.
	AudienceCallInRestriction  int    `json:"audienceCallInRestriction,omitempty"`
	AIRecType                  int    `json:"aiRecType,omitempty"`
	BignumMultiPic             bool   `json:"bignumMultiPicSwitch,omitempty"`
	PartView                   bool   `json:"partViewSwitch,omitempty"`
	SimultaneousInterpretation bool   `json:"simultaneousInterpretation,omitempty"`
	SupportCohost              bool   `json:"supportCohost,omitempty"`
	SupportClientRecord        bool   `json:"supportClientRecord,omitempty"`
	InviteShare                bool   `json:"inviteShareSwitch,omitempty"`
	PortalCapabilities         string `json:"confPortalCapabilities,omitempty"`
}

// Status is the meeting status of ConfDynamicInfoNotify, with the vendor's
// 0/1 integers turned into booleans.
type Status struct {
	// State is Schedule, Created or Destroyed (events.State...).
	State string `json:"state"`
	// Mode is FREE, FIXED, ROLLCALL or BROADCAST.
	Mode        string `json:"mode"`
	Locked      bool   `json:"locked"`
	Recording   bool   `json:"recording"`
	MuteAll     bool   `json:"muteAll"`
	CanUnmute   bool   `json:"canUnmute"`
	LockSharing bool   `json:"lockSharing"`
	// VoiceSwitching is voice-activated switching (vas).
	VoiceSwitching bool `json:"voiceSwitching"`
	ChairView      bool `json:"chairView"`
	ForbiddenChat  bool `json:"forbiddenChat"`
	RecOccurred    bool `json:"recOccurred"`
	Subtitles      bool `json:"subtitles"`
	PicNum         int  `json:"picNum"`
	PartViewNum    int  `json:"partViewNum"`
	MaxPartViewNum int  `json:"maxPartViewNum"`
	// EndTime is the planned end.
	EndTime time.Time `json:"endTime,omitzero"`

	// The fields below come from fields only the vendor's sample shows
	// (protocol §5.4); their meanings are read from the names.

	// CallInRestriction is who may dial in now: 0 anyone, 2 enterprise
	// users, 3 invited only (as Basic.CallInRestriction).
	CallInRestriction int `json:"callInRestriction"`
	// WaitingRoom reports that the waiting room is on (waitingRoomState).
	WaitingRoom bool `json:"waitingRoom"`
	// Paused reports that the meeting is paused (pause).
	Paused bool `json:"paused"`
	// AudienceCount is a webinar's audience as the meeting shows it
	// (audienceTotalCount); AudienceCountReal is the real number and
	// AudienceCountMultiple the multiplier the host may apply to the
	// shown figure.
	AudienceCount              int    `json:"audienceCount"`
	AudienceCountReal          int    `json:"audienceCountReal,omitempty"`
	AudienceCountMultiple      int    `json:"audienceCountMultiple,omitempty"`
	AllowAudience              bool   `json:"allowAudience,omitempty"`
	AudienceCallInRestriction  int    `json:"audienceCallInRestriction,omitempty"`
	AudienceVideoLayout        string `json:"audienceVideoLayout,omitempty"`
	ShowAudienceMode           int    `json:"showAudienceMode,omitempty"`
	SimultaneousInterpretation bool   `json:"simultaneousInterpretation,omitempty"`
	// AIRecording reports aiRecState non-zero.
	AIRecording        bool `json:"aiRecording,omitempty"`
	ClientRecState     int  `json:"clientRecState,omitempty"`
	ClientRecMode      int  `json:"clientRecMode,omitempty"`
	EnableShareSetting int  `json:"enableShareSetting,omitempty"`
}

// Ended reports whether the meeting has ended.
func (s Status) Ended() bool { return (&events.ConfDynamicInfoNotify{State: s.State}).Ended() }

// Participant is one online participant. The typed fields are read from
// Info, the participant's full pinfoMap with every delta merged in.
type Participant struct {
	PID  string `json:"pid"`
	Name string `json:"name"`
	// Role is "host", "ordinary", "audience", the raw ROLE value when it
	// is none of those, or "" when it was never sent.
	Role       string `json:"role"`
	HandRaised bool   `json:"handRaised"`
	Muted      bool   `json:"muted"`
	Sharing    bool   `json:"sharing"`
	Video      bool   `json:"video"`
	// Speaking reports whether the participant is among the active
	// speakers.
	Speaking  bool      `json:"speaking"`
	JoinTime  time.Time `json:"joinTime,omitzero"`
	LoginType string    `json:"loginType,omitempty"`
	// Info is the full pinfoMap; it is shared and must not be modified.
	Info events.PInfo `json:"info"`
}

// Speaker is one active speaker.
type Speaker struct {
	PID    string `json:"pid"`
	Name   string `json:"name,omitempty"`
	Volume int    `json:"volume"`
}

// Attendee is one person invited when the meeting was scheduled. Key is
// what identifies the entry across deltas: the user UUID, else the
// participant ID, else the phone number, else the name.
type Attendee struct {
	Key           string `json:"key"`
	UserUUID      string `json:"userUuid,omitempty"`
	ParticipantID string `json:"participantId,omitempty"`
	Name          string `json:"name"`
	Phone         string `json:"phone,omitempty"`
	AccountID     string `json:"accountId,omitempty"`
	Email         string `json:"email,omitempty"`
	// Role is "host" or "ordinary".
	Role       string `json:"role"`
	Type       string `json:"type,omitempty"`
	DeptName   string `json:"deptName,omitempty"`
	MuteOnJoin bool   `json:"muteOnJoin"`
	AutoInvite bool   `json:"autoInvite"`
	// HidePhone is the sample-only hidePhone (protocol §5.6): Phone is
	// not to be shown [inference from the name].
	HidePhone bool `json:"hidePhone,omitempty"`
}

// WaitingMember is one waiting-room member.
type WaitingMember struct {
	PID       string    `json:"pid"`
	Name      string    `json:"name"`
	JoinTime  time.Time `json:"joinTime,omitzero"`
	Anonymous bool      `json:"anonymous"`
	LoginType string    `json:"loginType,omitempty"`
	// Admitted reports WAITINGSTATE "1": let in and joining.
	Admitted bool `json:"admitted"`
	// Info is the full pinfoMap; it is shared and must not be modified.
	Info events.PInfo `json:"info"`
}

// InviteResult is one invite result or leave reason, as received.
type InviteResult struct {
	CallNumber string `json:"callNumber"`
	// Code is "0" for a successful invite; see the protocol notes for the
	// leave reasons.
	Code string `json:"code"`
	// At is the creation time of the push that carried it.
	At time.Time `json:"at,omitzero"`
}

// NetCondition is one participant's media quality, in the vendor's units
// (strings as sent).
type NetCondition struct {
	NetInfo                string `json:"netInfo,omitempty"`
	Delay                  string `json:"delay,omitempty"`
	Jitter                 string `json:"jitter,omitempty"`
	OutJitter              string `json:"outJitter,omitempty"`
	AudioCodecType         string `json:"audioCodecType,omitempty"`
	VideoCodecType         string `json:"videoCodecType,omitempty"`
	FluxIn                 string `json:"fluxIn,omitempty"`
	FluxOut                string `json:"fluxOut,omitempty"`
	LostPacketRate         string `json:"lostPacketRate,omitempty"`
	AudioOutLossPacketRate string `json:"audioOutLossPacketRate,omitempty"`
	Bandwidth              int64  `json:"bandwidth,omitempty"`

	VideoInLossPacketRate        string `json:"videoInLossPacketRate,omitempty"`
	VideoOutLossPacketRate       string `json:"videoOutLossPacketRate,omitempty"`
	AssistVideoInLossPacketRate  string `json:"assistVideoInLossPacketRate,omitempty"`
	AssistVideoOutLossPacketRate string `json:"assistVideoOutLossPacketRate,omitempty"`
	VideoFluxIn                  string `json:"videoFluxIn,omitempty"`
	VideoFluxOut                 string `json:"videoFluxOut,omitempty"`
	AssistVideoFluxIn            string `json:"assistVideoFluxIn,omitempty"`
	AssistVideoFluxOut           string `json:"assistVideoFluxOut,omitempty"`
}

// Caption is one final live-caption sentence (RealTimeSubtitleNotify with
// isFinal true).
type Caption struct {
	// ID is the vendor's id of the sentence (that of its first text).
	ID string `json:"id,omitempty"`
	// Name is the speaker's name in the roster when the sentence arrived;
	// empty when the roster did not know the participant.
	Name string `json:"name,omitempty"`
	// Text is the sentence in its original language (the text whose
	// language is "Original", else the first one sent).
	Text string `json:"text"`
	// Texts is the sentence in every language sent, in the order sent.
	Texts []CaptionText `json:"texts"`
	// At is when the server produced the sentence (its timestamp, else
	// the push's createTime).
	At time.Time `json:"at,omitzero"`
	// Begin and End are the sentence's offsets in the caption stream
	// (protocol §5.10). JSON carries them in ms, as beginMs and endMs.
	Begin time.Duration `json:"-"`
	End   time.Duration `json:"-"`
}

// captionJSON is Caption's JSON form, with the offsets in ms.
type captionJSON struct {
	captionFields
	BeginMs int64 `json:"beginMs"`
	EndMs   int64 `json:"endMs"`
}

type captionFields Caption // without the methods

// MarshalJSON encodes c with its offsets in ms.
func (c Caption) MarshalJSON() ([]byte, error) {
	return json.Marshal(captionJSON{captionFields(c), c.Begin.Milliseconds(), c.End.Milliseconds()})
}

// UnmarshalJSON decodes what MarshalJSON encodes.
func (c *Caption) UnmarshalJSON(b []byte) error {
	var j captionJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*c = Caption(j.captionFields)
	c.Begin, c.End = time.Duration(j.BeginMs)*time.Millisecond, time.Duration(j.EndMs)*time.Millisecond
	return nil
}

// CaptionText is a caption sentence in one language.
type CaptionText struct {
	// Lang is "Original", "Mandarin" or "English".
	Lang string `json:"lang"`
	Text string `json:"text"`
}

// InterpreterGroup is one simultaneous-interpretation group.
type InterpreterGroup struct {
	ID             string `json:"id"`
	Name           string `json:"name,omitempty"`
	FirstLanguage  string `json:"firstLanguage,omitempty"`
	SecondLanguage string `json:"secondLanguage,omitempty"`
	// Type is MANUAL or AI.
	Type         string        `json:"type,omitempty"`
	Interpreters []Interpreter `json:"interpreters"`
}

// Interpreter is one interpreter of a group.
type Interpreter struct {
	ID           string `json:"id,omitempty"`
	Name         string `json:"name"`
	UserID       string `json:"userId,omitempty"`
	LoginAccount string `json:"loginAccount,omitempty"`
	CallNumber   string `json:"callNumber,omitempty"`
	// Type is MANUAL or AI.
	Type string `json:"type,omitempty"`
	// DigitalName is an AI interpreter's digital presenter.
	DigitalName string `json:"digitalName,omitempty"`
}

// TypeVersion is the envelope mode and version of the last push applied
// for one action. A full snapshot's Version is a ms timestamp, a delta's a
// per-type counter.
type TypeVersion struct {
	Mode    events.Mode `json:"mode"`
	Version int64       `json:"version"`
}
