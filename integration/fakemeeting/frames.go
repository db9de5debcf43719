package fakemeeting

// The fake's own wire encoding. It deliberately shares nothing with the
// events package, so that a bug in one side's reading of the protocol is
// not mirrored by the other side.

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Push type names (the action of every server push and the subscribeType
// strings).
const (
	ConfBasicInfoNotify    = "ConfBasicInfoNotify"
	ConfDynamicInfoNotify  = "ConfDynamicInfoNotify"
	ParticipantsNotify     = "ParticipantsNotify"
	AttendeesNotify        = "AttendeesNotify"
	SpeakerChangeNotify    = "SpeakerChangeNotify"
	InviteResultNotify     = "InviteResultNotify"
	WaitingListNotify      = "WaitingListNotify"
	NetConditionNotify     = "NetConditionNotify"
	RealTimeSubtitleNotify = "RealTimeSubtitleNotify"
	InterpreterGroupNotify = "InterpreterGroupNotify"
)

// NotifyTypes lists every push type the fake knows, in the order in which
// the snapshot burst after Subscribe is sent. It is also the token
// response's supportNotifyType.
var NotifyTypes = []string{
	ConfBasicInfoNotify, ConfDynamicInfoNotify, ParticipantsNotify, AttendeesNotify,
	SpeakerChangeNotify, InviteResultNotify, WaitingListNotify, NetConditionNotify,
	RealTimeSubtitleNotify, InterpreterGroupNotify,
}

const (
	modeFull  = 0
	modeDelta = 1
)

type wireHead struct {
	Action     string `json:"action"`
	Version    int64  `json:"version"`
	CreateTime int64  `json:"createTime"`
	MsgID      string `json:"msgID"`
	MsgMode    int    `json:"msgMode"`
	ConfID     string `json:"confID"`
}

type wireFrame struct {
	wireHead
	Data any `json:"data,omitempty"` // nil = no data key (SpeakerChangeNotify, nobody speaks)
}

// RealTimeSubtitleNotify declares version and createTime as strings.
type wireSubtitleFrame struct {
	Action     string        `json:"action"`
	Version    string        `json:"version"`
	CreateTime string        `json:"createTime"`
	MsgID      string        `json:"msgID"`
	MsgMode    int           `json:"msgMode"`
	ConfID     string        `json:"confID"`
	Data       *wireSubtitle `json:"data"`
}

type wireSubtitle struct {
	Msgs          []wireSubtitleMsg `json:"msgs"`
	IsFinal       bool              `json:"isFinal"`
	Timestamp     int64             `json:"timestamp"`
	BeginTime     int64             `json:"beginTime"`
	EndTime       int64             `json:"endTime"`
	ParticipantID string            `json:"participantID"`
}

type wireSubtitleMsg struct {
	SubtitleLang  string `json:"subtitleLang"`
	TranslateText string `json:"translateText"`
	ID            string `json:"id"`
}

type wirePwd struct {
	Role string `json:"role"`
	Pwd  string `json:"pwd"`
}

type wireBasicInfo struct {
	wireHead
	DisplayID          string    `json:"displayID"`
	Title              string    `json:"title"`
	StartTime          string    `json:"startTime"`
	Pwds               []wirePwd `json:"pwds"`
	RecType            int       `json:"recType"`
	Media              int       `json:"media"`
	Owner              string    `json:"owner"`
	OwnerID            string    `json:"ownerID"`
	UserType           int       `json:"userType"`
	SupportWatermark   int       `json:"supportWatermark"`
	ScheduledStartTime string    `json:"scheduledStartTime"`
	GuestJoinURI       string    `json:"guestJoinUri"`
	CallInRestriction  int       `json:"callInRestriction"`
	ConfMode           string    `json:"confMode"`
	RealTimeSubtitle   int       `json:"realTimeSubtitle"`

	// Not in the field table, but in the vendor's sample (protocol §5.3),
	// with the sample's JSON kinds.
	OrgID                      string `json:"orgID"`
	AIRecType                  int    `json:"aiRecType"`
	AudienceCallInRestriction  int    `json:"audienceCallInRestriction"`
	Webinar                    bool   `json:"webinar"`
	BignumMultiPicSwitch       bool   `json:"bignumMultiPicSwitch"`
	PartViewSwitch             bool   `json:"partViewSwitch"`
	SimultaneousInterpretation int    `json:"simultaneousInterpretation"`
	SupportCohost              int    `json:"supportCohost"`
	SupportClientRecord        int    `json:"supportClientRecord"`
	InviteShareSwitch          bool   `json:"inviteShareSwitch"`
	ConfPortalCapabilities     string `json:"confPortalCapabilities"`
	SupportWaitingRoom         bool   `json:"supportWaitingRoom"`
}

type wirePicInfo struct {
	Index int      `json:"index"`
	ID    []string `json:"id"`
	Share int      `json:"share"`
}

type wireMultiPic struct {
	PicNum   int           `json:"picNum"`
	Period   int           `json:"period"`
	PicInfos []wirePicInfo `json:"picInfos"`
}

type wireDynamicInfo struct {
	wireHead
	EndTime          string       `json:"endTime"`
	Mode             string       `json:"mode"`
	State            string       `json:"state"`
	Vas              int          `json:"vas"`
	Lock             int          `json:"lock"`
	Mute             int          `json:"mute"`
	LockSharing      int          `json:"lockSharing"`
	CanUnmute        int          `json:"canUnmute"`
	ChairView        int          `json:"chairView"`
	PicNum           int          `json:"picNum"`
	PartViewNum      int          `json:"partViewNum"`
	MaxPartViewNum   int          `json:"maxPartViewNum"`
	RecState         int          `json:"recState"`
	MultiPic         wireMultiPic `json:"multiPic"`
	ConfIMGroupID    string       `json:"confIMGroupId"`
	ForbiddenChat    int          `json:"forbiddenChat"`
	RecOccurred      int          `json:"recOccurred"`
	RealTimeSubtitle int          `json:"realTimeSubtitle"`

	// The sample-only fields (protocol §5.4), with the sample's JSON kinds.
	AIRecState                 int      `json:"aiRecState"`
	EnableShareSetting         int      `json:"enableShareSetting"`
	CallInRestriction          int      `json:"callInRestriction"`
	AudienceCallInRestriction  int      `json:"audienceCallInRestriction"`
	AudienceTotalCount         int      `json:"audienceTotalCount"`
	SimultaneousInterpretation int      `json:"simultaneousInterpretation"`
	LanChannels                []string `json:"lanChannels"`
	AllowAudience              bool     `json:"allowAudience"`
	Pause                      bool     `json:"pause"`
	AudienceVideoLayout        string   `json:"audienceVideoLayout"`
	ClientRecState             int      `json:"clientRecState"`
	ClientRecMode              int      `json:"clientRecMode"`
	WaitingRoomState           int      `json:"waitingRoomState"`
	ShowAudienceMode           int      `json:"showAudienceMode"`
	AudienceCountMultiple      int      `json:"audienceCountMultiple"`
	AudienceCountReal          int      `json:"audienceCountReal"`
}

// wireEntry is a ParticipantsNotify entry.
type wireEntry struct {
	PID      string            `json:"pid"`
	Mode     int               `json:"mode"`
	PinfoMap map[string]string `json:"pinfoMap"`
}

// wireWaitingEntry is a WaitingListNotify entry: the vendor's sample adds
// a DTO-level delType (protocol §5.11), whose meaning no page gives; the
// fake sends 0.
type wireWaitingEntry struct {
	PID      string            `json:"pid"`
	Mode     int               `json:"mode"`
	DelType  int               `json:"delType"`
	PinfoMap map[string]string `json:"pinfoMap"`
}

type wireAttendee struct {
	UserUUID      string `json:"userUUID"`
	ParticipantID string `json:"participantID"`
	Mode          int    `json:"mode"`
	Phone         string `json:"phone"`
	Name          string `json:"name"`
	AccountID     string `json:"accountId,omitempty"`
	Role          int    `json:"role"`
	Email         string `json:"email,omitempty"`
	SMS           string `json:"sms,omitempty"`
	IsMute        int    `json:"isMute"`
	IsAutoInvite  int    `json:"isAutoInvite"`
	Type          string `json:"type"`
	Address       string `json:"address"`
	DeptUUID      string `json:"deptUUID,omitempty"`
	DeptName      string `json:"deptName,omitempty"`
	OrgID         string `json:"orgID"` // the sample's spelling; the table's is orgId
	ThirdAccount  string `json:"thirdAccount,omitempty"`
	// Sample-only (protocol §5.6).
	HidePhone           bool `json:"hidePhone"`
	IsNotOverlayPidName bool `json:"isNotOverlayPidName"`
}

type wireSpeaker struct {
	PID            string `json:"pid"`
	Name           string `json:"name"`
	SpeakingVolume int    `json:"speakingVolume"`
}

type wireInvite struct {
	CallNumber string `json:"callNumber"`
	ResultCode string `json:"resultCode"`
}

type wireNetCond struct {
	ParticipantID                string `json:"participantID"`
	Mode                         int    `json:"mode"`
	NetInfo                      string `json:"netInfo"`
	Delay                        string `json:"delay"`
	Jitter                       string `json:"jitter"`
	OutJitter                    string `json:"outJitter"`
	AudioCodecType               string `json:"audioCodecType"`
	VideoCodecType               string `json:"videoCodecType"`
	FluxIn                       string `json:"fluxIn"`
	FluxOut                      string `json:"fluxOut"`
	LostPacketRate               string `json:"lostPacketRate"`
	AudioOutLossPacketRate       string `json:"audioOutLossPacketRate"`
	VideoInLossPacketRate        string `json:"videoInLossPacketRate"`
	VideoOutLossPacketRate       string `json:"videoOutLossPacketRate"`
	AssistVideoInLossPacketRate  string `json:"assistVideoInLossPacketRate"`
	AssistVideoOutLossPacketRate string `json:"assistVideoOutLossPacketRate"`
	VideoFluxIn                  string `json:"videoFluxIn"`
	VideoFluxOut                 string `json:"videoFluxOut"`
	AssistVideoFluxIn            string `json:"assistVideoFluxIn"`
	AssistVideoFluxOut           string `json:"assistVideoFluxOut"`
	Bandwidth                    int    `json:"bandwidth"`
}

type wireInterpreter struct {
	LoginAccount    string `json:"loginAccount"`
	UserID          string `json:"userID"`
	CallNumber      string `json:"callNumber"`
	Name            string `json:"name"`
	InterpreterType string `json:"interpreterType"`
}

type wireInterpreterGroup struct {
	GroupID        string            `json:"groupId"`
	GroupName      string            `json:"groupName"`
	FirstLanguage  string            `json:"firstLanguage"`
	SecondLanguage string            `json:"secondLanguage"`
	GroupType      string            `json:"groupType"`
	Interpreters   []wireInterpreter `json:"interpreters"`
}

type wireSubscribeReply struct {
	Action   string          `json:"action"`
	Sequence json.RawMessage `json:"sequence"`
	Data     struct {
		ReturnCode int    `json:"returnCode"`
		ReturnDesc string `json:"returnDesc"`
	} `json:"data"`
}

type wireHeartBeat struct {
	Sequence json.RawMessage `json:"sequence"`
	Action   string          `json:"action"`
}

// clientFrame is any client→server frame.
type clientFrame struct {
	Action   string          `json:"action"`
	Sequence json.RawMessage `json:"sequence"`
	Type     string          `json:"type"`
	Data     json.RawMessage `json:"data"`
}

// decodeData decodes a client frame's data, which the vendor samples send
// as a JSON-encoded string and the field table calls an object: both are
// accepted.
func decodeData(raw json.RawMessage, v any) error {
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return err
		}
		raw = json.RawMessage(s)
	}
	return json.Unmarshal(raw, v)
}

type subscribeData struct {
	ConferenceID  string   `json:"conferenceID"`
	SubscribeType []string `json:"subscribeType"`
	ConfToken     string   `json:"confToken"`
}

// confControlData is ConfControl's data. isSubtitle and subtitleType are
// integers in the field table but strings ("1", "0") in the vendor's own
// sample frame (protocol §4.3): both are accepted.
type confControlData struct {
	ConferenceID string   `json:"conferenceID"`
	ConfToken    string   `json:"confToken"`
	IsSubtitle   *flexInt `json:"isSubtitle"`
	SubtitleType flexInt  `json:"subtitleType"`
	SisProperty  string   `json:"sisProperty"`
	ID           []string `json:"id"`
}

// flexInt is an integer sent as a JSON number or as a string holding one.
type flexInt int

func (n *flexInt) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		b = []byte(strings.TrimSpace(s))
	}
	var v int
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("fakemeeting: not an integer: %w", err)
	}
	*n = flexInt(v)
	return nil
}

// Token endpoint response.
type wireTokenResponse struct {
	Data           wireTokenData `json:"data"`
	AddressToken   string        `json:"addressToken"`
	GloablPublicIP string        `json:"gloablPublicIP"`
}

type wireTokenData struct {
	Token               string   `json:"token"`
	TmpWsToken          string   `json:"tmpWsToken"`
	WsURL               string   `json:"wsURL"`
	Role                int      `json:"role"`
	ExpireTime          int64    `json:"expireTime"`
	UserID              string   `json:"userID"`
	OrgID               string   `json:"orgID"`
	ConfTokenExpireTime int64    `json:"confTokenExpireTime"`
	VmrCurrentConfID    string   `json:"vmrCurrentConfID"`
	SupportNotifyType   []string `json:"supportNotifyType"`
}

type wireError struct {
	ErrorCode string `json:"error_code"`
	ErrorMsg  string `json:"error_msg"`
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func b01(b bool) int {
	if b {
		return 1
	}
	return 0
}

func s01(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("fakemeeting: encoding frame: " + err.Error())
	}
	return b
}
