package fakemeeting

import (
	"fmt"
	"slices"
	"time"
)

// Meeting states (ConfDynamicInfoNotify state).
const (
	StateSchedule  = "Schedule"
	StateCreated   = "Created"
	StateDestroyed = "Destroyed"
)

// Meeting modes (ConfDynamicInfoNotify mode).
const (
	ModeFree      = "FREE"
	ModeFixed     = "FIXED"
	ModeRollcall  = "ROLLCALL"
	ModeBroadcast = "BROADCAST"
)

const (
	defaultOrgID   = "61037"
	defaultOwnerID = "8a5c1f0e3b7d4c2a9e6f1b0d7c3a5e21"
)

type participant struct {
	pid  string
	seq  int64
	info map[string]string
}

// meetingState is the fake's own view of the meeting. Guarded by
// Server.mu.
type meetingState struct {
	state     string
	startTime time.Time
	endTime   time.Time
	mode      string
	lock      bool
	muteAll   bool // all-mute (ConfDynamicInfoNotify mute)
	canUnmute bool // under all-mute, may guests unmute themselves
	rec       bool
	recOcc    bool
	subtitle  bool
	// The sample-only switches of ConfDynamicInfoNotify (protocol §5.4).
	waitingRoom bool // waitingRoomState
	paused      bool // pause
	callIn      int  // callInRestriction: 0 anyone, 2 enterprise users, 3 invited only

	parts     map[string]*participant
	order     []string // pids in join order
	joinSeq   int64
	speakers  []wireSpeaker
	invites   []wireInvite
	waiting   map[string]*participant
	waitOrder []string
	attendees []wireAttendee
	netcond   map[string]*wireNetCond
	netOrder  []string
	caption   *wireSubtitle // last caption, for the snapshot
	captionN  int
	groups    []wireInterpreterGroup
	capReqs   []CaptionRequest
}

// CaptionRequest records a ConfControl REALTIMESUBTITLE frame a client sent.
type CaptionRequest struct {
	IsSubtitle   int // 1 start (also when absent), 0 stop
	SubtitleType int
	SisProperty  string
	IDs          []string
	At           time.Time
}

func removeString(s []string, v string) []string {
	if i := slices.Index(s, v); i >= 0 {
		return slices.Delete(s, i, i+1)
	}
	return s
}

const pidAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// randPID returns a 32-char lowercase alphanumeric ID like the samples'.
// Caller holds s.mu.
func (s *Server) randPID() string {
	b := make([]byte, 32)
	for i := range b {
		b[i] = pidAlphabet[s.rng.IntN(len(pidAlphabet))]
	}
	return string(b)
}

func (s *Server) randHex(n int) string {
	const hexd = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = hexd[s.rng.IntN(16)]
	}
	return string(b)
}

// newParticipant builds a complete pinfoMap with every documented key plus
// the sample-only ones. Caller holds s.mu.
func (s *Server) newParticipant(p Person, now time.Time) *participant {
	m := &s.m
	m.joinSeq++
	n := m.joinSeq
	pid := p.PID
	if pid == "" {
		pid = s.randPID()
	}
	name := p.Name
	if name == "" {
		name = fmt.Sprintf("Participant %d", n)
	}
	tel := p.Tel
	if tel == "" {
		tel = fmt.Sprintf("+99111283746%06d", n)
	}
	account := p.Account
	if account == "" && !p.Anonymous {
		account = fmt.Sprintf("user%d", n)
	}
	accountID := p.AccountID
	if accountID == "" && !p.Anonymous {
		accountID = s.randHex(32)
	}
	org := p.OrgID
	if org == "" && !p.Anonymous {
		org = defaultOrgID
	}
	lt := p.LoginType
	if lt == "" {
		lt = "Desktop"
	}
	info := map[string]string{
		"NAME":                name,
		"TEL":                 tel,
		"ROLE":                itoa(int64(p.Role)),
		"STATE":               "0",
		"HAND":                s01(p.Hand),
		"BROADCAST":           "0",
		"ROLLCALL":            "0",
		"SHARE":               s01(p.Sharing),
		"ADDTIME":             itoa(now.UnixMilli()),
		"MUTE":                s01(p.Muted),
		"VIDEO":               s01(p.Video),
		"M":                   "1",
		"T":                   itoa(n),
		"ANONYMOUS":           s01(p.Anonymous),
		"LOCALREC":            "0",
		"CLIENT_LOGIN_TYPE":   lt,
		"VIEW_TYPE":           "0",
		"CAMERASTATE":         s01(p.Video),
		"ACCOUNT":             account,
		"ACCOUNT_ID":          accountID,
		"ORG_ID":              org,
		"THIRDACCOUNT":        account,
		"IS_COHOST":           s01(p.Cohost),
		"IS_SVC":              "0",
		"LOCKED_VIEW":         "0",
		"ALLOW_CLIENT_REC":    "0",
		"CLIENT_REC_STATE":    "0",
		"CLIENT_CAPABILITIES": "1,3",
		"ROLE_SWITCH_OVER":    "0",
		"INVITE_SHARE_STATE":  "0",
		"RTC_USER_ID":         pid,
	}
	for k, v := range p.Extra {
		info[k] = v
	}
	return &participant{pid: pid, seq: n, info: info}
}

// waitingInfo builds a waiting-room pinfoMap.
func (s *Server) newWaiting(p Person, now time.Time) *participant {
	full := s.newParticipant(p, now)
	info := map[string]string{
		"WAITINGSTATE": "0",
	}
	for _, k := range []string{"NAME", "ADDTIME", "ANONYMOUS", "CLIENT_LOGIN_TYPE", "ORG_ID", "ACCOUNT_ID", "ACCOUNT", "THIRDACCOUNT", "TEL"} {
		info[k] = full.info[k]
	}
	for k, v := range p.Extra {
		info[k] = v
	}
	return &participant{pid: full.pid, seq: full.seq, info: info}
}

func copyInfo(m map[string]string) map[string]string {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func toWireAttendee(a Attendee, s *Server) wireAttendee {
	if a.UserUUID == "" {
		a.UserUUID = s.randHex(32)
	}
	if a.Type == "" {
		a.Type = "normal"
	}
	if a.OrgID == "" {
		a.OrgID = defaultOrgID
	}
	return wireAttendee{
		UserUUID: a.UserUUID, ParticipantID: a.ParticipantID, Phone: a.Phone, Name: a.Name,
		AccountID: a.AccountID, Role: a.Role, Email: a.Email, SMS: a.SMS, IsMute: a.IsMute,
		IsAutoInvite: a.IsAutoInvite, Type: a.Type, Address: a.Address, DeptUUID: a.DeptUUID, DeptName: a.DeptName,
		OrgID: a.OrgID, ThirdAccount: a.ThirdAccount, HidePhone: a.HidePhone,
	}
}

func toWireGroup(g InterpreterGroup) wireInterpreterGroup {
	w := wireInterpreterGroup{
		GroupID: g.GroupID, GroupName: g.GroupName, FirstLanguage: g.FirstLanguage,
		SecondLanguage: g.SecondLanguage, GroupType: g.GroupType, Interpreters: []wireInterpreter{},
	}
	if w.GroupType == "" {
		w.GroupType = "MANUAL"
	}
	for _, i := range g.Interpreters {
		t := i.InterpreterType
		if t == "" {
			t = "MANUAL"
		}
		w.Interpreters = append(w.Interpreters, wireInterpreter{
			LoginAccount: i.LoginAccount, UserID: i.UserID, CallNumber: i.CallNumber, Name: i.Name, InterpreterType: t,
		})
	}
	return w
}
