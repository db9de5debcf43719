package fakemeeting

import (
	"encoding/json"
	"slices"
	"time"
	"unicode/utf8"
)

// The control actions that change who is in the meeting or in its
// waiting room. Like the script's Leave and WaitingRoomAdmit, but under a
// lock the caller already holds.

// inviteTypes are the attendee types InviteParticipant accepts (§5.2).
var inviteTypes = []string{"normal", "terminal", "outside", "mobile", "ideahub", "board", "hwvision"}

// dropLocked removes online participants in one ParticipantsNotify delta,
// and from the speakers and net conditions as Leave does.
func (s *Server) dropLocked(pids []string, now time.Time) {
	data := make([]wireEntry, 0, len(pids))
	speakers := len(s.m.speakers)
	for _, pid := range pids {
		delete(s.m.parts, pid)
		s.m.order = removeString(s.m.order, pid)
		data = append(data, wireEntry{PID: pid, Mode: 1, PinfoMap: map[string]string{}})
		s.m.speakers = slices.DeleteFunc(slices.Clone(s.m.speakers), func(sp wireSpeaker) bool { return sp.PID == pid })
	}
	s.pushDeltaLocked(ParticipantsNotify, data, now)
	if len(s.m.speakers) != speakers {
		s.pushFullLocked(SpeakerChangeNotify, now)
	}
	var gone []wireNetCond
	for _, pid := range pids {
		if nc, ok := s.m.netcond[pid]; ok {
			delete(s.m.netcond, pid)
			s.m.netOrder = removeString(s.m.netOrder, pid)
			rm := *nc
			rm.Mode = 1
			gone = append(gone, rm)
		}
	}
	if len(gone) > 0 {
		s.pushDeltaLocked(NetConditionNotify, gone, now)
	}
}

// hangUp disconnects participants: removed from the roster, and an
// InviteResultNotify with the portal's leave reason for each. They stay
// attendees (§5.3).
func (s *Server) hangUp(c *controlCall, now time.Time) (any, error) {
	pids := c.strings("bulkHangUpParticipants")
	ps, err := s.onlineLocked(pids...)
	if err != nil {
		return nil, err
	}
	results := make([]wireInvite, 0, len(ps))
	for _, p := range ps {
		results = append(results, s.inviteResultLocked(p.info["TEL"], leaveByPortal))
	}
	s.dropLocked(pids, now)
	s.pushDeltaLocked(InviteResultNotify, results, now)
	return nil, nil
}

func (s *Server) inviteResultLocked(number, code string) wireInvite {
	r := wireInvite{CallNumber: number, ResultCode: code}
	if i := slices.IndexFunc(s.m.invites, func(w wireInvite) bool { return w.CallNumber == number }); i >= 0 {
		s.m.invites[i] = r
	} else {
		s.m.invites = append(s.m.invites, r)
	}
	return r
}

// invite calls people in: each becomes an attendee (AttendeesNotify),
// joins ringing (ParticipantsNotify STATE "1"), answers (STATE "0"), and
// the call's result "0" follows (InviteResultNotify). Every callee
// answers at once; InviteResult and Leave script the other outcomes.
func (s *Server) invite(c *controlCall, now time.Time) (any, error) {
	entries := c.objects("attendees")
	for _, a := range entries {
		name, phone, typ := a["name"].(string), a["phone"].(string), a["type"].(string)
		switch {
		case name == "" || utf8.RuneCountInString(name) > maxNameLen:
			return nil, refuse(CodeBadRequest, "attendees[].name must be 1 to 96 characters")
		case phone == "" || utf8.RuneCountInString(phone) > 127:
			return nil, refuse(CodeBadRequest, "attendees[].phone must be 1 to 127 characters")
		case !slices.Contains(inviteTypes, typ):
			return nil, refuse(CodeBadRequest, "attendees[].type %q is not one of %v", typ, inviteTypes)
		}
	}
	var atts []wireAttendee
	var ringing, answered []wireEntry
	var results []wireInvite
	for _, a := range entries {
		r := int64(0)
		if n, ok := a["role"].(json.Number); ok {
			r, _ = n.Int64()
		}
		w := toWireAttendee(Attendee{Name: a["name"].(string), Phone: a["phone"].(string), Type: a["type"].(string), Role: int(r),
			AccountID: str(a["accountId"]), UserUUID: str(a["userUUID"]), DeptName: str(a["deptName"]), DeptUUID: str(a["deptUUID"])}, s)
		np := s.newParticipant(Person{Name: w.Name, Tel: w.Phone, Role: Role(r)}, now)
		w.ParticipantID = np.pid
		s.m.attendees = append(s.m.attendees, w)
		s.m.parts[np.pid] = np
		s.m.order = append(s.m.order, np.pid)
		ring := copyInfo(np.info)
		ring["STATE"] = "1"
		atts = append(atts, w)
		ringing = append(ringing, wireEntry{PID: np.pid, PinfoMap: ring})
		answered = append(answered, wireEntry{PID: np.pid, PinfoMap: map[string]string{"STATE": "0"}})
		results = append(results, s.inviteResultLocked(w.Phone, "0"))
	}
	s.pushDeltaLocked(AttendeesNotify, atts, now)
	s.pushDeltaLocked(ParticipantsNotify, ringing, now)
	s.pushDeltaLocked(ParticipantsNotify, answered, now)
	s.pushDeltaLocked(InviteResultNotify, results, now)
	return nil, nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// admit lets one waiting member in (participantID) or everyone
// (allowAll). An unknown pid is 111072008 (§5.21: whether re-admitting is
// an error is UNCONFIRMED); allowAll on an empty room is 200. The member
// keeps its pid (UNCONFIRMED).
func (s *Server) admit(c *controlCall, now time.Time) (any, error) {
	pid := c.str("participantID")
	var pids []string
	switch {
	case c.bool("allowAll"):
		pids = slices.Clone(s.m.waitOrder)
	case pid == "":
		return nil, refuse(CodeBadRequest, "participantID or allowAll is required")
	default:
		if _, ok := s.m.waiting[pid]; !ok {
			return nil, refuse(CodeParticipantUnknown, "PARTICIPANT_NOT_EXIST: %s", pid)
		}
		pids = []string{pid}
	}
	if len(pids) == 0 {
		return nil, nil
	}
	var admitted, joined, removed []wireEntry
	for _, pid := range pids {
		w := s.m.waiting[pid]
		w.info["WAITINGSTATE"] = "1"
		admitted = append(admitted, wireEntry{PID: pid, PinfoMap: map[string]string{"WAITINGSTATE": "1"}})
		if _, dup := s.m.parts[pid]; !dup {
			np := s.newParticipant(Person{
				PID: pid, Name: w.info["NAME"], Anonymous: w.info["ANONYMOUS"] == "1",
				LoginType: w.info["CLIENT_LOGIN_TYPE"], Account: w.info["ACCOUNT"], AccountID: w.info["ACCOUNT_ID"],
				OrgID: w.info["ORG_ID"], Tel: w.info["TEL"],
			}, now)
			s.m.parts[pid] = np
			s.m.order = append(s.m.order, pid)
			joined = append(joined, wireEntry{PID: pid, PinfoMap: copyInfo(np.info)})
		}
		delete(s.m.waiting, pid)
		s.m.waitOrder = removeString(s.m.waitOrder, pid)
		removed = append(removed, wireEntry{PID: pid, Mode: 1, PinfoMap: map[string]string{}})
	}
	s.pushDeltaLocked(WaitingListNotify, admitted, now)
	if len(joined) > 0 {
		s.pushDeltaLocked(ParticipantsNotify, joined, now)
	}
	s.pushDeltaLocked(WaitingListNotify, removed, now)
	return nil, nil
}

func (s *Server) moveToWaiting(c *controlCall, now time.Time) (any, error) {
	return s.moveLocked([]string{c.str("participantID")}, now)
}

func (s *Server) batchMoveToWaiting(c *controlCall, now time.Time) (any, error) {
	return s.moveLocked(c.strings("batchParticipants"), now)
}

// moveLocked sends online participants to the waiting room: removed from
// the roster, then waiting (WAITINGSTATE "0") under the same pid. The host
// cannot be moved.
func (s *Server) moveLocked(pids []string, now time.Time) (any, error) {
	ps, err := s.onlineLocked(pids...)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		if p.info["ROLE"] == "1" {
			return nil, refuse(CodeBadRequest, "the host cannot be moved to the waiting room")
		}
	}
	var waiting []wireEntry
	for _, p := range ps {
		info := map[string]string{"WAITINGSTATE": "0", "ADDTIME": itoa(now.UnixMilli())}
		for _, k := range []string{"NAME", "ANONYMOUS", "CLIENT_LOGIN_TYPE", "ORG_ID", "ACCOUNT_ID", "ACCOUNT", "THIRDACCOUNT", "TEL"} {
			info[k] = p.info[k]
		}
		s.m.waiting[p.pid] = &participant{pid: p.pid, seq: p.seq, info: info}
		s.m.waitOrder = append(s.m.waitOrder, p.pid)
		waiting = append(waiting, wireEntry{PID: p.pid, PinfoMap: copyInfo(info)})
	}
	s.dropLocked(pids, now)
	s.pushDeltaLocked(WaitingListNotify, waiting, now)
	return nil, nil
}
