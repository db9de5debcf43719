package fakemeeting

// Building frames from the meeting's state and fanning them out to the
// subscribed sockets. Every function here runs with s.mu held.

import (
	"fmt"
	"sort"
	"time"
)

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
			ConfMode:           "RTC", RealTimeSubtitle: 1, CallInRestriction: m.callIn,
			OrgID: defaultOrgID, PartViewSwitch: true, SupportCohost: 1, SupportClientRecord: 1,
			InviteShareSwitch: true, ConfPortalCapabilities: "1,3,5", SupportWaitingRoom: true,
		}), true
	case ConfDynamicInfoNotify:
		return s.dynamicInfoLocked(h), true
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
		data := make([]wireWaitingEntry, 0, len(m.waitOrder))
		for _, pid := range m.waitOrder {
			data = append(data, wireWaitingEntry{PID: pid, Mode: 0, PinfoMap: m.waiting[pid].info})
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

// dynamicInfoLocked builds the ConfDynamicInfoNotify snapshot, the
// sample-only fields included: the audience count is the number of
// audience-role participants.
func (s *Server) dynamicInfoLocked(h wireHead) []byte {
	m := &s.m
	pics := []wirePicInfo{}
	audience := 0
	for i, p := range s.sortedParticipants() {
		if p.info["ROLE"] == itoa(int64(RoleAudience)) {
			audience++
		}
		if i < 4 {
			pics = append(pics, wirePicInfo{Index: i + 1, ID: []string{p.info["TEL"]}, Share: 0})
		}
	}
	return mustJSON(wireDynamicInfo{
		wireHead: h,
		EndTime:  itoa(m.endTime.UnixMilli()), Mode: m.mode, State: m.state,
		Lock: b01(m.lock), Mute: b01(m.muteAll), CanUnmute: b01(m.canUnmute), PicNum: 4, MaxPartViewNum: 8,
		RecState:      b01(m.rec),
		MultiPic:      wireMultiPic{PicNum: 4, Period: 10, PicInfos: pics},
		ConfIMGroupID: "im_" + s.cfg.ConferenceID + "_" + s.guestKey[:4],
		RecOccurred:   b01(m.recOcc), RealTimeSubtitle: b01(m.subtitle),
		CallInRestriction: m.callIn, AudienceTotalCount: audience, AudienceCountReal: audience,
		AudienceCountMultiple: 1, LanChannels: []string{}, AllowAudience: true, Pause: m.paused,
		AudienceVideoLayout: "speaker", WaitingRoomState: b01(m.waitingRoom),
	})
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
	if w, ok := data.([]wireEntry); ok && action == WaitingListNotify {
		data = waitingEntries(w)
	}
	return mustJSON(wireFrame{wireHead: s.head(action, modeDelta, v, now), Data: data})
}

// waitingEntries gives waiting-room entries the sample's delType.
func waitingEntries(in []wireEntry) []wireWaitingEntry {
	out := make([]wireWaitingEntry, len(in))
	for i, e := range in {
		out[i] = wireWaitingEntry{PID: e.PID, Mode: e.Mode, PinfoMap: e.PinfoMap}
	}
	return out
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
