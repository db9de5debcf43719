package fakemeeting_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/confwatch/confwatch/integration/fakemeeting"
)

var roster = []fakemeeting.Person{
	{PID: "q7m2xk9c4tz1w8d5r0yb6n3hv2pe7sfa", Name: "Li Wei", Role: fakemeeting.RoleHost, Video: true, Account: "liwei"},
	{PID: "f2n8ra5kz0c1v7yq4wx9m3dt6ub8hgle", Name: "Meeting Room 3F", Muted: true, Video: true},
}

var attendees = []fakemeeting.Attendee{
	{Name: "Li Wei", Phone: "+99111283746501234", AccountID: "liwei", Role: 1, Email: "li.wei@example.com",
		SMS: "+8613800000000", IsAutoInvite: 1, DeptUUID: "ff80", DeptName: "Platform", ThirdAccount: "liwei",
		ParticipantID: "q7m2xk9c4tz1w8d5r0yb6n3hv2pe7sfa"},
}

var groups = []fakemeeting.InterpreterGroup{{
	GroupID: "1", GroupName: "ZH-EN", FirstLanguage: "zh", SecondLanguage: "en",
	Interpreters: []fakemeeting.Interpreter{{LoginAccount: "chen.jie", UserID: "5b2e", CallNumber: "+991", Name: "Chen Jie"}},
}}

func fullConfig() fakemeeting.Config {
	return fakemeeting.Config{Participants: roster, Attendees: attendees, InterpreterGroups: groups}
}

func TestSnapshotThenDeltas(t *testing.T) {
	srv, fc := newFake(t, fullConfig())
	c := srv.Client()
	all := fakemeeting.NotifyTypes
	// Captions have nothing yet, so 9 snapshots.
	s := connect(t, srv, c, all, 9)
	now := fc.Now().UnixMilli()
	var got []string
	for _, f := range s.snapshot {
		got = append(got, f.action())
		if f.num("msgMode") != 0 || f.num("version") != now || f.num("createTime") != now || f["confID"] != srv.ConferenceID() {
			t.Errorf("%s envelope: %v", f.action(), f)
		}
		if id, _ := f["msgID"].(string); len(id) != 32 {
			t.Errorf("%s msgID %q", f.action(), id)
		}
	}
	want := slices.DeleteFunc(slices.Clone(all), func(a string) bool { return a == "RealTimeSubtitleNotify" })
	if !slices.Equal(got, want) {
		t.Fatalf("snapshot order %v, want %v", got, want)
	}
	byAction := map[string]frame{}
	for _, f := range s.snapshot {
		byAction[f.action()] = f
	}
	if n := len(byAction["ParticipantsNotify"].list()); n != 2 {
		t.Errorf("participants in snapshot: %d", n)
	}
	if _, ok := byAction["SpeakerChangeNotify"]["data"]; ok {
		t.Error("SpeakerChangeNotify snapshot has data while nobody speaks")
	}
	if byAction["ConfDynamicInfoNotify"]["state"] != "Created" {
		t.Error("dynamic info not at top level")
	}

	fc.Advance(time.Second)
	pid, err := srv.Meeting().JoinOne(fakemeeting.Person{Name: "Zhang Min"})
	if err != nil {
		t.Fatal(err)
	}
	_ = srv.Meeting().RaiseHand(pid, true)
	_ = srv.Meeting().Lock(true)
	_ = srv.Meeting().Speakers(pid, roster[0].PID)
	_ = srv.Meeting().Leave(roster[1].PID)

	j := read(t, s.ws)
	h := read(t, s.ws)
	for i, f := range []frame{j, h} {
		if f.action() != "ParticipantsNotify" || f.num("msgMode") != 1 || f.num("version") != int64(i+1) {
			t.Errorf("delta %d: %v", i, f)
		}
		if f.num("createTime") != fc.Now().UnixMilli() {
			t.Errorf("delta %d createTime %d", i, f.num("createTime"))
		}
	}
	entry := j.list()[0].(map[string]any)
	if entry["pid"] != pid || entry["mode"] != json.Number("0") || len(entry["pinfoMap"].(map[string]any)) < 22 {
		t.Errorf("join entry %v", entry)
	}
	he := h.list()[0].(map[string]any)
	if !maps.Equal(he["pinfoMap"].(map[string]any), map[string]any{"HAND": "1"}) {
		t.Errorf("hand delta %v", he)
	}
	l := read(t, s.ws)
	if l.action() != "ConfDynamicInfoNotify" || l.num("msgMode") != 0 || l["lock"] != json.Number("1") {
		t.Errorf("lock push %v", l)
	}
	sp := read(t, s.ws)
	if sp.action() != "SpeakerChangeNotify" || len(sp.list()) != 2 {
		t.Fatalf("speakers %v", sp)
	}
	first := sp.list()[0].(map[string]any)
	if first["pid"] != pid || first["name"] != "Zhang Min" {
		t.Errorf("loudest %v", first)
	}
	lv := read(t, s.ws)
	le := lv.list()[0].(map[string]any)
	if lv.num("version") != 3 || le["mode"] != json.Number("1") || len(le["pinfoMap"].(map[string]any)) != 0 {
		t.Errorf("leave %v", lv)
	}

	// A socket subscribing later gets a snapshot, then deltas continuing
	// the meeting's counter.
	s2 := connect(t, srv, c, []string{"ParticipantsNotify"}, -1)
	if n := len(s2.snapshot[0].list()); n != 2 {
		t.Errorf("late snapshot participants %d", n)
	}
	_ = srv.Meeting().Rename(pid, "Zhang Min (PM)")
	for _, ws := range []*websocket.Conn{s.ws, s2.ws} {
		if f := read(t, ws); f.num("version") != 4 {
			t.Errorf("shared version: %v", f)
		}
	}
}

func TestDeltasOnlyToSubscribers(t *testing.T) {
	srv, _ := newFake(t, fakemeeting.Config{})
	c := srv.Client()
	p := connect(t, srv, c, []string{"ParticipantsNotify"}, -1)
	d := connect(t, srv, c, []string{"ConfDynamicInfoNotify"}, -1)
	_ = srv.Meeting().Lock(true)
	_, _ = srv.Meeting().JoinOne(fakemeeting.Person{})
	if f := read(t, p.ws); f.action() != "ParticipantsNotify" {
		t.Errorf("participants socket got %s", f.action())
	}
	if f := read(t, d.ws); f.action() != "ConfDynamicInfoNotify" {
		t.Errorf("dynamic socket got %s", f.action())
	}
	// Versions advance even without subscribers.
	_ = srv.Meeting().InviteResult("+991", "0")
	if v := srv.Meeting().View().Versions["InviteResultNotify"]; v != 1 {
		t.Errorf("InviteResultNotify version %d", v)
	}
}

// keysAndKinds describes a JSON object's keys and value kinds.
func keysAndKinds(m map[string]any) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = fmt.Sprintf("%T", v)
	}
	return out
}

// TestShapesMatchExamples compares each frame the fake sends with the
// documented example of the same kind: same keys, same JSON kinds, at the
// top level and in data entries. Where the vendor's samples carry fields
// the reference's examples leave out (protocol §5.3, §5.4, §5.6, §5.11),
// the comparison is with a *.vendorlike.json frame written from the
// reference with all of them (a copy of events/testdata's).
func TestShapesMatchExamples(t *testing.T) {
	srv, _ := newFake(t, fullConfig())
	c := srv.Client()
	s := connect(t, srv, c, fakemeeting.NotifyTypes, 9)
	snap := map[string]frame{}
	for _, f := range s.snapshot {
		snap[f.action()] = f
	}
	_ = srv.Meeting().Speakers(roster[0].PID, roster[1].PID)
	_ = srv.Meeting().RaiseHand(roster[0].PID, true)
	_ = srv.Meeting().InviteResult("+99111283746509012", "0")
	_ = srv.Meeting().NetCondition(roster[0].PID, "good", 41)
	_, _ = srv.Meeting().WaitingRoomJoin(fakemeeting.Person{Name: "Guest Wang", Anonymous: true, LoginType: "Mobile"})
	_ = srv.Meeting().Caption(roster[0].PID, "Let's move on to the release checklist.")
	delta := map[string]frame{}
	for i := 0; i < 6; i++ {
		f := read(t, s.ws)
		delta[f.action()] = f
	}

	// Shape-only leniencies: optional attendee fields absent from our
	// second attendee are fine; the Subscribe reply is checked elsewhere.
	cases := []struct {
		file string
		got  frame
	}{
		{"ConfBasicInfoNotify.vendorlike.json", snap["ConfBasicInfoNotify"]},
		{"ConfDynamicInfoNotify.vendorlike.json", snap["ConfDynamicInfoNotify"]},
		{"ParticipantsNotify.full.json", snap["ParticipantsNotify"]},
		{"ParticipantsNotify.incremental.json", delta["ParticipantsNotify"]},
		{"AttendeesNotify.vendorlike.json", snap["AttendeesNotify"]},
		{"SpeakerChangeNotify.json", delta["SpeakerChangeNotify"]},
		{"InviteResultNotify.json", delta["InviteResultNotify"]},
		{"NetConditionNotify.json", delta["NetConditionNotify"]},
		{"WaitingListNotify.vendorlike.json", delta["WaitingListNotify"]},
		{"RealTimeSubtitleNotify.json", delta["RealTimeSubtitleNotify"]},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			want := readExample(t, tc.file)
			if tc.got == nil {
				t.Fatal("no frame")
			}
			if w, g := keysAndKinds(want), keysAndKinds(tc.got); !maps.Equal(w, g) {
				t.Errorf("top level:\nwant %v\ngot  %v", w, g)
			}
			// The InviteResultNotify example is a constructed full frame; the
			// fake sends invite results after the snapshot as deltas.
			if tc.file != "InviteResultNotify.json" && tc.got.num("msgMode") != want.num("msgMode") {
				t.Errorf("msgMode %d, want %d", tc.got.num("msgMode"), want.num("msgMode"))
			}
			switch wd := want["data"].(type) {
			case []any:
				gd := tc.got.list()
				if len(gd) == 0 {
					t.Fatal("no data entries")
				}
				we := keysAndKinds(wd[0].(map[string]any))
				ge := keysAndKinds(gd[0].(map[string]any))
				if !maps.Equal(we, ge) {
					t.Errorf("data[0]:\nwant %v\ngot  %v", we, ge)
				}
				wp, ok := wd[0].(map[string]any)["pinfoMap"].(map[string]any)
				if ok && len(wp) > 1 {
					gp := gd[0].(map[string]any)["pinfoMap"].(map[string]any)
					for k := range wp {
						if _, ok := gp[k]; !ok {
							t.Errorf("pinfoMap lacks %s", k)
						}
					}
				}
			case map[string]any:
				gd, _ := tc.got["data"].(map[string]any)
				if w, g := keysAndKinds(wd), keysAndKinds(gd); !maps.Equal(w, g) {
					t.Errorf("data:\nwant %v\ngot  %v", w, g)
				}
			}
		})
	}
	// Documented pinfoMap keys (the table), all present and all strings.
	p := snap["ParticipantsNotify"].list()[0].(map[string]any)["pinfoMap"].(map[string]any)
	for _, k := range strings.Fields("NAME TEL ROLE STATE HAND BROADCAST ROLLCALL SHARE ADDTIME MUTE VIDEO M T ANONYMOUS LOCALREC CLIENT_LOGIN_TYPE VIEW_TYPE") {
		if _, ok := p[k].(string); !ok {
			t.Errorf("pinfoMap %s missing", k)
		}
	}
	// InterpreterGroupNotify: the constructed example in the doc.
	g := snap["InterpreterGroupNotify"].list()[0].(map[string]any)
	for _, k := range strings.Fields("groupId groupName firstLanguage secondLanguage groupType interpreters") {
		if _, ok := g[k]; !ok {
			t.Errorf("interpreter group lacks %s", k)
		}
	}
}

func TestWaitingRoomFlow(t *testing.T) {
	srv, _ := newFake(t, fakemeeting.Config{})
	s := connect(t, srv, srv.Client(), []string{"WaitingListNotify", "ParticipantsNotify"}, -1)
	pid, err := srv.Meeting().WaitingRoomJoin(fakemeeting.Person{Name: "Guest Wang"})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := srv.Meeting().WaitingRoomJoin(fakemeeting.Person{Name: "Guest Li"})
	if err := srv.Meeting().WaitingRoomAdmit(pid); err != nil {
		t.Fatal(err)
	}
	_ = srv.Meeting().WaitingRoomRemove(other)
	type step struct {
		action string
		mode   string
		key    string
	}
	want := []step{
		{"WaitingListNotify", "0", "WAITINGSTATE=0"},
		{"WaitingListNotify", "0", "WAITINGSTATE=0"},
		{"WaitingListNotify", "0", "WAITINGSTATE=1"},
		{"ParticipantsNotify", "0", "NAME=Guest Wang"},
		{"WaitingListNotify", "1", ""},
		{"WaitingListNotify", "1", ""},
	}
	for i, w := range want {
		f := read(t, s.ws)
		e := f.list()[0].(map[string]any)
		if f.action() != w.action || e["mode"] != json.Number(w.mode) {
			t.Fatalf("step %d: %v", i, f)
		}
		if w.key != "" {
			k, v, _ := strings.Cut(w.key, "=")
			if e["pinfoMap"].(map[string]any)[k] != v {
				t.Errorf("step %d: pinfoMap %v", i, e["pinfoMap"])
			}
		}
	}
	v := srv.Meeting().View()
	if len(v.WaitingRoom) != 0 || v.Participants[pid]["NAME"] != "Guest Wang" {
		t.Errorf("view %+v", v)
	}
	if v.Versions["WaitingListNotify"] != 5 { // 2 joins, admit (state + removal), remove
		t.Errorf("waiting versions %d", v.Versions["WaitingListNotify"])
	}
}

func TestCaptionsAndConfControl(t *testing.T) {
	srv, _ := newFake(t, fakemeeting.Config{Participants: roster})
	s := connect(t, srv, srv.Client(), []string{"ConfDynamicInfoNotify", "RealTimeSubtitleNotify"}, 1)
	d := map[string]any{"conferenceID": srv.ConferenceID(), "confToken": s.ctl, "isSubtitle": 1, "subtitleType": 0, "id": []string{roster[0].PID}}
	b, _ := json.Marshal(d)
	sendJSON(t, s.ws, map[string]any{"action": "ConfControl", "sequence": "cc1", "type": "REALTIMESUBTITLE", "data": string(b)})
	f := read(t, s.ws)
	if f.action() != "ConfDynamicInfoNotify" || f["realTimeSubtitle"] != json.Number("1") {
		t.Fatalf("captions on: %v", f)
	}
	_ = srv.Meeting().Caption(roster[0].PID, "hello")
	f = read(t, s.ws)
	if f.action() != "RealTimeSubtitleNotify" || f["version"] != "1" || f.num("msgMode") != 1 {
		t.Fatalf("caption %v", f)
	}
	if _, ok := f["createTime"].(string); !ok {
		t.Error("caption createTime not a string")
	}
	msg := f["data"].(map[string]any)["msgs"].([]any)[0].(map[string]any)
	if msg["translateText"] != "hello" {
		t.Errorf("caption text %v", msg)
	}
	v := srv.Meeting().View()
	if !v.Subtitles || len(v.CaptionRequests) != 1 || v.CaptionRequests[0].IDs[0] != roster[0].PID {
		t.Errorf("view %+v", v)
	}
	// A later subscriber gets the last caption as a snapshot.
	s2 := connect(t, srv, srv.Client(), []string{"RealTimeSubtitleNotify"}, 1)
	if s2.snapshot[0].num("msgMode") != 0 {
		t.Errorf("caption snapshot %v", s2.snapshot[0])
	}
	// A bad confToken is ignored.
	sendJSON(t, s.ws, map[string]any{"action": "ConfControl", "sequence": "cc2", "type": "REALTIMESUBTITLE",
		"data": map[string]any{"confToken": "bad", "isSubtitle": 0}})
	heartBeat(t, s.ws, "hb")
	if f := read(t, s.ws); f.action() != "HeartBeat" {
		t.Errorf("got %v", f)
	}
	if len(srv.Meeting().View().CaptionRequests) != 1 {
		t.Error("bad-token ConfControl recorded")
	}
}

// TestConfControlForms: isSubtitle and subtitleType arrive as numbers (the
// field table) or as strings (the vendor's sample, protocol §4.3); the
// fake reads both, and an absent isSubtitle means on.
func TestConfControlForms(t *testing.T) {
	cases := []struct {
		name     string
		data     map[string]any
		wantOn   int
		wantType int
	}{
		{"sample strings", map[string]any{"isSubtitle": "1", "subtitleType": "0"}, 1, 0},
		{"table numbers", map[string]any{"isSubtitle": 1, "subtitleType": 0}, 1, 0},
		{"strings off", map[string]any{"isSubtitle": "0", "subtitleType": "1"}, 0, 1},
		{"numbers off", map[string]any{"isSubtitle": 0, "subtitleType": 1}, 0, 1},
		{"padded string", map[string]any{"isSubtitle": " 1 "}, 1, 0},
		{"absent means on", map[string]any{}, 1, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, _ := newFake(t, fakemeeting.Config{Participants: roster})
			s := connect(t, srv, srv.Client(), []string{"ConfDynamicInfoNotify"}, 1)
			d := map[string]any{"conferenceID": srv.ConferenceID(), "confToken": s.ctl}
			maps.Copy(d, c.data)
			b, _ := json.Marshal(d)
			sendJSON(t, s.ws, map[string]any{"action": "ConfControl", "sequence": "cc", "type": "REALTIMESUBTITLE", "data": string(b)})
			heartBeat(t, s.ws, "hb") // the echo follows whatever ConfControl caused
			for f := read(t, s.ws); f.action() != "HeartBeat"; f = read(t, s.ws) {
			}
			v := srv.Meeting().View()
			if len(v.CaptionRequests) != 1 {
				t.Fatalf("caption requests %+v, want one", v.CaptionRequests)
			}
			r := v.CaptionRequests[0]
			if r.IsSubtitle != c.wantOn || r.SubtitleType != c.wantType || v.Subtitles != (c.wantOn == 1) {
				t.Errorf("request %+v subtitles %v, want isSubtitle %d subtitleType %d", r, v.Subtitles, c.wantOn, c.wantType)
			}
		})
	}
}

// TestSampleOnlySwitches: the waiting room, pause and call-in restriction
// reach subscribers as ConfDynamicInfoNotify's sample-only fields, and
// the audience count follows the audience-role participants.
func TestSampleOnlySwitches(t *testing.T) {
	cases := []struct {
		name string
		do   func(m *fakemeeting.Meeting) error
		key  string
		want any
	}{
		{"waiting room on", func(m *fakemeeting.Meeting) error { return m.WaitingRoom(true) }, "waitingRoomState", json.Number("1")},
		{"paused", func(m *fakemeeting.Meeting) error { return m.Pause(true) }, "pause", true},
		{"invited only", func(m *fakemeeting.Meeting) error { return m.SetCallInRestriction(3) }, "callInRestriction", json.Number("3")},
		{"audience joins", func(m *fakemeeting.Meeting) error {
			if _, err := m.JoinOne(fakemeeting.Person{Name: "Viewer", Role: fakemeeting.RoleAudience}); err != nil {
				return err
			}
			return m.Lock(true) // the next status push carries the count
		}, "audienceTotalCount", json.Number("1")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, _ := newFake(t, fakemeeting.Config{Participants: roster})
			s := connect(t, srv, srv.Client(), []string{"ConfDynamicInfoNotify"}, 1)
			if s.snapshot[0]["pause"] != false || s.snapshot[0]["waitingRoomState"] != json.Number("0") {
				t.Errorf("snapshot %v", s.snapshot[0])
			}
			if err := c.do(srv.Meeting()); err != nil {
				t.Fatal(err)
			}
			f := read(t, s.ws)
			if f.action() != "ConfDynamicInfoNotify" || f.num("msgMode") != 0 || f[c.key] != c.want {
				t.Errorf("%s = %#v in %v, want %#v", c.key, f[c.key], f, c.want)
			}
		})
	}
	srv, _ := newFake(t, fakemeeting.Config{})
	if err := srv.Meeting().SetCallInRestriction(1); err == nil {
		t.Error("call-in restriction 1 accepted")
	}
	v := srv.Meeting().View()
	if v.WaitingRoomOn || v.Paused || v.CallInRestriction != 0 {
		t.Errorf("view %+v", v)
	}
}

// TestCaptionOffsets: beginTime and endTime are ms offsets (protocol
// §5.10), here from the meeting's start; timestamp is the instant.
func TestCaptionOffsets(t *testing.T) {
	srv, fc := newFake(t, fakemeeting.Config{Participants: roster, IdleTimeout: time.Hour})
	s := connect(t, srv, srv.Client(), []string{"RealTimeSubtitleNotify"}, 0)
	fc.Advance(25*time.Minute + 31920*time.Millisecond)
	_ = srv.Meeting().Caption(roster[0].PID, "hello")
	d := read(t, s.ws)["data"].(map[string]any)
	if d["beginTime"] != json.Number("1528920") || d["endTime"] != json.Number("1531820") {
		t.Errorf("offsets %v %v, want 1528920 1531820", d["beginTime"], d["endTime"])
	}
	if d["timestamp"] != json.Number(fmt.Sprint(fc.Now().UnixMilli())) {
		t.Errorf("timestamp %v, want %d", d["timestamp"], fc.Now().UnixMilli())
	}
}

func TestAttendeesAndNetCondition(t *testing.T) {
	srv, _ := newFake(t, fakemeeting.Config{Participants: roster, Attendees: attendees})
	s := connect(t, srv, srv.Client(), []string{"AttendeesNotify", "NetConditionNotify"}, -1)
	if n := len(s.snapshot[0].list()); n != 1 {
		t.Errorf("attendees %d", n)
	}
	if n := len(s.snapshot[1].list()); n != 0 {
		t.Errorf("net conditions %d", n)
	}
	_ = srv.Meeting().AddAttendee(fakemeeting.Attendee{Name: "Zhang Min"})
	_ = srv.Meeting().NetCondition(roster[1].PID, "bad", 400)
	_ = srv.Meeting().Leave(roster[1].PID)
	a := read(t, s.ws)
	if a.action() != "AttendeesNotify" || a.list()[0].(map[string]any)["name"] != "Zhang Min" || a.num("msgMode") != 1 {
		t.Errorf("attendee delta %v", a)
	}
	n := read(t, s.ws)
	if n.list()[0].(map[string]any)["delay"] != "400" {
		t.Errorf("net delta %v", n)
	}
	rm := read(t, s.ws)
	if rm.action() != "NetConditionNotify" || rm.list()[0].(map[string]any)["mode"] != json.Number("1") || rm.num("version") != 2 {
		t.Errorf("net removal %v", rm)
	}
	if len(srv.Meeting().View().Attendees) != 2 {
		t.Error("view attendees")
	}
}

func TestSkipVersion(t *testing.T) {
	srv, _ := newFake(t, fakemeeting.Config{Participants: roster})
	s := connect(t, srv, srv.Client(), []string{"ParticipantsNotify"}, -1)
	pid := roster[0].PID
	_ = srv.Meeting().RaiseHand(pid, true)
	srv.Faults().SkipVersion("ParticipantsNotify")
	_ = srv.Meeting().RaiseHand(pid, false)
	_ = srv.Meeting().Mute(pid, true)
	var vs []int64
	for i := 0; i < 3; i++ {
		vs = append(vs, read(t, s.ws).num("version"))
	}
	if !slices.Equal(vs, []int64{1, 3, 4}) {
		t.Errorf("versions %v, want [1 3 4]", vs)
	}
}

func TestFaultWaitsForASubscriber(t *testing.T) {
	srv, _ := newFake(t, fakemeeting.Config{Participants: roster})
	srv.Faults().SkipVersion("ParticipantsNotify")
	srv.Faults().DuplicateNext("ParticipantsNotify")
	_ = srv.Meeting().RaiseHand(roster[0].PID, true) // nobody listens: version 1, faults kept
	s := connect(t, srv, srv.Client(), []string{"ParticipantsNotify"}, -1)
	_ = srv.Meeting().RaiseHand(roster[0].PID, false)
	a, b := read(t, s.ws), read(t, s.ws)
	if a.num("version") != 3 || b.num("version") != 3 || a["msgID"] != b["msgID"] {
		t.Errorf("got %v / %v, want version 3 twice", a, b)
	}
}

func TestDuplicateNext(t *testing.T) {
	srv, _ := newFake(t, fakemeeting.Config{Participants: roster})
	s := connect(t, srv, srv.Client(), []string{"ParticipantsNotify"}, -1)
	srv.Faults().DuplicateNext("ParticipantsNotify")
	_ = srv.Meeting().RaiseHand(roster[0].PID, true)
	_ = srv.Meeting().RaiseHand(roster[0].PID, false)
	a, b, c := read(t, s.ws), read(t, s.ws), read(t, s.ws)
	if a["msgID"] != b["msgID"] || a.num("version") != 1 || b.num("version") != 1 {
		t.Errorf("not duplicated: %v / %v", a, b)
	}
	if c.num("version") != 2 || c["msgID"] == a["msgID"] {
		t.Errorf("after duplicate: %v", c)
	}
}

func TestReorderNext(t *testing.T) {
	srv, _ := newFake(t, fakemeeting.Config{Participants: roster})
	s := connect(t, srv, srv.Client(), []string{"ParticipantsNotify"}, -1)
	srv.Faults().ReorderNext("ParticipantsNotify")
	_ = srv.Meeting().RaiseHand(roster[0].PID, true)
	_ = srv.Meeting().Mute(roster[0].PID, true)
	_ = srv.Meeting().Share(roster[0].PID, true)
	var vs []int64
	for i := 0; i < 3; i++ {
		vs = append(vs, read(t, s.ws).num("version"))
	}
	if !slices.Equal(vs, []int64{2, 1, 3}) {
		t.Errorf("versions %v, want [2 1 3]", vs)
	}
}

func TestScriptView(t *testing.T) {
	srv, _ := newFake(t, fakemeeting.Config{Participants: roster})
	pid, _ := srv.Meeting().JoinOne(fakemeeting.Person{Name: "A", Extra: map[string]string{"CLICENT_LOGIN_TYPE": "Pad"}})
	_ = srv.Meeting().Rename(pid, "B")
	_ = srv.Meeting().RaiseHand(pid, true)
	_ = srv.Meeting().Mute(pid, true)
	_ = srv.Meeting().Share(pid, true)
	_ = srv.Meeting().SetRole(pid, fakemeeting.RoleHost)
	_ = srv.Meeting().Speakers(pid, roster[0].PID, roster[1].PID, "ignored-4th")
	_ = srv.Meeting().Lock(true)
	_ = srv.Meeting().Record(true)
	_ = srv.Meeting().SetMode(fakemeeting.ModeBroadcast)
	_ = srv.Meeting().InviteResult("+99", "11076010")
	v := srv.Meeting().View()
	p := v.Participants[pid]
	if p["NAME"] != "B" || p["HAND"] != "1" || p["MUTE"] != "1" || p["SHARE"] != "1" || p["ROLE"] != "1" || p["CLICENT_LOGIN_TYPE"] != "Pad" {
		t.Errorf("participant %v", p)
	}
	if !slices.Equal(v.Speakers, []string{pid, roster[0].PID, roster[1].PID}) {
		t.Errorf("speakers %v", v.Speakers)
	}
	if !v.Locked || !v.Recording || v.Mode != "BROADCAST" || v.InviteResults["+99"] != "11076010" {
		t.Errorf("view %+v", v)
	}
	if !slices.Equal(v.Order, []string{roster[0].PID, roster[1].PID, pid}) {
		t.Errorf("order %v", v.Order)
	}
	if err := srv.Meeting().Mute("nobody", true); err == nil {
		t.Error("unknown pid accepted")
	}
	if _, err := srv.Meeting().JoinOne(fakemeeting.Person{PID: pid}); err == nil {
		t.Error("duplicate pid accepted")
	}
	if err := srv.Meeting().Speakers(); err != nil || len(srv.Meeting().View().Speakers) != 0 {
		t.Error("clearing speakers")
	}
	// View is a copy.
	v.Participants[pid]["NAME"] = "changed"
	if srv.Meeting().View().Participants[pid]["NAME"] != "B" {
		t.Error("View shares state")
	}
}

// TestLargeMeetingFrameSize builds a 3000-participant meeting and reports
// the size of its full ParticipantsNotify frame (to choose a read limit).
func TestLargeMeetingFrameSize(t *testing.T) {
	srv, _ := newFake(t, fakemeeting.Config{})
	people := make([]fakemeeting.Person, 3000)
	for i := range people {
		people[i] = fakemeeting.Person{Name: fmt.Sprintf("Participant with a realistic name %04d", i), Video: i%3 == 0, Muted: i%2 == 0}
	}
	if _, err := srv.Meeting().Join(people...); err != nil {
		t.Fatal(err)
	}
	s := connect(t, srv, srv.Client(), []string{"ParticipantsNotify"}, 0)
	s.ws.SetReadLimit(16 << 20)
	_, b, err := readRaw(t, s.ws)
	if err != nil {
		t.Fatal(err)
	}
	f := decodeFrame(t, b)
	if n := len(f.list()); n != 3000 {
		t.Fatalf("participants %d", n)
	}
	t.Logf("full ParticipantsNotify frame with 3000 participants: %d bytes (%.1f KiB, %d bytes/participant)",
		len(b), float64(len(b))/1024, len(b)/3000)
}

func TestFlood(t *testing.T) {
	srv, _ := newFake(t, fakemeeting.Config{Participants: roster})
	c := srv.Client()
	const n = 2000
	var sessions []*session
	for i := 0; i < 3; i++ {
		sessions = append(sessions, connect(t, srv, c, []string{"ParticipantsNotify", "SpeakerChangeNotify"}, -1))
	}
	done := make(chan error, len(sessions))
	for _, s := range sessions {
		go func(ws *websocket.Conn) {
			var last int64
			counts := map[string]int{}
			for i := 0; i < n; i++ {
				_ = ws.SetReadDeadline(time.Now().Add(readWait))
				_, b, err := ws.ReadMessage()
				if err != nil {
					done <- err
					return
				}
				var f struct {
					Action  string `json:"action"`
					Version int64  `json:"version"`
					MsgMode int    `json:"msgMode"`
				}
				if err := json.Unmarshal(b, &f); err != nil {
					done <- err
					return
				}
				counts[f.Action]++
				if f.MsgMode == 1 {
					if f.Version != last+1 {
						done <- fmt.Errorf("version %d after %d", f.Version, last)
						return
					}
					last = f.Version
				}
			}
			if counts["ParticipantsNotify"] != n*3/4 || counts["SpeakerChangeNotify"] != n/4 {
				done <- fmt.Errorf("mix %v", counts)
				return
			}
			done <- nil
		}(s.ws)
	}
	start := time.Now()
	queued, err := srv.Meeting().Flood(ctxT(t), n, fakemeeting.FloodMixed)
	if err != nil {
		t.Fatal(err)
	}
	for range sessions {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	el := time.Since(start)
	if queued != n*3 {
		t.Errorf("queued %d", queued)
	}
	t.Logf("flood: %d frames to %d sockets in %v (%.0f frames/s)", queued, len(sessions), el, float64(queued)/el.Seconds())
}

func TestFloodStopsOnContext(t *testing.T) {
	srv, _ := newFake(t, fakemeeting.Config{SendQueue: 16})
	connect(t, srv, srv.Client(), []string{"ParticipantsNotify"}, -1)
	srv.Faults().Stall(true)
	defer srv.Faults().Stall(false)
	ctx := ctxT(t)
	ctx, cancel := contextWithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	n, err := srv.Meeting().Flood(ctx, 1000, fakemeeting.FloodParticipants)
	if err == nil || n > 20 {
		t.Errorf("flood into a stalled socket: %d, %v", n, err)
	}
}

func TestEndClosesWhileFlooding(t *testing.T) {
	// Close must join everything even with a full queue and a writer that
	// the client never reads from.
	srv, _ := newFake(t, fakemeeting.Config{Participants: roster, SendQueue: 16})
	connect(t, srv, srv.Client(), []string{"ParticipantsNotify"}, -1)
	ctx, cancel := contextWithTimeout(ctxT(t), 200*time.Millisecond)
	defer cancel()
	_, _ = srv.Meeting().Flood(ctx, 1_000_000, fakemeeting.FloodParticipants)
	srv.Close()
}
