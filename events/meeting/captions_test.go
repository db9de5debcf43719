package meeting_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
)

// caption is a final caption sentence of pid.
func caption(pid, id, text string) *events.RealTimeSubtitleNotify {
	return &events.RealTimeSubtitleNotify{
		IsFinal: true, ParticipantID: pid, BeginTime: time.Second, EndTime: 2 * time.Second,
		Msgs: []events.SubtitleMsg{{Lang: "Original", Text: text, ID: id}},
	}
}

func groups(gs ...events.InterpreterGroup) *events.InterpreterGroupNotify {
	return &events.InterpreterGroupNotify{Groups: gs}
}

// texts renders a snapshot's captions as pid: text, text...
func texts(s *meeting.Snapshot) map[string]string {
	out := map[string]string{}
	for pid, list := range s.Captions {
		var ts []string
		for _, c := range list {
			ts = append(ts, c.Text)
		}
		out[pid] = strings.Join(ts, ", ")
	}
	return out
}

func TestCaptions(t *testing.T) {
	partial := caption("A", "s1", "hel")
	partial.IsFinal = false
	translated := caption("B", "s9", "你好")
	translated.Msgs = []events.SubtitleMsg{{Lang: "English", Text: "hello", ID: "s9"}, {Lang: "Original", Text: "你好", ID: "s9"}}
	noID := func(text string) *events.RealTimeSubtitleNotify { return caption("A", "", text) }

	cases := []struct {
		name   string
		limit  int
		pushes []events.Payload
		want   map[string]string
	}{
		{"partial sentences are not kept", 0, []events.Payload{partial}, map[string]string{}},
		{"final sentences are", 0, []events.Payload{partial, caption("A", "s1", "hello")}, map[string]string{"A": "hello"}},
		{"per participant, oldest first", 0,
			[]events.Payload{caption("A", "1", "a1"), caption("B", "2", "b1"), caption("A", "3", "a2")},
			map[string]string{"A": "a1, a2", "B": "b1"}},
		{"the last N per participant", 2,
			[]events.Payload{caption("A", "1", "a1"), caption("A", "2", "a2"), caption("A", "3", "a3"), caption("B", "4", "b1")},
			map[string]string{"A": "a2, a3", "B": "b1"}},
		{"a repeated sentence replaces the last", 0,
			[]events.Payload{caption("A", "1", "a1"), caption("A", "2", "a2"), caption("A", "2", "a2 (corrected)")},
			map[string]string{"A": "a1, a2 (corrected)"}},
		{"without ids, same span and text repeat", 0,
			[]events.Payload{noID("x"), noID("x"), noID("y")}, map[string]string{"A": "x, y"}},
		{"the original language is the text", 0, []events.Payload{translated}, map[string]string{"B": "你好"}},
		{"no participant ID", 0, []events.Payload{caption("", "1", "who?")}, map[string]string{"": "who?"}},
		{"no texts", 0, []events.Payload{&events.RealTimeSubtitleNotify{IsFinal: true, ParticipantID: "A"}}, map[string]string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sc := newScript()
			st := meeting.New(meeting.Config{Captions: c.limit})
			apply(st, &events.Subscribed{At: t0}, sc.full(parts(join("A", "Ann", 1))))
			for i, p := range c.pushes {
				apply(st, sc.delta(p, int64(i+1)))
			}
			eq(t, "captions", texts(st.Snapshot()), c.want)
		})
	}
}

func TestCaptionFields(t *testing.T) {
	sc := newScript()
	st := meeting.New(meeting.Config{})
	n := caption("A", "s1", "hello")
	n.Timestamp = t0.Add(time.Hour)
	apply(st, &events.Subscribed{At: t0}, sc.full(parts(join("A", "Ann", 1))), sc.delta(n, 1))
	untimed := caption("Z", "s2", "hi")
	p := sc.delta(untimed, 2)
	apply(st, p)
	s := st.Snapshot()
	eq(t, "A", s.Captions["A"], []meeting.Caption{{ID: "s1", Name: "Ann", Text: "hello",
		Texts: []meeting.CaptionText{{Lang: "Original", Text: "hello"}}, At: t0.Add(time.Hour), Begin: time.Second, End: 2 * time.Second}})
	z := s.Captions["Z"][0]
	eq(t, "unknown speaker has no name", z.Name, "")
	eq(t, "no timestamp: the push's time", z.At, p.CreateTime)
}

// TestCaptionsAfterResubscribe: the server repeats the last caption as a
// snapshot after a Subscribe; it is not logged twice, and a caption is no
// reason to wait for a resync.
func TestCaptionsAfterResubscribe(t *testing.T) {
	sc := newScript()
	st := meeting.New(meeting.Config{})
	apply(st, &events.Subscribed{At: t0}, sc.full(parts(join("A", "Ann", 1))),
		sc.delta(caption("A", "s1", "one"), 5), sc.delta(caption("A", "s2", "two"), 6))
	apply(st, &events.Disconnected{At: sc.at}, &events.Resubscribed{BlindFrom: sc.at, BlindTo: sc.at.Add(time.Second)})
	eq(t, "captions are not waited for", st.Snapshot().Resyncing, []string{events.ActionParticipants})
	// Ann left while nobody listened: the repeated sentence keeps her name.
	apply(st, sc.full(parts()), sc.full(caption("A", "s2", "two")))
	eq(t, "name kept", st.Snapshot().Captions["A"][1].Name, "Ann")
	apply(st, sc.delta(caption("A", "s3", "three"), 1))
	eq(t, "captions", texts(st.Snapshot()), map[string]string{"A": "one, two, three"})
	eq(t, "a gap in captions asks for nothing", st.Stats().ResyncsRequested, uint64(0))
}

func TestCaptionSpeakersBounded(t *testing.T) {
	sc := newScript()
	st := meeting.New(meeting.Config{Captions: 1})
	apply(st, &events.Subscribed{At: t0})
	for i := range meeting.MaxCaptionSpeakers + 3 {
		n := caption(fmt.Sprintf("P%03d", i), fmt.Sprint(i), "hi")
		n.Timestamp = t0.Add(time.Duration(i) * time.Second)
		if i == 0 {
			n.Timestamp = t0.Add(time.Hour) // P000 spoke last of all
		}
		apply(st, sc.delta(n, int64(i+1)))
	}
	got := st.Snapshot().Captions
	eq(t, "speakers kept", len(got), meeting.MaxCaptionSpeakers)
	for _, pid := range []string{"P001", "P002", "P003"} {
		if _, ok := got[pid]; ok {
			t.Errorf("%s, among the stalest, is still kept", pid)
		}
	}
	for _, pid := range []string{"P000", "P004", fmt.Sprintf("P%03d", meeting.MaxCaptionSpeakers+2)} {
		if _, ok := got[pid]; !ok {
			t.Errorf("%s was forgotten", pid)
		}
	}
}

func TestInterpreterGroups(t *testing.T) {
	sc := newScript()
	st := meeting.New(meeting.Config{})
	eq(t, "none yet", st.Snapshot().InterpreterGroups, []meeting.InterpreterGroup{})
	zhEN := events.InterpreterGroup{GroupID: "1", GroupName: "ZH-EN", FirstLanguage: "zh", SecondLanguage: "en", GroupType: "MANUAL",
		Interpreters: []events.Interpreter{{Name: "Chen Jie", InterpreterType: "MANUAL", InterpreterID: "i1"}}}
	ai := events.InterpreterGroup{GroupID: "2", GroupType: "AI",
		Interpreters: []events.Interpreter{{Name: "AI", InterpreterType: "AI", AIDigitalInfo: &events.AIDigitalInfo{DigitalName: "Xiao Hua"}}}}
	apply(st, &events.Subscribed{At: t0}, sc.full(groups(zhEN, ai)))
	eq(t, "groups", st.Snapshot().InterpreterGroups, []meeting.InterpreterGroup{
		{ID: "1", Name: "ZH-EN", FirstLanguage: "zh", SecondLanguage: "en", Type: "MANUAL",
			Interpreters: []meeting.Interpreter{{ID: "i1", Name: "Chen Jie", Type: "MANUAL"}}},
		{ID: "2", Type: "AI", Interpreters: []meeting.Interpreter{{Name: "AI", Type: "AI", DigitalName: "Xiao Hua"}}},
	})
	// Every push is the whole list, a delta too.
	apply(st, sc.delta(groups(ai), 1))
	eq(t, "replaced", len(st.Snapshot().InterpreterGroups), 1)
	apply(st, sc.full(groups()))
	eq(t, "cleared", st.Snapshot().InterpreterGroups, []meeting.InterpreterGroup{})
}

// TestMeetingSwitchChanges: captions, pause and the waiting room are
// reported as they switch, live and after an outage.
func TestMeetingSwitchChanges(t *testing.T) {
	d := func(subtitle, waiting int, pause bool) *events.ConfDynamicInfoNotify {
		n := dyn("Created", 0, 0)
		n.RealTimeSubtitle, n.WaitingRoomState, n.Pause = subtitle, waiting, pause
		return n
	}
	cases := []struct {
		name     string
		from, to *events.ConfDynamicInfoNotify
		want     []string
	}{
		{"captions on", d(0, 0, false), d(1, 0, false), []string{"CaptionsStarted"}},
		{"captions off", d(1, 0, false), d(0, 0, false), []string{"CaptionsStopped"}},
		{"paused", d(0, 0, false), d(0, 0, true), []string{"MeetingPaused"}},
		{"resumed", d(0, 0, true), d(0, 0, false), []string{"MeetingResumed"}},
		{"waiting room on", d(0, 0, false), d(0, 1, false), []string{"WaitingRoomEnabled"}},
		{"waiting room off", d(0, 1, false), d(0, 0, false), []string{"WaitingRoomDisabled"}},
		{"all at once", d(0, 0, false), d(1, 1, true), []string{"CaptionsStarted", "MeetingPaused", "WaitingRoomEnabled"}},
		{"restated", d(1, 1, true), d(1, 1, true), []string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sc := newScript()
			rec := &recorder{}
			st := meeting.New(meeting.Config{OnChange: rec.on})
			apply(st, &events.Subscribed{At: t0}, sc.full(c.from))
			apply(st, sc.full(c.to))
			eq(t, "live", brief(rec.take()), c.want)

			apply(st, sc.full(c.from))
			rec.take()
			apply(st, &events.Disconnected{At: sc.at}, &events.Resubscribed{BlindFrom: sc.at, BlindTo: sc.at}, sc.full(c.to))
			inferred := []string{}
			for _, w := range c.want {
				inferred = append(inferred, w+" inferred")
			}
			eq(t, "after an outage", brief(rec.take()), inferred)
		})
	}
}

// TestSnapshotJSONCaptionsAndGroups: the new parts are in the JSON, empty
// as {} and [], and survive a NewFromSnapshot, as a fleet's new owner
// seeds its State.
func TestSnapshotJSONCaptionsAndGroups(t *testing.T) {
	var empty map[string]json.RawMessage
	if err := json.Unmarshal(mustJSON(t, meeting.New(meeting.Config{}).Snapshot()), &empty); err != nil {
		t.Fatal(err)
	}
	eq(t, "empty captions", string(empty["captions"]), "{}")
	eq(t, "empty groups", string(empty["interpreterGroups"]), "[]")

	sc := newScript()
	st := meeting.New(meeting.Config{Captions: 2})
	apply(st, &events.Subscribed{At: t0}, sc.full(parts(join("A", "Ann", 1))),
		sc.delta(caption("A", "1", "a1"), 1), sc.delta(caption("A", "2", "a2"), 2),
		sc.full(groups(events.InterpreterGroup{GroupID: "1", GroupName: "ZH-EN"})))
	stored := mustJSON(t, st.Snapshot())
	if !strings.Contains(string(stored), `"beginMs":1000,"endMs":2000`) {
		t.Errorf("offsets not in ms: %s", stored)
	}
	var snap meeting.Snapshot
	if err := json.Unmarshal(stored, &snap); err != nil {
		t.Fatal(err)
	}
	// A new owner keeping fewer sentences trims the seeded log.
	seeded := meeting.NewFromSnapshot(meeting.Config{Captions: 1}, &snap)
	eq(t, "seeded captions", texts(seeded.Snapshot()), map[string]string{"A": "a2"})
	eq(t, "seeded offsets", [2]time.Duration{seeded.Snapshot().Captions["A"][0].Begin, seeded.Snapshot().Captions["A"][0].End},
		[2]time.Duration{time.Second, 2 * time.Second})
	eq(t, "seeded groups", seeded.Snapshot().InterpreterGroups, st.Snapshot().InterpreterGroups)
	apply(seeded, &events.Subscribed{At: sc.at}, sc.delta(caption("A", "3", "a3"), 1))
	eq(t, "logging on", texts(seeded.Snapshot()), map[string]string{"A": "a3"})
}
