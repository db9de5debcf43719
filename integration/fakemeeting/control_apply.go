package fakemeeting

import (
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// What each control action does to the meeting and which pushes it sends
// (REST reference §5; the push effects are the reference's inferences).
// Every apply runs under Server.script, like a script call, so its pushes
// reach every socket in order. A "set" that changes nothing answers 200
// and pushes nothing (§5.6: whether the vendor still pushes is
// UNCONFIRMED). Batch actions are all-or-nothing (§5.10, UNCONFIRMED).

// More codes of the control actions, the fake's choices by name.
const (
	codeHostHand          = "MMC.111072069"
	codeNameEmpty         = "MMC.111072046"
	codeNameTooLong       = "MMC.111072047"
	codeWrongChairPwd     = "MMC.111072018"
	codeNoHost            = "MMC.111072059"
	codeHostNotCohost     = "MMC.111072107"
	codeAudienceNotCohost = "MMC.111072108"
	codeAudienceNotHost   = "MMC.111072213"

	// leaveByPortal is the leave reason the fake reports for a REST
	// hang-up (§5.3: which code the vendor sends is UNCONFIRMED).
	leaveByPortal = "11076016"
	// maxNameLen is the rename limit, taken from the push and invite
	// limits (§5.17: UNCONFIRMED).
	maxNameLen = 96
	// defaultProlong is ProlongMeeting's default duration in minutes.
	defaultProlong = 15
)

// onlineLocked returns every pid's participant, or 111072008 naming the
// first unknown one.
func (s *Server) onlineLocked(pids ...string) ([]*participant, error) {
	out := make([]*participant, 0, len(pids))
	for _, pid := range pids {
		p, ok := s.m.parts[pid]
		if !ok {
			return nil, refuse(CodeParticipantUnknown, "PARTICIPANT_NOT_EXIST: %s", pid)
		}
		out = append(out, p)
	}
	return out, nil
}

// setKeyLocked sets key to value on each participant whose value differs
// and pushes one ParticipantsNotify delta with those entries.
func (s *Server) setKeyLocked(ps []*participant, key, value string, now time.Time) {
	var data []wireEntry
	for _, p := range ps {
		if p.info[key] == value {
			continue
		}
		p.info[key] = value
		data = append(data, wireEntry{PID: p.pid, Mode: 0, PinfoMap: map[string]string{key: value}})
	}
	if len(data) > 0 {
		s.pushDeltaLocked(ParticipantsNotify, data, now)
	}
}

// setDynamicLocked pushes ConfDynamicInfoNotify when change reports that
// it changed something.
func (s *Server) setDynamicLocked(changed bool, now time.Time) {
	if changed {
		s.pushFullLocked(ConfDynamicInfoNotify, now)
	}
}

func (s *Server) realTimeInfo(_ *controlCall, _ time.Time) (any, error) {
	type part struct {
		PID   string `json:"pid"`
		Name  string `json:"name"`
		Phone string `json:"phone"`
		State int    `json:"state"`
		Video int    `json:"video"`
		Mute  int    `json:"mute"`
		Hand  int    `json:"hand"`
	}
	type att struct {
		AccountID string `json:"accountID"`
		UserUUID  string `json:"userUUID"`
		Name      string `json:"name"`
		Phone     string `json:"phone"`
	}
	parts, atts := []part{}, []att{}
	chair, cohosts := "", []string{}
	for _, p := range s.sortedParticipants() {
		state, _ := strconv.Atoi(p.info["STATE"])
		parts = append(parts, part{PID: p.pid, Name: p.info["NAME"], Phone: p.info["TEL"], State: state,
			Video: atoi01(p.info["VIDEO"]), Mute: atoi01(p.info["MUTE"]), Hand: atoi01(p.info["HAND"])})
		if p.info["ROLE"] == "1" && chair == "" {
			chair = p.pid
		}
		if p.info["IS_COHOST"] == "1" {
			cohosts = append(cohosts, p.pid)
		}
	}
	for _, a := range s.m.attendees {
		atts = append(atts, att{AccountID: a.AccountID, UserUUID: a.UserUUID, Name: a.Name, Phone: a.Phone})
	}
	return map[string]any{
		"attendees": atts, "participants": parts,
		"confInfo": map[string]any{"chairID": chair, "coHosts": cohosts},
	}, nil
}

func atoi01(v string) int {
	if v == "1" {
		return 1
	}
	return 0
}

func (s *Server) muteOne(c *controlCall, now time.Time) (any, error) {
	ps, err := s.onlineLocked(c.query.Get("participantID"))
	if err != nil {
		return nil, err
	}
	v, _ := c.int("isMute")
	s.setKeyLocked(ps, "MUTE", itoa(v), now)
	return nil, nil
}

// muteMeeting mutes or unmutes everyone but the host (§5.7: whether
// co-hosts are muted too is UNCONFIRMED; the fake mutes them).
func (s *Server) muteMeeting(c *controlCall, now time.Time) (any, error) {
	v, _ := c.int("isMute")
	muted := v == 1
	canUnmute := s.m.canUnmute
	if muted {
		canUnmute = true
		if allow, ok := c.int("allowUnmuteByOneself"); ok {
			canUnmute = allow == 1
		}
	}
	changed := s.m.muteAll != muted || s.m.canUnmute != canUnmute
	s.m.muteAll, s.m.canUnmute = muted, canUnmute
	s.setDynamicLocked(changed, now)
	var guests []*participant
	for _, p := range s.sortedParticipants() {
		if p.info["ROLE"] != "1" {
			guests = append(guests, p)
		}
	}
	s.setKeyLocked(guests, "MUTE", itoa(v), now)
	return nil, nil
}

func (s *Server) hand(c *controlCall, now time.Time) (any, error) {
	v, _ := c.int("handsState")
	return s.setHandsLocked([]string{c.query.Get("participantID")}, v, now)
}

func (s *Server) batchHand(c *controlCall, now time.Time) (any, error) {
	v, _ := c.int("handsState")
	return s.setHandsLocked(c.strings("pids"), v, now)
}

func (s *Server) setHandsLocked(pids []string, v int64, now time.Time) (any, error) {
	ps, err := s.onlineLocked(pids...)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		if p.info["ROLE"] == "1" {
			return nil, refuse(codeHostHand, "HOST_HAND_CANNOT_BE_SET")
		}
	}
	s.setKeyLocked(ps, "HAND", itoa(v), now)
	return nil, nil
}

func (s *Server) lockMeeting(c *controlCall, now time.Time) (any, error) {
	v, _ := c.int("isLock")
	changed := s.m.lock != (v == 1)
	s.m.lock = v == 1
	s.setDynamicLocked(changed, now)
	return nil, nil
}

// record starts or stops cloud recording; starting while recording
// answers 200 and pushes nothing (§5.16: UNCONFIRMED).
func (s *Server) record(c *controlCall, now time.Time) (any, error) {
	v, _ := c.int("isRecord")
	on := v == 1
	changed := s.m.rec != on
	s.m.rec = on
	if on {
		s.m.recOcc = true
	}
	s.setDynamicLocked(changed, now)
	return nil, nil
}

// prolong extends the meeting once (auto 0: endTime + duration minutes,
// pushed) or switches on automatic extension (auto 1: not visible).
func (s *Server) prolong(c *controlCall, now time.Time) (any, error) {
	auto, _ := c.int("auto")
	mins, ok := c.int("duration")
	if !ok {
		mins = defaultProlong
	}
	if mins <= 0 || mins > 24*60 {
		return nil, refuse(CodeSwitchOutOfRange, "duration must be 1 to 1440 minutes")
	}
	if auto == 1 {
		s.ctrl.autoExtend = true
		return nil, nil
	}
	s.m.endTime = s.m.endTime.Add(time.Duration(mins) * time.Minute)
	s.pushFullLocked(ConfDynamicInfoNotify, now)
	return nil, nil
}

// stopMeeting ends the meeting as End does: the Destroyed status, then a
// close frame on every socket.
func (s *Server) stopMeeting(_ *controlCall, now time.Time) (any, error) {
	s.m.state = StateDestroyed
	s.m.endTime = now
	s.pushFullLocked(ConfDynamicInfoNotify, now)
	for c := range s.conns {
		s.enqueue(c, &outFrame{kind: kindClose, code: closeEnded, reason: "meeting ended"})
	}
	return nil, nil
}

// rename renames an online participant (by participantID, or by number
// when no pid is given) or, failing that, an attendee by number (§5.17:
// renaming offline attendees is UNCONFIRMED).
func (s *Server) rename(c *controlCall, now time.Time) (any, error) {
	name, number := c.str("newName"), c.str("number")
	switch {
	case name == "":
		return nil, refuse(codeNameEmpty, "NAME_EMPTY")
	case utf8.RuneCountInString(name) > maxNameLen:
		return nil, refuse(codeNameTooLong, "NAME_TOO_LONG")
	}
	pid := c.str("participantID")
	if pid == "" {
		for _, p := range s.sortedParticipants() {
			if p.info["TEL"] == number {
				pid = p.pid
				break
			}
		}
	}
	if pid != "" {
		ps, err := s.onlineLocked(pid)
		if err != nil {
			return nil, err
		}
		s.setKeyLocked(ps, "NAME", name, now)
		return nil, nil
	}
	i := slices.IndexFunc(s.m.attendees, func(a wireAttendee) bool { return a.Phone == number })
	if i < 0 {
		return nil, refuse(CodeParticipantUnknown, "PARTICIPANT_NOT_EXIST: %s", number)
	}
	s.m.attendees[i].Name = name
	s.pushDeltaLocked(AttendeesNotify, []wireAttendee{s.m.attendees[i]}, now)
	return nil, nil
}

func (s *Server) setCohost(c *controlCall, now time.Time) (any, error) {
	ps, err := s.onlineLocked(c.query.Get("participantID"))
	if err != nil {
		return nil, err
	}
	switch ps[0].info["ROLE"] {
	case "1":
		return nil, refuse(codeHostNotCohost, "CHAIRMAN_CANNOT_BE_COHOST")
	case "2":
		return nil, refuse(codeAudienceNotCohost, "AUDIENCE_CANNOT_BE_COHOST")
	}
	v, _ := c.int("isCohost")
	s.setKeyLocked(ps, "IS_COHOST", itoa(v), now)
	return nil, nil
}

// setRole makes a participant host (applyChair 1: the previous host
// becomes ordinary, in the same push) or releases the host role
// (applyChair 0). A chairmanPwd, when sent, must be the host password;
// the fake's tokens are host tokens, so it may be left out (§5.5:
// UNCONFIRMED).
func (s *Server) setRole(c *controlCall, now time.Time) (any, error) {
	ps, err := s.onlineLocked(c.query.Get("participantID"))
	if err != nil {
		return nil, err
	}
	target := ps[0]
	if apply, _ := c.int("applyChair"); apply == 0 {
		if target.info["ROLE"] != "1" {
			return nil, refuse(codeNoHost, "CONF_HAS_NO_CHAIRMAN")
		}
		s.setKeyLocked(ps, "ROLE", "0", now)
		return nil, nil
	}
	if pwd, ok := c.body["chairmanPwd"].(string); ok && pwd != s.cfg.HostPassword {
		return nil, refuse(codeWrongChairPwd, "CHAIRMAN_PWD_ERROR")
	}
	if target.info["ROLE"] == "2" {
		return nil, refuse(codeAudienceNotHost, "AUDIENCE_CANNOT_BE_CHAIRMAN")
	}
	var data []wireEntry
	for _, p := range s.sortedParticipants() {
		if p != target && p.info["ROLE"] == "1" {
			p.info["ROLE"] = "0"
			data = append(data, wireEntry{PID: p.pid, PinfoMap: map[string]string{"ROLE": "0"}})
		}
	}
	if target.info["ROLE"] != "1" {
		target.info["ROLE"] = "1"
		data = append(data, wireEntry{PID: target.pid, PinfoMap: map[string]string{"ROLE": "1"}})
	}
	if len(data) > 0 {
		s.pushDeltaLocked(ParticipantsNotify, data, now)
	}
	return nil, nil
}
