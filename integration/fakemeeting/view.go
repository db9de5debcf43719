package fakemeeting

import "maps"

// View is the fake's own view of the meeting, for comparing with what a
// client reconstructed from the pushes.
type View struct {
	State     string // Schedule, Created, Destroyed
	Mode      string // FREE, FIXED, ROLLCALL, BROADCAST
	Locked    bool
	Recording bool
	// Subtitles is ConfDynamicInfoNotify realTimeSubtitle (captions on).
	Subtitles bool
	// WaitingRoomOn, Paused and CallInRestriction are
	// ConfDynamicInfoNotify waitingRoomState, pause and callInRestriction.
	WaitingRoomOn     bool
	Paused            bool
	CallInRestriction int
	// Participants maps pid to its full pinfoMap.
	Participants map[string]map[string]string
	// Order lists participant pids in join order.
	Order []string
	// Speakers lists the current speakers' pids, loudest first.
	Speakers []string
	// WaitingRoom maps pid to its waiting-room pinfoMap.
	WaitingRoom map[string]map[string]string
	// Attendees lists scheduled attendees (UserUUID filled in).
	Attendees []Attendee
	// InviteResults maps callNumber to its last result code.
	InviteResults map[string]string
	// CaptionRequests lists the ConfControl REALTIMESUBTITLE frames
	// received.
	CaptionRequests []CaptionRequest
	// Versions is the last delta version sent per push type.
	Versions map[string]int64
}

// View returns a deep copy of the fake's current meeting state.
func (m *Meeting) View() View {
	s := m.s
	s.mu.Lock()
	defer s.mu.Unlock()
	ms := &s.m
	v := View{
		State: ms.state, Mode: ms.mode, Locked: ms.lock, Recording: ms.rec, Subtitles: ms.subtitle,
		WaitingRoomOn: ms.waitingRoom, Paused: ms.paused, CallInRestriction: ms.callIn,
		Participants:    make(map[string]map[string]string, len(ms.parts)),
		Order:           append([]string(nil), ms.order...),
		WaitingRoom:     make(map[string]map[string]string, len(ms.waiting)),
		InviteResults:   map[string]string{},
		CaptionRequests: append([]CaptionRequest(nil), ms.capReqs...),
		Versions:        maps.Clone(s.versions),
	}
	for pid, p := range ms.parts {
		v.Participants[pid] = copyInfo(p.info)
	}
	for _, sp := range ms.speakers {
		v.Speakers = append(v.Speakers, sp.PID)
	}
	for pid, p := range ms.waiting {
		v.WaitingRoom[pid] = copyInfo(p.info)
	}
	for _, a := range ms.attendees {
		v.Attendees = append(v.Attendees, Attendee{
			UserUUID: a.UserUUID, ParticipantID: a.ParticipantID, Name: a.Name, Phone: a.Phone,
			AccountID: a.AccountID, Role: a.Role, Email: a.Email, SMS: a.SMS, IsMute: a.IsMute,
			IsAutoInvite: a.IsAutoInvite, Type: a.Type, DeptUUID: a.DeptUUID, DeptName: a.DeptName,
			OrgID: a.OrgID, ThirdAccount: a.ThirdAccount, Address: a.Address, HidePhone: a.HidePhone,
		})
	}
	for _, inv := range ms.invites {
		v.InviteResults[inv.CallNumber] = inv.ResultCode
	}
	return v
}
