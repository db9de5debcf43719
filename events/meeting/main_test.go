package meeting_test

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/confwatch/confwatch/clock"
	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// t0 is the start of every scripted meeting.
var t0 = time.Date(2025, 1, 6, 8, 0, 0, 0, time.UTC)

const confID = "986112045"

// script builds pushes with increasing createTimes and unique msgIDs.
type script struct {
	n  int
	at time.Time
}

func newScript() *script { return &script{at: t0} }

func actionOf(payload events.Payload) string {
	switch payload.(type) {
	case *events.ConfBasicInfoNotify:
		return events.ActionConfBasicInfo
	case *events.ConfDynamicInfoNotify:
		return events.ActionConfDynamicInfo
	case *events.ParticipantsNotify:
		return events.ActionParticipants
	case *events.AttendeesNotify:
		return events.ActionAttendees
	case *events.SpeakerChangeNotify:
		return events.ActionSpeakerChange
	case *events.NetConditionNotify:
		return events.ActionNetCondition
	case *events.InviteResultNotify:
		return events.ActionInviteResult
	case *events.WaitingListNotify:
		return events.ActionWaitingList
	case *events.RealTimeSubtitleNotify:
		return events.ActionRealTimeSubtitle
	case *events.InterpreterGroupNotify:
		return events.ActionInterpreterGroup
	}
	return "UnknownNotify"
}

// push returns the next push. version 0 means "a fresh ms timestamp" for a
// full push.
func (sc *script) push(payload events.Payload, mode events.Mode, version int64) *events.Push {
	sc.n++
	sc.at = sc.at.Add(time.Second)
	if version == 0 && mode == events.ModeFull {
		version = sc.at.UnixMilli()
	}
	return &events.Push{
		Action:     actionOf(payload),
		Version:    version,
		CreateTime: sc.at,
		MsgID:      fmt.Sprintf("msg%06d", sc.n),
		Mode:       mode,
		ConfID:     confID,
		Payload:    payload,
	}
}

func (sc *script) full(payload events.Payload) *events.Push {
	return sc.push(payload, events.ModeFull, 0)
}

func (sc *script) delta(payload events.Payload, version int64) *events.Push {
	return sc.push(payload, events.ModeDelta, version)
}

// join returns a full participant entry; kv are pinfoMap key/value pairs
// added to or overriding the defaults.
func join(pid, name string, addMinute int, kv ...string) events.Participant {
	info := events.PInfo{
		events.KeyName: name, events.KeyRole: "0", events.KeyHand: "0",
		events.KeyMute: "0", events.KeyShare: "0", events.KeyVideo: "1",
		events.KeyAddTime:   strconv.FormatInt(t0.Add(time.Duration(addMinute)*time.Minute).UnixMilli(), 10),
		"CLIENT_LOGIN_TYPE": "Desktop",
	}
	for i := 0; i+1 < len(kv); i += 2 {
		info[kv[i]] = kv[i+1]
	}
	return events.Participant{PID: pid, Info: info}
}

// set returns a delta entry changing only the given keys.
func set(pid string, kv ...string) events.Participant {
	info := events.PInfo{}
	for i := 0; i+1 < len(kv); i += 2 {
		info[kv[i]] = kv[i+1]
	}
	return events.Participant{PID: pid, Info: info}
}

func leave(pid string) events.Participant {
	return events.Participant{PID: pid, Mode: 1 /* removes */, Info: events.PInfo{}}
}

func parts(ps ...events.Participant) *events.ParticipantsNotify {
	return &events.ParticipantsNotify{Participants: ps}
}

func dyn(state string, lock, rec int) *events.ConfDynamicInfoNotify {
	return &events.ConfDynamicInfoNotify{State: state, Mode: "FREE", Lock: lock, RecState: rec, Mute: 1, CanUnmute: 1, PicNum: 4}
}

func speakers(pidVol ...any) *events.SpeakerChangeNotify {
	n := &events.SpeakerChangeNotify{}
	for i := 0; i+1 < len(pidVol); i += 2 {
		n.Speakers = append(n.Speakers, events.Speaker{PID: pidVol[i].(string), SpeakingVolume: pidVol[i+1].(int)})
	}
	return n
}

// recorder collects the changes a State reports.
type recorder struct{ got []meeting.Change }

func (r *recorder) on(c meeting.Change) { r.got = append(r.got, c) }

func (r *recorder) take() []meeting.Change {
	out := r.got
	r.got = nil
	return out
}

// brief renders changes without their times, for comparison.
func brief(cs []meeting.Change) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		s := string(c.Kind)
		if c.PID != "" {
			s += " " + c.PID
		}
		if c.From != "" || c.To != "" {
			s += " " + c.From + "->" + c.To
		}
		if c.Kind == meeting.SpeakersChanged {
			s += fmt.Sprint(" ", c.Speakers)
		}
		if c.Inferred {
			s += " inferred"
		}
		out = append(out, s)
	}
	return out
}

// roster renders the participants of a snapshot compactly, in order.
func roster(s *meeting.Snapshot) []string {
	out := make([]string, 0, s.Participants.Len())
	for _, p := range s.Participants.All() {
		flags := ""
		for _, f := range []struct {
			on bool
			c  string
		}{{p.HandRaised, "H"}, {p.Muted, "M"}, {p.Sharing, "S"}, {p.Speaking, "T"}} {
			if f.on {
				flags += f.c
			}
		}
		out = append(out, fmt.Sprintf("%s=%s/%s/%s", p.PID, p.Name, p.Role, flags))
	}
	return out
}

// list copies a roster out, to compare it whole.
func list(r meeting.Roster) []meeting.Participant {
	out := []meeting.Participant{}
	for _, p := range r.All() {
		out = append(out, p)
	}
	return out
}

// eq fails the test when got and want differ deeply.
func eq[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %+v, want %+v", what, got, want)
	}
}

func apply(st *meeting.State, evs ...events.Event) {
	for _, e := range evs {
		st.HandleEvent(context.Background(), e)
	}
}

func clockAt(t time.Time) *clock.Fake { return clock.NewFake(t) }
