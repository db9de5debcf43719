package control_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/confwatch/confwatch/control"
	"github.com/confwatch/confwatch/integration/fakemeeting"
)

// shapes lists every action with the request the REST reference gives for
// it (§5): method, path, query besides conferenceID, body keys with their
// JSON types, and the values that matter.
var shapes = []struct {
	name   string
	setup  func(*fakemeeting.Server) error
	act    func(context.Context, *control.Client) error
	op     string // the fake's name for the vendor operation
	method string
	path   string
	query  url.Values
	shape  string            // sorted "key:type" of the body; "" for no body
	values map[string]string // body values, as JSON text
}{
	{name: "mute one", op: "MuteParticipant", method: "PUT", path: "/participants/mute", query: url.Values{"participantID": {"pid-chen-jie"}},
		act:   func(ctx context.Context, c *control.Client) error { return c.Mute(ctx, "pid-chen-jie", true) },
		shape: "isMute:number", values: map[string]string{"isMute": "1"}},
	{name: "unmute one", op: "MuteParticipant", method: "PUT", path: "/participants/mute", query: url.Values{"participantID": {"pid-chen-jie"}},
		act:   func(ctx context.Context, c *control.Client) error { return c.Mute(ctx, "pid-chen-jie", false) },
		shape: "isMute:number", values: map[string]string{"isMute": "0"}},
	{name: "mute all, no self-unmute", op: "MuteMeeting", method: "PUT", path: "/mute",
		act:   func(ctx context.Context, c *control.Client) error { return c.MuteAll(ctx, true, false) },
		shape: "allowUnmuteByOneself:number isMute:number", values: map[string]string{"isMute": "1", "allowUnmuteByOneself": "0"}},
	{name: "unmute all", op: "MuteMeeting", method: "PUT", path: "/mute",
		act:   func(ctx context.Context, c *control.Client) error { return c.MuteAll(ctx, false, true) },
		shape: "isMute:number", values: map[string]string{"isMute": "0"}},
	{name: "lock", op: "LockMeeting", method: "PUT", path: "/lock",
		act:   func(ctx context.Context, c *control.Client) error { return c.Lock(ctx, true) },
		shape: "isLock:number", values: map[string]string{"isLock": "1"}},
	{name: "unlock", op: "LockMeeting", method: "PUT", path: "/lock",
		act:   func(ctx context.Context, c *control.Client) error { return c.Lock(ctx, false) },
		shape: "isLock:number", values: map[string]string{"isLock": "0"}},
	{name: "start recording", op: "Record", method: "PUT", path: "/record",
		act:   func(ctx context.Context, c *control.Client) error { return c.Record(ctx, true) },
		shape: "isRecord:number", values: map[string]string{"isRecord": "1"}},
	{name: "stop recording", op: "Record", method: "PUT", path: "/record",
		act:   func(ctx context.Context, c *control.Client) error { return c.Record(ctx, false) },
		shape: "isRecord:number", values: map[string]string{"isRecord": "0"}},
	{name: "rename", op: "RenameParticipant", method: "PUT", path: "/participants/name",
		act: func(ctx context.Context, c *control.Client) error {
			return c.Rename(ctx, "pid-chen-jie", "Chen Jie (presenting)")
		},
		shape:  "newName:string number:string participantID:string",
		values: map[string]string{"participantID": `"pid-chen-jie"`, "number": `"+99111000002"`, "newName": `"Chen Jie (presenting)"`}},
	{name: "admit one", op: "AllowWaitingParticipant", method: "PUT", path: "/allowWaitingParticipant",
		setup: waitingGuest,
		act:   func(ctx context.Context, c *control.Client) error { return c.Admit(ctx, "pid-guest") },
		shape: "participantID:string", values: map[string]string{"participantID": `"pid-guest"`}},
	{name: "admit all", op: "AllowWaitingParticipant", method: "PUT", path: "/allowWaitingParticipant",
		setup: waitingGuest,
		act:   func(ctx context.Context, c *control.Client) error { return c.AdmitAll(ctx) },
		shape: "allowAll:bool", values: map[string]string{"allowAll": "true"}},
	{name: "move one to the waiting room", op: "MoveToWaitingRoom", method: "PUT", path: "/moveToWaitingRoom",
		act:   func(ctx context.Context, c *control.Client) error { return c.MoveToWaitingRoom(ctx, "pid-chen-jie") },
		shape: "participantID:string", values: map[string]string{"participantID": `"pid-chen-jie"`}},
	{name: "move several to the waiting room", op: "BatchMoveToWaitingRoom", method: "PUT", path: "/batchMoveToWaitingRoom",
		act: func(ctx context.Context, c *control.Client) error {
			return c.MoveToWaitingRoom(ctx, "pid-chen-jie", "pid-zhang-min", "pid-chen-jie")
		},
		shape: "batchParticipants:[]string", values: map[string]string{"batchParticipants": `["pid-chen-jie","pid-zhang-min"]`}},
	{name: "lower one hand", op: "Hand", method: "PUT", path: "/participants/hands", query: url.Values{"participantID": {"pid-zhang-min"}},
		act:   func(ctx context.Context, c *control.Client) error { return c.SetHands(ctx, false, "pid-zhang-min") },
		shape: "handsState:number", values: map[string]string{"handsState": "0"}},
	{name: "raise several hands", op: "BatchHand", method: "PUT", path: "/participants/batch/hands",
		act: func(ctx context.Context, c *control.Client) error {
			return c.SetHands(ctx, true, "pid-zhang-min", "pid-chen-jie")
		},
		shape: "handsState:number pids:[]string", values: map[string]string{"handsState": "1", "pids": `["pid-zhang-min","pid-chen-jie"]`}},
	{name: "lower all hands", op: "BatchHand", method: "PUT", path: "/participants/batch/hands",
		setup: func(s *fakemeeting.Server) error { return s.Meeting().RaiseHand("pid-chen-jie", true) },
		act: func(ctx context.Context, c *control.Client) error {
			_, err := c.SetAllHands(ctx, false)
			return err
		},
		shape: "handsState:number pids:[]string", values: map[string]string{"handsState": "0", "pids": `["pid-zhang-min","pid-chen-jie"]`}},
	{name: "hang up", op: "HangUp", method: "POST", path: "/participants/delete",
		act:   func(ctx context.Context, c *control.Client) error { return c.HangUp(ctx, "pid-chen-jie") },
		shape: "bulkHangUpParticipants:[]string", values: map[string]string{"bulkHangUpParticipants": `["pid-chen-jie"]`}},
	{name: "invite", op: "InviteParticipant", method: "POST", path: "/participants",
		act: func(ctx context.Context, c *control.Client) error {
			return c.Invite(ctx, control.Invitee{Name: "Wang Fang", Phone: "+99111000009"},
				control.Invitee{Name: "Room 3F", Phone: "+99111000010", Type: "terminal", Host: true, AccountID: "room3f"})
		},
		shape: "attendees:[]object attendees[].accountId:string attendees[].name:string attendees[].phone:string attendees[].role:number attendees[].type:string",
		values: map[string]string{"attendees": `[{"name":"Wang Fang","phone":"+99111000009","type":"normal"},` +
			`{"name":"Room 3F","phone":"+99111000010","type":"terminal","role":1,"accountId":"room3f"}]`}},
	{name: "set host", op: "SetRole", method: "PUT", path: "/participants/role", query: url.Values{"participantID": {"pid-chen-jie"}},
		act:   func(ctx context.Context, c *control.Client) error { return c.SetHost(ctx, "pid-chen-jie") },
		shape: "applyChair:number", values: map[string]string{"applyChair": "1"}},
	{name: "release host", op: "SetRole", method: "PUT", path: "/participants/role", query: url.Values{"participantID": {"pid-li-wei"}},
		act:   func(ctx context.Context, c *control.Client) error { return c.ReleaseHost(ctx, "pid-li-wei") },
		shape: "applyChair:number", values: map[string]string{"applyChair": "0"}},
	{name: "make co-host", op: "SetCohost", method: "PUT", path: "/participants/cohost", query: url.Values{"participantID": {"pid-zhang-min"}},
		act:   func(ctx context.Context, c *control.Client) error { return c.SetCohost(ctx, "pid-zhang-min", true) },
		shape: "isCohost:number", values: map[string]string{"isCohost": "1"}},
	{name: "extend", op: "ProlongMeeting", method: "PUT", path: "/duration",
		act:   func(ctx context.Context, c *control.Client) error { return c.Extend(ctx, 39*time.Minute+time.Second) },
		shape: "auto:number duration:number", values: map[string]string{"auto": "0", "duration": "40"}},
	{name: "end", op: "StopMeeting", method: "PUT", path: "/stop",
		act: func(ctx context.Context, c *control.Client) error { return c.End(ctx) }},
	{name: "real-time info", op: "ShowRealTimeInfoOfMeeting", method: "GET", path: "/realTimeInfo",
		act: func(ctx context.Context, c *control.Client) error {
			_, err := c.RealTimeInfo(ctx)
			return err
		}},
}

func waitingGuest(s *fakemeeting.Server) error {
	_, err := s.Meeting().WaitingRoomJoin(fakemeeting.Person{PID: "pid-guest", Name: "Guest Wang"})
	return err
}

func TestEveryActionSendsTheDocumentedRequest(t *testing.T) {
	for _, tt := range shapes {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, roster(), nil)
			if tt.setup != nil {
				if err := tt.setup(r.fake); err != nil {
					t.Fatal(err)
				}
			}
			if err := tt.act(testCtx(t), r.ctl); err != nil {
				t.Fatalf("action failed: %v", err)
			}
			reqs := r.requests(tt.op)
			if len(reqs) != 1 {
				t.Fatalf("the fake got %d %s requests, want 1: %+v", len(reqs), tt.op, r.fake.Control().Requests())
			}
			q := reqs[0]
			if q.Status != http.StatusOK {
				t.Errorf("the fake answered %d %s", q.Status, q.Code)
			}
			if q.Method != tt.method || q.Path != fakemeeting.PathControl+tt.path {
				t.Errorf("sent %s %s, want %s %s", q.Method, q.Path, tt.method, tt.path)
			}
			want := url.Values{"conferenceID": {r.fake.ConferenceID()}}
			for k, v := range tt.query {
				want[k] = v
			}
			if q.Query.Encode() != want.Encode() {
				t.Errorf("query %q, want %q", q.Query.Encode(), want.Encode())
			}
			if q.ContentType != "application/json" || !q.Authorized {
				t.Errorf("Content-Type %q, authorized %v", q.ContentType, q.Authorized)
			}
			if tt.shape == "" {
				if len(q.Body) != 0 {
					t.Errorf("sent a body %q, want none", q.Body)
				}
				return
			}
			if got := shapeString(jsonShape(t, q.Body)); got != tt.shape {
				t.Errorf("body %s has shape\n%s\nwant\n%s", q.Body, got, tt.shape)
			}
			for k, v := range tt.values {
				if got := rawValue(t, q.Body, k); got != canonical(t, []byte(v)) {
					t.Errorf("%s = %s, want %s", k, got, v)
				}
			}
		})
	}
}

func TestDryRunSendsOnlyReads(t *testing.T) {
	var got []control.Request
	r := newRig(t, roster(), func(c *control.Config) { c.DryRun = func(q control.Request) { got = append(got, q) } })
	ctx := testCtx(t)
	if err := r.ctl.Lock(ctx, true); err != nil {
		t.Fatal(err)
	}
	if err := r.ctl.Rename(ctx, "pid-chen-jie", "C. J."); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Method != "PUT" || got[0].Path != "/v1/mmc/control/conferences/lock" ||
		string(got[0].Body) != `{"isLock":1}` || got[0].Query.Get("conferenceID") != r.fake.ConferenceID() || got[1].Op != "rename" {
		t.Errorf("dry run saw %v", got)
	}
	reqs := r.fake.Control().Requests()
	if len(reqs) != 1 || reqs[0].Op != "ShowRealTimeInfoOfMeeting" {
		t.Errorf("the fake got %+v, want only the rename's real-time read", reqs)
	}
	if v := r.fake.Meeting().View(); v.Locked || v.Participants["pid-chen-jie"]["NAME"] != "Chen Jie" {
		t.Errorf("a dry run acted: %+v", v)
	}
}

func TestActionsRefuseBadArguments(t *testing.T) {
	var sent []control.Request
	r := newRig(t, roster(), func(c *control.Config) { c.DryRun = func(q control.Request) { sent = append(sent, q) } })
	ctx := testCtx(t)
	for name, err := range map[string]error{
		"no hands":        r.ctl.SetHands(ctx, true),
		"empty pid":       r.ctl.Mute(ctx, "", true),
		"control char":    r.ctl.HangUp(ctx, "pid\n"),
		"nobody to move":  r.ctl.MoveToWaitingRoom(ctx),
		"zero extension":  r.ctl.Extend(ctx, 0),
		"nameless invite": r.ctl.Invite(ctx, control.Invitee{Phone: "+1"}),
		"no invitees":     r.ctl.Invite(ctx),
		"empty new name":  r.ctl.Rename(ctx, "pid-chen-jie", " "),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if len(sent) != 0 || len(r.fake.Control().Requests()) != 0 {
		t.Errorf("bad arguments were sent: %v", sent)
	}
}
