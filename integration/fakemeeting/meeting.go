package fakemeeting

import (
	"fmt"
	"slices"
	"sort"
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

// meeting is the fake's own view of the meeting. Guarded by Server.mu.
type meeting struct {
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
		IsAutoInvite: a.IsAutoInvite, Type: a.Type, DeptUUID: a.DeptUUID, DeptName: a.DeptName,
		OrgID: a.OrgID, ThirdAccount: a.ThirdAccount,
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

// ---- frame building (caller holds s.mu) ----

// nextMsgID returns a 32-hex-char, UUID-v1-like message ID.
func (s *Server) nextMsgID() string {
	s.msgSeq++
	return fmt.Sprintf("%08x%04x11ef%s", uint32(s.msgSeq), uint16(s.msgSeq>>32), s.node)
}

func (s *Server) head(action string, mode int, version int64, now time.Time) wireHead {
	return wireHead{
		Action: action, Version: version, CreateTime: now.UnixMilli(),
		MsgID: s.nextMsgID(), MsgMode: mode, ConfID: s.cfg.ConferenceID,
	}
}

// nextVersion advances the per-meeting, per-type delta counter, skipping
// one number when SkipVersion asked for it.
func (s *Server) nextVersion(action string) int64 {
	if s.f.skip[action] {
		delete(s.f.skip, action)
		s.versions[action]++
	}
	s.versions[action]++
	return s.versions[action]
}

func (s *Server) sortedParticipants() []*participant {
	out := make([]*participant, 0, len(s.m.order))
	for _, pid := range s.m.order {
		out = append(out, s.m.parts[pid])
	}
	return out
}

// snapshotLocked builds the full (msgMode 0) frame of action; ok is false
// when the type has nothing to send (captions, interpreter groups) or is
// unknown.
func (s *Server) snapshotLocked(action string, now time.Time) (b []byte, ok bool) {
	ms := now.UnixMilli()
	h := s.head(action, modeFull, ms, now)
	m := &s.m
	switch action {
	case ConfBasicInfoNotify:
		start := itoa(m.startTime.UnixMilli())
		return mustJSON(wireBasicInfo{
			wireHead:  h,
			DisplayID: s.cfg.ConferenceID, Title: s.cfg.Title, StartTime: start,
			Pwds:    []wirePwd{{Role: "chair", Pwd: s.cfg.HostPassword}, {Role: "general", Pwd: s.cfg.GuestPassword}},
			RecType: 0, Media: 2, Owner: s.cfg.Owner, OwnerID: defaultOwnerID, UserType: 2,
			ScheduledStartTime: start,
			GuestJoinURI:       "https://meeting.huaweicloud.com/#/j/" + s.cfg.ConferenceID + "/" + s.guestKey,
			ConfMode:           "RTC", RealTimeSubtitle: 1,
		}), true
	case ConfDynamicInfoNotify:
		pics := []wirePicInfo{}
		for i, p := range s.sortedParticipants() {
			if i == 4 {
				break
			}
			pics = append(pics, wirePicInfo{Index: i + 1, ID: []string{p.info["TEL"]}, Share: 0})
		}
		return mustJSON(wireDynamicInfo{
			wireHead: h,
			EndTime:  itoa(m.endTime.UnixMilli()), Mode: m.mode, State: m.state,
			Lock: b01(m.lock), Mute: b01(m.muteAll), CanUnmute: b01(m.canUnmute), PicNum: 4, MaxPartViewNum: 8,
			RecState:      b01(m.rec),
			MultiPic:      wireMultiPic{PicNum: 4, Period: 10, PicInfos: pics},
			ConfIMGroupID: "im_" + s.cfg.ConferenceID + "_" + s.guestKey[:4],
			RecOccurred:   b01(m.recOcc), RealTimeSubtitle: b01(m.subtitle),
		}), true
	case ParticipantsNotify:
		data := make([]wireEntry, 0, len(m.order))
		for _, p := range s.sortedParticipants() {
			data = append(data, wireEntry{PID: p.pid, Mode: 0, PinfoMap: p.info})
		}
		return mustJSON(wireFrame{wireHead: h, Data: data}), true
	case AttendeesNotify:
		data := append([]wireAttendee{}, m.attendees...)
		return mustJSON(wireFrame{wireHead: h, Data: data}), true
	case SpeakerChangeNotify:
		f := wireFrame{wireHead: h}
		if len(m.speakers) > 0 {
			f.Data = m.speakers
		}
		return mustJSON(f), true
	case InviteResultNotify:
		return mustJSON(wireFrame{wireHead: h, Data: append([]wireInvite{}, m.invites...)}), true
	case WaitingListNotify:
		data := make([]wireEntry, 0, len(m.waitOrder))
		for _, pid := range m.waitOrder {
			data = append(data, wireEntry{PID: pid, Mode: 0, PinfoMap: m.waiting[pid].info})
		}
		return mustJSON(wireFrame{wireHead: h, Data: data}), true
	case NetConditionNotify:
		data := make([]wireNetCond, 0, len(m.netOrder))
		for _, pid := range m.netOrder {
			data = append(data, *m.netcond[pid])
		}
		return mustJSON(wireFrame{wireHead: h, Data: data}), true
	case RealTimeSubtitleNotify:
		if m.caption == nil {
			return nil, false
		}
		return mustJSON(wireSubtitleFrame{
			Action: action, Version: itoa(ms), CreateTime: itoa(ms), MsgID: h.MsgID,
			MsgMode: modeFull, ConfID: s.cfg.ConferenceID, Data: m.caption,
		}), true
	case InterpreterGroupNotify:
		if len(m.groups) == 0 {
			return nil, false
		}
		return mustJSON(wireFrame{wireHead: h, Data: m.groups}), true
	}
	return nil, false
}

// deltaFrame builds a msgMode 1 frame of action carrying data, with the
// next version number.
func (s *Server) deltaFrame(action string, data any, now time.Time) []byte {
	v := s.nextVersion(action)
	if action == RealTimeSubtitleNotify {
		h := s.head(action, modeDelta, v, now)
		return mustJSON(wireSubtitleFrame{
			Action: action, Version: itoa(v), CreateTime: itoa(h.CreateTime), MsgID: h.MsgID,
			MsgMode: modeDelta, ConfID: s.cfg.ConferenceID, Data: data.(*wireSubtitle),
		})
	}
	return mustJSON(wireFrame{wireHead: s.head(action, modeDelta, v, now), Data: data})
}

// pushDeltaLocked advances action's version and sends the delta to every
// socket subscribed to it. The frame is encoded only when someone listens;
// one-shot faults wait for a push that reaches at least one socket.
func (s *Server) pushDeltaLocked(action string, data any, now time.Time) {
	if s.subCount[action] == 0 {
		s.versions[action]++
		return
	}
	s.fanoutLocked(action, s.deltaFrame(action, data, now))
}

// pushFullLocked sends the whole state of a full-state type.
func (s *Server) pushFullLocked(action string, now time.Time) {
	if s.subCount[action] == 0 {
		return
	}
	if b, ok := s.snapshotLocked(action, now); ok {
		s.fanoutLocked(action, b)
	}
}

// fanoutLocked enqueues b to every socket subscribed to action, applying
// the one-shot DuplicateNext and ReorderNext faults.
func (s *Server) fanoutLocked(action string, b []byte) {
	send := func(b []byte) {
		f := &outFrame{kind: kindText, data: b} // shared, read-only
		for c := range s.conns {
			if c.subs[action] {
				s.enqueue(c, f)
			}
		}
	}
	if h, ok := s.f.held[action]; ok {
		delete(s.f.held, action)
		send(b)
		send(h)
		return
	}
	if s.f.reorder[action] {
		delete(s.f.reorder, action)
		s.f.held[action] = b
		return
	}
	if s.f.dup[action] {
		delete(s.f.dup, action)
		send(b)
	}
	send(b)
}

// speakersFor builds the speaker list (at most the three loudest).
func (s *Server) speakersFor(pids []string) ([]wireSpeaker, error) {
	if len(pids) > 3 {
		pids = pids[:3]
	}
	out := make([]wireSpeaker, 0, len(pids))
	for i, pid := range pids {
		p, ok := s.m.parts[pid]
		if !ok {
			return nil, fmt.Errorf("%w: %q", ErrUnknownParticipant, pid)
		}
		out = append(out, wireSpeaker{PID: pid, Name: p.info["NAME"], SpeakingVolume: 62 - 22*i})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].SpeakingVolume > out[j].SpeakingVolume })
	return out, nil
}

func (s *Server) netCondFor(pid, quality string, delayMs int) *wireNetCond {
	return &wireNetCond{
		ParticipantID: pid, NetInfo: quality, Delay: itoa(int64(delayMs)), Jitter: "3", OutJitter: "2",
		AudioCodecType: "AACLD", VideoCodecType: "H264HP", FluxIn: "3", FluxOut: "3",
		LostPacketRate: "0", AudioOutLossPacketRate: "0", VideoInLossPacketRate: "0",
		VideoOutLossPacketRate: "0", AssistVideoInLossPacketRate: "0", AssistVideoOutLossPacketRate: "0",
		VideoFluxIn: "8", VideoFluxOut: "11", AssistVideoFluxIn: "0", AssistVideoFluxOut: "0",
		Bandwidth: 61440,
	}
}
