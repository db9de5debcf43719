package fakemeeting

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Meeting is the script of the fake's meeting. Each method changes the
// fake's own view of the meeting (View) and pushes the matching frames to
// every socket subscribed to their type, in call order; a method that
// fails changes nothing. Get it from Server.Meeting; it is safe for
// concurrent use. After End the methods return ErrEnded, after Close
// ErrClosed.
type Meeting struct{ s *Server }

// script runs fn with the push order lock and the state lock held. Every
// script method goes through it, so each call's pushes reach every socket
// in call order.
func (s *Server) script(fn func(now time.Time) error) error {
	s.pushMu.Lock()
	defer s.pushMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.m.state == StateDestroyed {
		return ErrEnded
	}
	return fn(s.clk.Now())
}

func (s *Server) part(pid string) (*participant, error) {
	p, ok := s.m.parts[pid]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownParticipant, pid)
	}
	return p, nil
}

// Join adds participants (one ParticipantsNotify delta carrying their full
// pinfoMaps, mode 0) and returns their pids (generated where empty).
// Several people joined in one call travel in one frame; use it to build
// large meetings quickly.
func (m *Meeting) Join(people ...Person) ([]string, error) {
	s := m.s
	var pids []string
	err := s.script(func(now time.Time) error {
		for _, p := range people {
			if p.PID != "" {
				if _, ok := s.m.parts[p.PID]; ok {
					return fmt.Errorf("%w: %q", ErrDuplicate, p.PID)
				}
			}
		}
		data := make([]wireEntry, 0, len(people))
		for _, p := range people {
			np := s.newParticipant(p, now)
			s.m.parts[np.pid] = np
			s.m.order = append(s.m.order, np.pid)
			pids = append(pids, np.pid)
			data = append(data, wireEntry{PID: np.pid, Mode: 0, PinfoMap: copyInfo(np.info)})
		}
		s.pushDeltaLocked(ParticipantsNotify, data, now)
		return nil
	})
	return pids, err
}

// JoinOne is Join for one person, returning its pid.
func (m *Meeting) JoinOne(p Person) (string, error) {
	pids, err := m.Join(p)
	if err != nil {
		return "", err
	}
	return pids[0], nil
}

// Leave removes a participant (delta mode 1, empty pinfoMap). A leaving
// speaker also leaves the speaker list (SpeakerChangeNotify pushed) and a
// NetCondition entry is removed (NetConditionNotify mode 1).
func (m *Meeting) Leave(pid string) error {
	s := m.s
	return s.script(func(now time.Time) error {
		if _, err := s.part(pid); err != nil {
			return err
		}
		delete(s.m.parts, pid)
		s.m.order = removeString(s.m.order, pid)
		s.pushDeltaLocked(ParticipantsNotify, []wireEntry{{PID: pid, Mode: 1, PinfoMap: map[string]string{}}}, now)
		if i := slices.IndexFunc(s.m.speakers, func(sp wireSpeaker) bool { return sp.PID == pid }); i >= 0 {
			s.m.speakers = slices.Delete(slices.Clone(s.m.speakers), i, i+1)
			s.pushFullLocked(SpeakerChangeNotify, now)
		}
		if nc, ok := s.m.netcond[pid]; ok {
			delete(s.m.netcond, pid)
			s.m.netOrder = removeString(s.m.netOrder, pid)
			rm := *nc
			rm.Mode = 1
			s.pushDeltaLocked(NetConditionNotify, []wireNetCond{rm}, now)
		}
		return nil
	})
}

// Update changes pinfoMap keys of a participant and pushes exactly those
// keys as a delta. Keys equal to the current value are still sent.
func (m *Meeting) Update(pid string, changes map[string]string) error {
	s := m.s
	return s.script(func(now time.Time) error {
		return s.updateLocked(pid, changes, now)
	})
}

func (s *Server) updateLocked(pid string, changes map[string]string, now time.Time) error {
	p, err := s.part(pid)
	if err != nil {
		return err
	}
	delta := make(map[string]string, len(changes))
	for k, v := range changes {
		p.info[k] = v
		delta[k] = v
	}
	s.pushDeltaLocked(ParticipantsNotify, []wireEntry{{PID: pid, Mode: 0, PinfoMap: delta}}, now)
	return nil
}

// Rename sets NAME.
func (m *Meeting) Rename(pid, name string) error {
	return m.Update(pid, map[string]string{"NAME": name})
}

// RaiseHand sets HAND.
func (m *Meeting) RaiseHand(pid string, up bool) error {
	return m.Update(pid, map[string]string{"HAND": s01(up)})
}

// Mute sets MUTE.
func (m *Meeting) Mute(pid string, muted bool) error {
	return m.Update(pid, map[string]string{"MUTE": s01(muted)})
}

// Share sets SHARE.
func (m *Meeting) Share(pid string, sharing bool) error {
	return m.Update(pid, map[string]string{"SHARE": s01(sharing)})
}

// SetRole sets ROLE.
func (m *Meeting) SetRole(pid string, r Role) error {
	return m.Update(pid, map[string]string{"ROLE": itoa(int64(r))})
}

// Speakers sets the active speakers, loudest first (volumes 62, 40, 18)
// and pushes SpeakerChangeNotify as full state. At most the first three
// are kept (the vendor sends the three loudest). No pids = nobody speaks
// (a push without data).
func (m *Meeting) Speakers(pids ...string) error {
	s := m.s
	return s.script(func(now time.Time) error {
		sp, err := s.speakersFor(pids)
		if err != nil {
			return err
		}
		s.m.speakers = sp
		s.pushFullLocked(SpeakerChangeNotify, now)
		return nil
	})
}

func (s *Server) dynamic(fn func()) error {
	return s.script(func(now time.Time) error {
		fn()
		s.pushFullLocked(ConfDynamicInfoNotify, now)
		return nil
	})
}

// Lock sets the meeting lock (ConfDynamicInfoNotify lock, full state).
func (m *Meeting) Lock(on bool) error { return m.s.dynamic(func() { m.s.m.lock = on }) }

// Record sets recording (recState; recOccurred sticks at 1).
func (m *Meeting) Record(on bool) error {
	s := m.s
	return s.dynamic(func() {
		s.m.rec = on
		if on {
			s.m.recOcc = true
		}
	})
}

// WaitingRoom turns the waiting room on or off (ConfDynamicInfoNotify
// waitingRoomState, full state). It does not move anyone.
func (m *Meeting) WaitingRoom(on bool) error { return m.s.dynamic(func() { m.s.m.waitingRoom = on }) }

// Pause pauses or resumes the meeting (ConfDynamicInfoNotify pause).
func (m *Meeting) Pause(on bool) error { return m.s.dynamic(func() { m.s.m.paused = on }) }

// SetCallInRestriction sets who may dial in: 0 anyone, 2 enterprise users,
// 3 invited only (callInRestriction of ConfDynamicInfoNotify, pushed, and
// of later ConfBasicInfoNotify snapshots).
func (m *Meeting) SetCallInRestriction(n int) error {
	if n != 0 && n != 2 && n != 3 {
		return fmt.Errorf("fakemeeting: call-in restriction %d: want 0, 2 or 3", n)
	}
	return m.s.dynamic(func() { m.s.m.callIn = n })
}

// SetMode sets the meeting mode: FREE, FIXED, ROLLCALL, BROADCAST.
func (m *Meeting) SetMode(mode string) error { return m.s.dynamic(func() { m.s.m.mode = mode }) }

// InviteResult records the result of calling callNumber ("0" = success,
// or a leave reason such as "11076010") and pushes it as a delta.
func (m *Meeting) InviteResult(callNumber, code string) error {
	s := m.s
	return s.script(func(now time.Time) error {
		r := wireInvite{CallNumber: callNumber, ResultCode: code}
		if i := slices.IndexFunc(s.m.invites, func(w wireInvite) bool { return w.CallNumber == callNumber }); i >= 0 {
			s.m.invites[i] = r
		} else {
			s.m.invites = append(s.m.invites, r)
		}
		s.pushDeltaLocked(InviteResultNotify, []wireInvite{r}, now)
		return nil
	})
}

// WaitingRoomJoin puts a person in the waiting room (WaitingListNotify
// delta, WAITINGSTATE "0") and returns its pid.
func (m *Meeting) WaitingRoomJoin(p Person) (string, error) {
	s := m.s
	var pid string
	err := s.script(func(now time.Time) error {
		if p.PID != "" {
			if _, ok := s.m.waiting[p.PID]; ok {
				return fmt.Errorf("%w: %q", ErrDuplicate, p.PID)
			}
		}
		w := s.newWaiting(p, now)
		pid = w.pid
		s.m.waiting[pid] = w
		s.m.waitOrder = append(s.m.waitOrder, pid)
		s.pushDeltaLocked(WaitingListNotify, []wireEntry{{PID: pid, Mode: 0, PinfoMap: copyInfo(w.info)}}, now)
		return nil
	})
	return pid, err
}

// WaitingRoomAdmit admits a waiting member: WaitingListNotify delta with
// WAITINGSTATE "1", then the member joins (ParticipantsNotify delta, same
// pid and name), then the waiting entry is removed (mode 1).
func (m *Meeting) WaitingRoomAdmit(pid string) error {
	s := m.s
	return s.script(func(now time.Time) error {
		w, ok := s.m.waiting[pid]
		if !ok {
			return fmt.Errorf("%w: %q (waiting room)", ErrUnknownParticipant, pid)
		}
		if _, dup := s.m.parts[pid]; dup {
			return fmt.Errorf("%w: %q", ErrDuplicate, pid)
		}
		w.info["WAITINGSTATE"] = "1"
		s.pushDeltaLocked(WaitingListNotify, []wireEntry{{PID: pid, Mode: 0, PinfoMap: map[string]string{"WAITINGSTATE": "1"}}}, now)
		np := s.newParticipant(Person{
			PID: pid, Name: w.info["NAME"], Anonymous: w.info["ANONYMOUS"] == "1",
			LoginType: w.info["CLIENT_LOGIN_TYPE"], Account: w.info["ACCOUNT"], AccountID: w.info["ACCOUNT_ID"],
			OrgID: w.info["ORG_ID"], Tel: w.info["TEL"],
		}, now)
		s.m.parts[pid] = np
		s.m.order = append(s.m.order, pid)
		s.pushDeltaLocked(ParticipantsNotify, []wireEntry{{PID: pid, Mode: 0, PinfoMap: copyInfo(np.info)}}, now)
		delete(s.m.waiting, pid)
		s.m.waitOrder = removeString(s.m.waitOrder, pid)
		s.pushDeltaLocked(WaitingListNotify, []wireEntry{{PID: pid, Mode: 1, PinfoMap: map[string]string{}}}, now)
		return nil
	})
}

// WaitingRoomRemove removes a waiting member (delta mode 1).
func (m *Meeting) WaitingRoomRemove(pid string) error {
	s := m.s
	return s.script(func(now time.Time) error {
		if _, ok := s.m.waiting[pid]; !ok {
			return fmt.Errorf("%w: %q (waiting room)", ErrUnknownParticipant, pid)
		}
		delete(s.m.waiting, pid)
		s.m.waitOrder = removeString(s.m.waitOrder, pid)
		s.pushDeltaLocked(WaitingListNotify, []wireEntry{{PID: pid, Mode: 1, PinfoMap: map[string]string{}}}, now)
		return nil
	})
}

// AddAttendee adds a scheduled attendee (AttendeesNotify delta, mode 0).
func (m *Meeting) AddAttendee(a Attendee) error {
	s := m.s
	return s.script(func(now time.Time) error {
		w := toWireAttendee(a, s)
		s.m.attendees = append(s.m.attendees, w)
		s.pushDeltaLocked(AttendeesNotify, []wireAttendee{w}, now)
		return nil
	})
}

// NetCondition reports a participant's media quality (NetConditionNotify
// delta). quality is netInfo ("good", "normal", "bad").
func (m *Meeting) NetCondition(pid, quality string, delayMs int) error {
	s := m.s
	return s.script(func(now time.Time) error {
		if _, err := s.part(pid); err != nil {
			return err
		}
		nc := s.netCondFor(pid, quality, delayMs)
		if _, ok := s.m.netcond[pid]; !ok {
			s.m.netOrder = append(s.m.netOrder, pid)
		}
		s.m.netcond[pid] = nc
		s.pushDeltaLocked(NetConditionNotify, []wireNetCond{*nc}, now)
		return nil
	})
}

// Caption pushes a final live-caption sentence spoken by pid
// (RealTimeSubtitleNotify delta, version/createTime as strings). It does
// not require captions to be switched on. The sentence spans the 3 s
// before now; beginTime and endTime are ms offsets, as the vendor's sample
// sends them (protocol §5.10), counted from the meeting's start.
func (m *Meeting) Caption(pid, text string) error {
	s := m.s
	return s.script(func(now time.Time) error {
		s.m.captionN++
		offset := now.Sub(s.m.startTime).Milliseconds()
		c := &wireSubtitle{
			Msgs:    []wireSubtitleMsg{{SubtitleLang: "Original", TranslateText: text, ID: fmt.Sprintf("sub-%06d", s.m.captionN)}},
			IsFinal: true, Timestamp: now.UnixMilli(), ParticipantID: pid,
			BeginTime: max(0, offset-3000), EndTime: max(0, offset-100),
		}
		s.m.caption = c
		s.pushDeltaLocked(RealTimeSubtitleNotify, c, now)
		return nil
	})
}

// Start starts a NotStarted meeting (state Created; the token endpoint
// starts answering). It is a no-op on a running meeting.
func (m *Meeting) Start() error {
	s := m.s
	return s.script(func(now time.Time) error {
		if s.m.state == StateSchedule {
			s.m.state = StateCreated
			if s.cfg.StartTime.IsZero() {
				s.m.startTime = now
				s.m.endTime = now.Add(s.cfg.Duration)
			}
		}
		return nil
	})
}

// End ends the meeting: ConfDynamicInfoNotify with state "Destroyed"
// (full) to its subscribers, then a close frame (1000 "meeting ended") to
// every socket. Later token and wsToken calls answer MMC.111072006,
// upgrades are refused, and script calls return ErrEnded.
//
// End returns once every socket open at the call has been written those
// frames and closed: the client answered the close, or did not within a
// second. So Close right after End drops nobody mid-ending; and when ctx
// ends first, End returns its error but the ending goes on, and Close
// still gives those sockets up to two seconds to finish. A stalled fake
// (Faults.Stall) writes nothing, so End then waits for Stall(false), ctx
// or Close.
func (m *Meeting) End(ctx context.Context) error {
	s := m.s
	var gone []chan struct{}
	err := s.script(func(now time.Time) error {
		s.m.state = StateDestroyed
		s.m.endTime = now
		s.pushFullLocked(ConfDynamicInfoNotify, now)
		for c := range s.conns {
			c.ending = true
			s.enqueue(c, &outFrame{kind: kindClose, code: closeEnded, reason: "meeting ended"})
			gone = append(gone, c.gone)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, g := range gone {
		select {
		case <-g:
		case <-ctx.Done():
			return fmt.Errorf("fakemeeting: End: %w", ctx.Err())
		}
	}
	return nil
}
