package events

import (
	"bytes"
	"encoding/json"

	"github.com/confwatch/confwatch/internal/wire"
	"github.com/confwatch/confwatch/secret"
)

// Wire structs: one per push shape, decoded by a single json.Unmarshal
// call each (see shape in decode.go). They embed wire.Envelope and carry
// the JSON tags and the lenient scalar types of package wire; their payload
// methods copy them into the exported payload types of payload.go.
//
// encoding/json matches keys case-insensitively (preferring an exact
// match), so key spellings that differ only in case (orgId/orgID,
// groupId/groupID, interpreterId/interpreterID) need no extra work; where
// both spellings may arrive in one object each has its own field.
//
// Slices keep their nil-ness (absent or null → nil, [] → empty), so that a
// decoded payload re-encodes to the same value.

// ---- ParticipantsNotify, WaitingListNotify (hot path: no Unmarshaler on
// strings or maps) ----

type wireParticipants struct {
	wire.Envelope
	Data []wireParticipant `json:"data"`
}

type wireParticipant struct {
	PID  string   `json:"pid"`
	Mode wire.Int `json:"mode"`
	Info PInfo    `json:"pinfoMap"`
}

func (w *wireParticipants) entries() []Participant {
	if w.Data == nil {
		return nil
	}
	out := make([]Participant, len(w.Data))
	for i := range w.Data {
		d := &w.Data[i]
		out[i] = Participant{PID: d.PID, Mode: int(d.Mode), Info: d.Info}
	}
	return out
}

func (w *wireParticipants) payload() *ParticipantsNotify {
	return &ParticipantsNotify{Participants: w.entries()}
}

// wireWaitingList has the participants' shape, plus the sample's
// DTO-level delType (protocol §5.11).
type wireWaitingList struct {
	wire.Envelope
	Data []wireWaitingEntry `json:"data"`
}

type wireWaitingEntry struct {
	wireParticipant
	DelType wire.Int `json:"delType"`
}

func (w *wireWaitingList) payload() *WaitingListNotify {
	if w.Data == nil {
		return &WaitingListNotify{}
	}
	out := make([]Participant, len(w.Data))
	for i := range w.Data {
		d := &w.Data[i]
		out[i] = Participant{PID: d.PID, Mode: int(d.Mode), Info: d.Info, DelType: int(d.DelType)}
	}
	return &WaitingListNotify{Members: out}
}

// ---- SpeakerChangeNotify (hot path) ----

type wireSpeakers struct {
	wire.Envelope
	Data []wireSpeaker `json:"data"`
}

type wireSpeaker struct {
	PID            string   `json:"pid"`
	Name           string   `json:"name"`
	SpeakingVolume wire.Int `json:"speakingVolume"`
}

func (w *wireSpeakers) payload() *SpeakerChangeNotify {
	if w.Data == nil {
		return &SpeakerChangeNotify{}
	}
	out := make([]Speaker, len(w.Data))
	for i := range w.Data {
		d := &w.Data[i]
		out[i] = Speaker{PID: d.PID, Name: d.Name, SpeakingVolume: int(d.SpeakingVolume)}
	}
	return &SpeakerChangeNotify{Speakers: out}
}

// ---- ConfBasicInfoNotify (fields at the top level) ----

type wireConfBasic struct {
	wire.Envelope
	DisplayID          wire.String `json:"displayID"`
	Title              wire.String `json:"title"`
	StartTime          wire.Time   `json:"startTime"`
	Pwds               []wirePwd   `json:"pwds"`
	RecType            wire.Int    `json:"recType"`
	Media              wire.Int    `json:"media"`
	Owner              wire.String `json:"owner"`
	OwnerID            wire.String `json:"ownerID"`
	UserType           wire.Int    `json:"userType"`
	SupportWatermark   wire.Int    `json:"supportWatermark"`
	ScheduledStartTime wire.Time   `json:"scheduledStartTime"`
	GuestJoinURI       wire.String `json:"guestJoinUri"`
	CallInRestriction  wire.Int    `json:"callInRestriction"`
	ConfMode           wire.String `json:"confMode"`
	RealTimeSubtitle   wire.Int    `json:"realTimeSubtitle"`
	OrgID              wire.String `json:"orgID"`
	SupportWaitingRoom wire.Bool   `json:"supportWaitingRoom"`
	Webinar            wire.Bool   `json:"webinar"`

	// Sample-only (protocol §5.3): types read from the sample's values.
	AIRecType                  wire.IntOrBool `json:"aiRecType"`
	AudienceCallInRestriction  wire.IntOrBool `json:"audienceCallInRestriction"`
	BignumMultiPicSwitch       wire.Bool      `json:"bignumMultiPicSwitch"`
	PartViewSwitch             wire.Bool      `json:"partViewSwitch"`
	SimultaneousInterpretation wire.IntOrBool `json:"simultaneousInterpretation"`
	SupportCohost              wire.IntOrBool `json:"supportCohost"`
	SupportClientRecord        wire.IntOrBool `json:"supportClientRecord"`
	InviteShareSwitch          wire.Bool      `json:"inviteShareSwitch"`
	ConfPortalCapabilities     wire.String    `json:"confPortalCapabilities"`
}

// wirePwd's pwd is decoded as a wire.String (digits may come as a number)
// and wrapped in a secret.Secret at once.
type wirePwd struct {
	Role wire.String `json:"role"`
	Pwd  wire.String `json:"pwd"`
}

func (w *wireConfBasic) payload() *ConfBasicInfoNotify {
	var pwds map[string]secret.Secret
	if w.Pwds != nil {
		pwds = make(map[string]secret.Secret, len(w.Pwds))
		for _, p := range w.Pwds {
			pwds[string(p.Role)] = secret.New(string(p.Pwd))
		}
	}
	return &ConfBasicInfoNotify{
		DisplayID:          string(w.DisplayID),
		Title:              string(w.Title),
		StartTime:          w.StartTime.Time(),
		Passwords:          pwds,
		RecType:            int(w.RecType),
		Media:              int(w.Media),
		Owner:              string(w.Owner),
		OwnerID:            string(w.OwnerID),
		UserType:           int(w.UserType),
		SupportWatermark:   int(w.SupportWatermark),
		ScheduledStartTime: w.ScheduledStartTime.Time(),
		GuestJoinURI:       string(w.GuestJoinURI),
		CallInRestriction:  int(w.CallInRestriction),
		ConfMode:           string(w.ConfMode),
		RealTimeSubtitle:   int(w.RealTimeSubtitle),
		OrgID:              string(w.OrgID),
		SupportWaitingRoom: bool(w.SupportWaitingRoom),
		Webinar:            bool(w.Webinar),

		AIRecType:                  int(w.AIRecType),
		AudienceCallInRestriction:  int(w.AudienceCallInRestriction),
		BignumMultiPicSwitch:       bool(w.BignumMultiPicSwitch),
		PartViewSwitch:             bool(w.PartViewSwitch),
		SimultaneousInterpretation: int(w.SimultaneousInterpretation),
		SupportCohost:              int(w.SupportCohost),
		SupportClientRecord:        int(w.SupportClientRecord),
		InviteShareSwitch:          bool(w.InviteShareSwitch),
		ConfPortalCapabilities:     string(w.ConfPortalCapabilities),
	}
}

// ---- ConfDynamicInfoNotify (fields at the top level) ----

type wireConfDynamic struct {
	wire.Envelope
	EndTime          wire.Time     `json:"endTime"`
	Mode             wire.String   `json:"mode"`
	State            wire.String   `json:"state"`
	VAS              wire.Int      `json:"vas"`
	Lock             wire.Int      `json:"lock"`
	Mute             wire.Int      `json:"mute"`
	LockSharing      wire.Int      `json:"lockSharing"`
	CanUnmute        wire.Int      `json:"canUnmute"`
	ChairView        wire.Int      `json:"chairView"`
	PicNum           wire.Int      `json:"picNum"`
	PartViewNum      wire.Int      `json:"partViewNum"`
	MaxPartViewNum   wire.Int      `json:"maxPartViewNum"`
	RecState         wire.Int      `json:"recState"`
	MultiPic         *wireMultiPic `json:"multiPic"`
	ConfIMGroupID    wire.String   `json:"confIMGroupId"`
	ForbiddenChat    wire.Int      `json:"forbiddenChat"`
	RecOccurred      wire.Int      `json:"recOccurred"`
	RealTimeSubtitle wire.Int      `json:"realTimeSubtitle"`

	// Sample-only (protocol §5.4): types read from the sample's values.
	AIRecState                 wire.IntOrBool    `json:"aiRecState"`
	EnableShareSetting         wire.IntOrBool    `json:"enableShareSetting"`
	CallInRestriction          wire.IntOrBool    `json:"callInRestriction"`
	AudienceCallInRestriction  wire.IntOrBool    `json:"audienceCallInRestriction"`
	AudienceTotalCount         wire.IntOrBool    `json:"audienceTotalCount"`
	SimultaneousInterpretation wire.IntOrBool    `json:"simultaneousInterpretation"`
	LanChannels                []json.RawMessage `json:"lanChannels"`
	AllowAudience              wire.Bool         `json:"allowAudience"`
	Pause                      wire.Bool         `json:"pause"`
	AudienceVideoLayout        wire.String       `json:"audienceVideoLayout"`
	ClientRecState             wire.IntOrBool    `json:"clientRecState"`
	ClientRecMode              wire.IntOrBool    `json:"clientRecMode"`
	WaitingRoomState           wire.IntOrBool    `json:"waitingRoomState"`
	ShowAudienceMode           wire.IntOrBool    `json:"showAudienceMode"`
	AudienceCountMultiple      wire.IntOrBool    `json:"audienceCountMultiple"`
	AudienceCountReal          wire.IntOrBool    `json:"audienceCountReal"`
}

type wireMultiPic struct {
	PicNum   wire.Int      `json:"picNum"`
	Period   wire.Int      `json:"period"`
	PicInfos []wirePicInfo `json:"picInfos"`
}

type wirePicInfo struct {
	Index wire.Int      `json:"index"`
	IDs   []wire.String `json:"id"`
	Share wire.Int      `json:"share"`
}

func (w *wireConfDynamic) payload() *ConfDynamicInfoNotify {
	var mp *MultiPic
	if w.MultiPic != nil {
		mp = &MultiPic{PicNum: int(w.MultiPic.PicNum), Period: int(w.MultiPic.Period)}
		if w.MultiPic.PicInfos != nil {
			mp.PicInfos = make([]PicInfo, len(w.MultiPic.PicInfos))
			for i, pi := range w.MultiPic.PicInfos {
				mp.PicInfos[i] = PicInfo{Index: int(pi.Index), IDs: strs(pi.IDs), Share: int(pi.Share)}
			}
		}
	}
	return &ConfDynamicInfoNotify{
		EndTime:          w.EndTime.Time(),
		Mode:             string(w.Mode),
		State:            string(w.State),
		VAS:              int(w.VAS),
		Lock:             int(w.Lock),
		Mute:             int(w.Mute),
		LockSharing:      int(w.LockSharing),
		CanUnmute:        int(w.CanUnmute),
		ChairView:        int(w.ChairView),
		PicNum:           int(w.PicNum),
		PartViewNum:      int(w.PartViewNum),
		MaxPartViewNum:   int(w.MaxPartViewNum),
		RecState:         int(w.RecState),
		MultiPic:         mp,
		ConfIMGroupID:    string(w.ConfIMGroupID),
		ForbiddenChat:    int(w.ForbiddenChat),
		RecOccurred:      int(w.RecOccurred),
		RealTimeSubtitle: int(w.RealTimeSubtitle),

		AIRecState:                 int(w.AIRecState),
		EnableShareSetting:         int(w.EnableShareSetting),
		CallInRestriction:          int(w.CallInRestriction),
		AudienceCallInRestriction:  int(w.AudienceCallInRestriction),
		AudienceTotalCount:         int(w.AudienceTotalCount),
		SimultaneousInterpretation: int(w.SimultaneousInterpretation),
		LanChannels:                compactRaw(w.LanChannels),
		AllowAudience:              bool(w.AllowAudience),
		Pause:                      bool(w.Pause),
		AudienceVideoLayout:        string(w.AudienceVideoLayout),
		ClientRecState:             int(w.ClientRecState),
		ClientRecMode:              int(w.ClientRecMode),
		WaitingRoomState:           int(w.WaitingRoomState),
		ShowAudienceMode:           int(w.ShowAudienceMode),
		AudienceCountMultiple:      int(w.AudienceCountMultiple),
		AudienceCountReal:          int(w.AudienceCountReal),
	}
}

// compactRaw returns the elements of an array nobody documents, each
// compacted, so that a payload does not depend on the sender's spacing.
// encoding/json has already copied and validated them; a null element
// stays null.
func compactRaw(in []json.RawMessage) []json.RawMessage {
	if in == nil {
		return nil
	}
	out := make([]json.RawMessage, len(in))
	for i, r := range in {
		var b bytes.Buffer
		if json.Compact(&b, r) != nil {
			b.Reset()
			b.WriteString("null") // unreachable: Unmarshal validated r
		}
		out[i] = b.Bytes()
	}
	return out
}

func strs(in []wire.String) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = string(s)
	}
	return out
}

// ---- AttendeesNotify ----

type wireAttendees struct {
	wire.Envelope
	Data []wireAttendee `json:"data"`
}

type wireAttendee struct {
	UserUUID      wire.String `json:"userUUID"`
	ParticipantID wire.String `json:"participantID"`
	Mode          wire.Int    `json:"mode"`
	Phone         wire.String `json:"phone"`
	Name          wire.String `json:"name"`
	AccountID     wire.String `json:"accountId"`
	Role          wire.Int    `json:"role"`
	Email         wire.String `json:"email"`
	SMS           wire.String `json:"sms"`
	IsMute        wire.Int    `json:"isMute"`
	IsAutoInvite  wire.Int    `json:"isAutoInvite"`
	Type          wire.String `json:"type"`
	Address       wire.String `json:"address"`
	DeptUUID      wire.String `json:"deptUUID"`
	DeptName      wire.String `json:"deptName"`
	OrgIDDoc      wire.String `json:"orgId"` // the table's spelling
	OrgID         wire.String `json:"orgID"` // the sample's spelling
	ThirdAccount  wire.String `json:"thirdAccount"`
	// Sample-only (protocol §5.6).
	HidePhone           wire.Bool `json:"hidePhone"`
	IsNotOverlayPidName wire.Bool `json:"isNotOverlayPidName"`
}

func (w *wireAttendees) payload() *AttendeesNotify {
	if w.Data == nil {
		return &AttendeesNotify{}
	}
	out := make([]Attendee, len(w.Data))
	for i := range w.Data {
		a := &w.Data[i]
		out[i] = Attendee{
			UserUUID:      string(a.UserUUID),
			ParticipantID: string(a.ParticipantID),
			Mode:          int(a.Mode),
			Phone:         string(a.Phone),
			Name:          string(a.Name),
			AccountID:     string(a.AccountID),
			Role:          int(a.Role),
			Email:         string(a.Email),
			SMS:           string(a.SMS),
			IsMute:        int(a.IsMute),
			IsAutoInvite:  int(a.IsAutoInvite),
			Type:          string(a.Type),
			Address:       string(a.Address),
			DeptUUID:      string(a.DeptUUID),
			DeptName:      string(a.DeptName),
			OrgID:         first(a.OrgIDDoc, a.OrgID),
			ThirdAccount:  string(a.ThirdAccount),

			HidePhone:           bool(a.HidePhone),
			IsNotOverlayPidName: bool(a.IsNotOverlayPidName),
		}
	}
	return &AttendeesNotify{Attendees: out}
}

// first returns the first non-empty of a and b.
func first(a, b wire.String) string {
	if a != "" {
		return string(a)
	}
	return string(b)
}

// ---- NetConditionNotify ----

type wireNetConditions struct {
	wire.Envelope
	Data []wireNetCondition `json:"data"`
}

type wireNetCondition struct {
	ParticipantID          wire.String `json:"participantID"`
	Mode                   wire.Int    `json:"mode"`
	NetInfo                wire.String `json:"netInfo"`
	Delay                  wire.String `json:"delay"`
	Jitter                 wire.String `json:"jitter"`
	OutJitter              wire.String `json:"outJitter"`
	AudioCodecType         wire.String `json:"audioCodecType"`
	VideoCodecType         wire.String `json:"videoCodecType"`
	FluxIn                 wire.String `json:"fluxIn"`
	FluxOut                wire.String `json:"fluxOut"`
	LostPacketRate         wire.String `json:"lostPacketRate"`
	AudioOutLossPacketRate wire.String `json:"audioOutLossPacketRate"`
	Bandwidth              wire.Int    `json:"bandwidth"`

	// Sample-only (protocol §5.8), strings like the audio fields.
	VideoInLossPacketRate        wire.String `json:"videoInLossPacketRate"`
	VideoOutLossPacketRate       wire.String `json:"videoOutLossPacketRate"`
	AssistVideoInLossPacketRate  wire.String `json:"assistVideoInLossPacketRate"`
	AssistVideoOutLossPacketRate wire.String `json:"assistVideoOutLossPacketRate"`
	VideoFluxIn                  wire.String `json:"videoFluxIn"`
	VideoFluxOut                 wire.String `json:"videoFluxOut"`
	AssistVideoFluxIn            wire.String `json:"assistVideoFluxIn"`
	AssistVideoFluxOut           wire.String `json:"assistVideoFluxOut"`
}

func (w *wireNetConditions) payload() *NetConditionNotify {
	if w.Data == nil {
		return &NetConditionNotify{}
	}
	out := make([]NetCondition, len(w.Data))
	for i := range w.Data {
		c := &w.Data[i]
		out[i] = NetCondition{
			ParticipantID:          string(c.ParticipantID),
			Mode:                   int(c.Mode),
			NetInfo:                string(c.NetInfo),
			Delay:                  string(c.Delay),
			Jitter:                 string(c.Jitter),
			OutJitter:              string(c.OutJitter),
			AudioCodecType:         string(c.AudioCodecType),
			VideoCodecType:         string(c.VideoCodecType),
			FluxIn:                 string(c.FluxIn),
			FluxOut:                string(c.FluxOut),
			LostPacketRate:         string(c.LostPacketRate),
			AudioOutLossPacketRate: string(c.AudioOutLossPacketRate),
			Bandwidth:              int64(c.Bandwidth),

			VideoInLossPacketRate:        string(c.VideoInLossPacketRate),
			VideoOutLossPacketRate:       string(c.VideoOutLossPacketRate),
			AssistVideoInLossPacketRate:  string(c.AssistVideoInLossPacketRate),
			AssistVideoOutLossPacketRate: string(c.AssistVideoOutLossPacketRate),
			VideoFluxIn:                  string(c.VideoFluxIn),
			VideoFluxOut:                 string(c.VideoFluxOut),
			AssistVideoFluxIn:            string(c.AssistVideoFluxIn),
			AssistVideoFluxOut:           string(c.AssistVideoFluxOut),
		}
	}
	return &NetConditionNotify{Conditions: out}
}

// ---- InviteResultNotify ----

type wireInviteResults struct {
	wire.Envelope
	Data []wireInviteResult `json:"data"`
}

type wireInviteResult struct {
	CallNumber wire.String `json:"callNumber"`
	ResultCode wire.String `json:"resultCode"` // the samples' key
	ErrorCode  wire.String `json:"errorCode"`  // the table's key
}

func (w *wireInviteResults) payload() *InviteResultNotify {
	if w.Data == nil {
		return &InviteResultNotify{}
	}
	out := make([]InviteResult, len(w.Data))
	for i, r := range w.Data {
		out[i] = InviteResult{CallNumber: string(r.CallNumber), Code: first(r.ResultCode, r.ErrorCode)}
	}
	return &InviteResultNotify{Results: out}
}

// ---- RealTimeSubtitleNotify ----

type wireSubtitle struct {
	wire.Envelope
	Data *wireSubtitleData `json:"data"`
}

type wireSubtitleData struct {
	Msgs          []wireSubtitleMsg `json:"msgs"`
	IsFinal       wire.Bool         `json:"isFinal"`
	Timestamp     wire.Time         `json:"timestamp"` // an instant
	BeginTime     wire.Millis       `json:"beginTime"` // offsets (§5.10)
	EndTime       wire.Millis       `json:"endTime"`
	ParticipantID wire.String       `json:"participantID"`
}

type wireSubtitleMsg struct {
	Lang wire.String `json:"subtitleLang"`
	Text wire.String `json:"translateText"`
	ID   wire.String `json:"id"`
}

func (w *wireSubtitle) payload() *RealTimeSubtitleNotify {
	d := w.Data
	if d == nil {
		return &RealTimeSubtitleNotify{}
	}
	var msgs []SubtitleMsg
	if d.Msgs != nil {
		msgs = make([]SubtitleMsg, len(d.Msgs))
		for i, m := range d.Msgs {
			msgs[i] = SubtitleMsg{Lang: string(m.Lang), Text: string(m.Text), ID: string(m.ID)}
		}
	}
	return &RealTimeSubtitleNotify{
		Msgs:          msgs,
		IsFinal:       bool(d.IsFinal),
		Timestamp:     d.Timestamp.Time(),
		BeginTime:     d.BeginTime.Duration(),
		EndTime:       d.EndTime.Duration(),
		ParticipantID: string(d.ParticipantID),
	}
}

// ---- InterpreterGroupNotify ----

// wireInterpreterGroups takes the group array from "data" (the table) or,
// when that is absent or null, from "interpreterGroups" (the sample).
type wireInterpreterGroups struct {
	wire.Envelope
	Data   []wireInterpreterGroup `json:"data"`
	Groups []wireInterpreterGroup `json:"interpreterGroups"`
}

type wireInterpreterGroup struct {
	GroupIDDoc     wire.String       `json:"groupId"` // the table's spelling
	GroupID        wire.String       `json:"groupID"` // the sample's spelling
	GroupName      wire.String       `json:"groupName"`
	FirstLanguage  wire.String       `json:"firstLanguage"`
	SecondLanguage wire.String       `json:"secondLanguage"`
	GroupType      wire.String       `json:"groupType"`
	Interpreters   []wireInterpreter `json:"interpreters"`
}

type wireInterpreter struct {
	LoginAccount    wire.String        `json:"loginAccount"`
	UserID          wire.String        `json:"userID"`
	CallNumber      wire.String        `json:"callNumber"`
	Name            wire.String        `json:"name"`
	InterpreterType wire.String        `json:"interpreterType"`
	InterpreterID   wire.String        `json:"interpreterId"`
	AIDigitalInfo   *wireAIDigitalInfo `json:"aiDigitalInfo"`
}

type wireAIDigitalInfo struct {
	Type                     wire.String `json:"type"`
	DigitalAccount           wire.String `json:"digitalAccount"`
	DigitalName              wire.String `json:"digitalName"`
	PresenterAccount         wire.String `json:"presenterAccount"`
	PresenterRealNameAccount wire.String `json:"presenterRealNameAccount"`
	PresenterName            wire.String `json:"presenterName"`
	PresenterUserID          wire.String `json:"presenterUserID"`
	LocalConfID              wire.String `json:"localConfId"`
}

func (w *wireAIDigitalInfo) info() *AIDigitalInfo {
	if w == nil {
		return nil
	}
	return &AIDigitalInfo{
		Type:                     string(w.Type),
		DigitalAccount:           string(w.DigitalAccount),
		DigitalName:              string(w.DigitalName),
		PresenterAccount:         string(w.PresenterAccount),
		PresenterRealNameAccount: string(w.PresenterRealNameAccount),
		PresenterName:            string(w.PresenterName),
		PresenterUserID:          string(w.PresenterUserID),
		LocalConfID:              string(w.LocalConfID),
	}
}

func (w *wireInterpreterGroups) payload() *InterpreterGroupNotify {
	src := w.Data
	if src == nil {
		src = w.Groups
	}
	if src == nil {
		return &InterpreterGroupNotify{}
	}
	out := make([]InterpreterGroup, len(src))
	for i := range src {
		g := &src[i]
		var its []Interpreter
		if g.Interpreters != nil {
			its = make([]Interpreter, len(g.Interpreters))
			for j, it := range g.Interpreters {
				its[j] = Interpreter{
					LoginAccount:    string(it.LoginAccount),
					UserID:          string(it.UserID),
					CallNumber:      string(it.CallNumber),
					Name:            string(it.Name),
					InterpreterType: string(it.InterpreterType),
					InterpreterID:   string(it.InterpreterID),
					AIDigitalInfo:   it.AIDigitalInfo.info(),
				}
			}
		}
		out[i] = InterpreterGroup{
			GroupID:        first(g.GroupIDDoc, g.GroupID),
			GroupName:      string(g.GroupName),
			FirstLanguage:  string(g.FirstLanguage),
			SecondLanguage: string(g.SecondLanguage),
			GroupType:      string(g.GroupType),
			Interpreters:   its,
		}
	}
	return &InterpreterGroupNotify{Groups: out}
}
