package events

import (
	"encoding/json"

	"github.com/confwatch/confwatch/secret"
)

// Wire structs: one per frame shape, decoded by a single json.Unmarshal
// call each. They carry the JSON tags and the lenient scalar types; the
// to* methods copy them into the exported payload types of payload.go.
//
// encoding/json matches keys case-insensitively (preferring an exact
// match), so key spellings that differ only in case (orgId/orgID,
// groupId/groupID, interpreterId/interpreterID) need no extra work; where
// both spellings may arrive in one object each has its own field.
//
// Slices keep their nil-ness (absent or null → nil, [] → empty), so that a
// decoded payload re-encodes to the same value.

// wireEnvelope holds the push envelope; "action" is found by findAction
// before decoding and is deliberately not a field here.
type wireEnvelope struct {
	Version    flexInt    `json:"version"`
	CreateTime flexTime   `json:"createTime"`
	MsgID      flexString `json:"msgID"`
	MsgMode    flexInt    `json:"msgMode"`
	ConfID     flexString `json:"confID"`
}

func (w *wireEnvelope) envelope(action string) Envelope {
	return Envelope{
		Action:     action,
		Version:    int64(w.Version),
		CreateTime: w.CreateTime.Time(),
		MsgID:      string(w.MsgID),
		Mode:       Mode(w.MsgMode),
		ConfID:     string(w.ConfID),
	}
}

// ---- ParticipantsNotify, WaitingListNotify (hot path: no Unmarshaler on
// strings or maps) ----

type wireParticipants struct {
	wireEnvelope
	Data []wireParticipant `json:"data"`
}

type wireParticipant struct {
	PID  string  `json:"pid"`
	Mode flexInt `json:"mode"`
	Info PInfo   `json:"pinfoMap"`
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

func (w *wireParticipants) toParticipants() *ParticipantsNotify {
	return &ParticipantsNotify{Participants: w.entries()}
}

func (w *wireParticipants) toWaitingList() *WaitingListNotify {
	return &WaitingListNotify{Members: w.entries()}
}

// ---- SpeakerChangeNotify (hot path) ----

type wireSpeakers struct {
	wireEnvelope
	Data []wireSpeaker `json:"data"`
}

type wireSpeaker struct {
	PID            string  `json:"pid"`
	Name           string  `json:"name"`
	SpeakingVolume flexInt `json:"speakingVolume"`
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
	wireEnvelope
	DisplayID          flexString `json:"displayID"`
	Title              flexString `json:"title"`
	StartTime          flexTime   `json:"startTime"`
	Pwds               []wirePwd  `json:"pwds"`
	RecType            flexInt    `json:"recType"`
	Media              flexInt    `json:"media"`
	Owner              flexString `json:"owner"`
	OwnerID            flexString `json:"ownerID"`
	UserType           flexInt    `json:"userType"`
	SupportWatermark   flexInt    `json:"supportWatermark"`
	ScheduledStartTime flexTime   `json:"scheduledStartTime"`
	GuestJoinURI       flexString `json:"guestJoinUri"`
	CallInRestriction  flexInt    `json:"callInRestriction"`
	ConfMode           flexString `json:"confMode"`
	RealTimeSubtitle   flexInt    `json:"realTimeSubtitle"`
	OrgID              flexString `json:"orgID"`
	SupportWaitingRoom flexBool   `json:"supportWaitingRoom"`
	Webinar            flexBool   `json:"webinar"`
}

// wirePwd's pwd is decoded as a flexString (digits may come as a number)
// and wrapped in a secret.Secret at once.
type wirePwd struct {
	Role flexString `json:"role"`
	Pwd  flexString `json:"pwd"`
}

func (w *wireConfBasic) payload() *ConfBasicInfoNotify {
	var pwds []ConfPassword
	if w.Pwds != nil {
		pwds = make([]ConfPassword, len(w.Pwds))
		for i, p := range w.Pwds {
			pwds[i] = ConfPassword{Role: string(p.Role), Pwd: secret.New(string(p.Pwd))}
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
	}
}

// ---- ConfDynamicInfoNotify (fields at the top level) ----

type wireConfDynamic struct {
	wireEnvelope
	EndTime          flexTime      `json:"endTime"`
	Mode             flexString    `json:"mode"`
	State            flexString    `json:"state"`
	VAS              flexInt       `json:"vas"`
	Lock             flexInt       `json:"lock"`
	Mute             flexInt       `json:"mute"`
	LockSharing      flexInt       `json:"lockSharing"`
	CanUnmute        flexInt       `json:"canUnmute"`
	ChairView        flexInt       `json:"chairView"`
	PicNum           flexInt       `json:"picNum"`
	PartViewNum      flexInt       `json:"partViewNum"`
	MaxPartViewNum   flexInt       `json:"maxPartViewNum"`
	RecState         flexInt       `json:"recState"`
	MultiPic         *wireMultiPic `json:"multiPic"`
	ConfIMGroupID    flexString    `json:"confIMGroupId"`
	ForbiddenChat    flexInt       `json:"forbiddenChat"`
	RecOccurred      flexInt       `json:"recOccurred"`
	RealTimeSubtitle flexInt       `json:"realTimeSubtitle"`
}

type wireMultiPic struct {
	PicNum   flexInt       `json:"picNum"`
	Period   flexInt       `json:"period"`
	PicInfos []wirePicInfo `json:"picInfos"`
}

type wirePicInfo struct {
	Index flexInt      `json:"index"`
	IDs   []flexString `json:"id"`
	Share flexInt      `json:"share"`
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
	}
}

func strs(in []flexString) []string {
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
	wireEnvelope
	Data []wireAttendee `json:"data"`
}

type wireAttendee struct {
	UserUUID      flexString `json:"userUUID"`
	ParticipantID flexString `json:"participantID"`
	Mode          flexInt    `json:"mode"`
	Phone         flexString `json:"phone"`
	Name          flexString `json:"name"`
	AccountID     flexString `json:"accountId"`
	Role          flexInt    `json:"role"`
	Email         flexString `json:"email"`
	SMS           flexString `json:"sms"`
	IsMute        flexInt    `json:"isMute"`
	IsAutoInvite  flexInt    `json:"isAutoInvite"`
	Type          flexString `json:"type"`
	Address       flexString `json:"address"`
	DeptUUID      flexString `json:"deptUUID"`
	DeptName      flexString `json:"deptName"`
	OrgIDDoc      flexString `json:"orgId"` // the table's spelling
	OrgID         flexString `json:"orgID"` // the sample's spelling
	ThirdAccount  flexString `json:"thirdAccount"`
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
		}
	}
	return &AttendeesNotify{Attendees: out}
}

// first returns the first non-empty of a and b.
func first(a, b flexString) string {
	if a != "" {
		return string(a)
	}
	return string(b)
}

// ---- NetConditionNotify ----

type wireNetConditions struct {
	wireEnvelope
	Data []wireNetCondition `json:"data"`
}

type wireNetCondition struct {
	ParticipantID          flexString `json:"participantID"`
	Mode                   flexInt    `json:"mode"`
	NetInfo                flexString `json:"netInfo"`
	Delay                  flexString `json:"delay"`
	Jitter                 flexString `json:"jitter"`
	OutJitter              flexString `json:"outJitter"`
	AudioCodecType         flexString `json:"audioCodecType"`
	VideoCodecType         flexString `json:"videoCodecType"`
	FluxIn                 flexString `json:"fluxIn"`
	FluxOut                flexString `json:"fluxOut"`
	LostPacketRate         flexString `json:"lostPacketRate"`
	AudioOutLossPacketRate flexString `json:"audioOutLossPacketRate"`
	Bandwidth              flexInt    `json:"bandwidth"`
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
		}
	}
	return &NetConditionNotify{Conditions: out}
}

// ---- InviteResultNotify ----

type wireInviteResults struct {
	wireEnvelope
	Data []wireInviteResult `json:"data"`
}

type wireInviteResult struct {
	CallNumber flexString `json:"callNumber"`
	ResultCode flexString `json:"resultCode"` // the samples' key
	ErrorCode  flexString `json:"errorCode"`  // the table's key
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
	wireEnvelope
	Data *wireSubtitleData `json:"data"`
}

type wireSubtitleData struct {
	Msgs          []wireSubtitleMsg `json:"msgs"`
	IsFinal       flexBool          `json:"isFinal"`
	Timestamp     flexTime          `json:"timestamp"`
	BeginTime     flexTime          `json:"beginTime"`
	EndTime       flexTime          `json:"endTime"`
	ParticipantID flexString        `json:"participantID"`
}

type wireSubtitleMsg struct {
	Lang flexString `json:"subtitleLang"`
	Text flexString `json:"translateText"`
	ID   flexString `json:"id"`
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
		BeginTime:     d.BeginTime.Time(),
		EndTime:       d.EndTime.Time(),
		ParticipantID: string(d.ParticipantID),
	}
}

// ---- InterpreterGroupNotify ----

// wireInterpreterGroups takes the group array from "data" (the table) or,
// when that is absent or null, from "interpreterGroups" (the sample).
type wireInterpreterGroups struct {
	wireEnvelope
	Data   []wireInterpreterGroup `json:"data"`
	Groups []wireInterpreterGroup `json:"interpreterGroups"`
}

type wireInterpreterGroup struct {
	GroupIDDoc     flexString        `json:"groupId"` // the table's spelling
	GroupID        flexString        `json:"groupID"` // the sample's spelling
	GroupName      flexString        `json:"groupName"`
	FirstLanguage  flexString        `json:"firstLanguage"`
	SecondLanguage flexString        `json:"secondLanguage"`
	GroupType      flexString        `json:"groupType"`
	Interpreters   []wireInterpreter `json:"interpreters"`
}

type wireInterpreter struct {
	LoginAccount    flexString `json:"loginAccount"`
	UserID          flexString `json:"userID"`
	CallNumber      flexString `json:"callNumber"`
	Name            flexString `json:"name"`
	InterpreterType flexString `json:"interpreterType"`
	InterpreterID   flexString `json:"interpreterId"`
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

// ---- Subscribe reply and HeartBeat echo ----

type wireSubscribeReply struct {
	Sequence flexString         `json:"sequence"`
	Data     *wireSubscribeData `json:"data"`
}

// wireSubscribeData is the reply's result object. The server sends an
// object; a JSON string holding the object (the way the client sends its
// Subscribe data) is accepted too.
type wireSubscribeData struct {
	ReturnCode *flexInt   `json:"returnCode"`
	ReturnDesc flexString `json:"returnDesc"`
}

type wireSubscribeDataObj wireSubscribeData

func (d *wireSubscribeData) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		s, ok := unquote(b)
		if !ok {
			return typeError(b, typeString)
		}
		inner := trimKeys([]byte(s))
		if i := skipSpace(inner, 0); i >= len(inner) || inner[i] != '{' {
			return typeError(b, typeString)
		}
		if err := json.Unmarshal(inner, (*wireSubscribeDataObj)(d)); err != nil {
			if _, ok := err.(*json.UnmarshalTypeError); ok {
				return err
			}
			return typeError(b, typeString) // a string, but not an object's JSON
		}
		return nil
	}
	return json.Unmarshal(b, (*wireSubscribeDataObj)(d))
}

type wireHeartBeat struct {
	Sequence flexString `json:"sequence"`
}
