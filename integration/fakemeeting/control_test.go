package fakemeeting_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/integration/fakemeeting"
)

// ctlCall sends one control request with auth in X-Conference-Authorization
// ("" sends none) and decodes the answer.
func ctlCall(t testing.TB, srv *fakemeeting.Server, c *http.Client, method, path, query, auth, body string) httpResp {
	t.Helper()
	url := srv.URL() + fakemeeting.PathControl + path + "?conferenceID=" + srv.ConferenceID()
	if query != "" {
		url += "&" + query
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("X-Conference-Authorization", auth)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := httpResp{Status: res.StatusCode, Header: res.Header, Raw: raw}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&out.Body); err != nil {
		t.Fatalf("%s %s: body %q: %v", method, path, raw, err)
	}
	return out
}

var controlTypes = []string{
	fakemeeting.ConfDynamicInfoNotify, fakemeeting.ParticipantsNotify, fakemeeting.AttendeesNotify,
	fakemeeting.InviteResultNotify, fakemeeting.WaitingListNotify,
}

func controlRoster() fakemeeting.Config {
	return fakemeeting.Config{Participants: []fakemeeting.Person{
		{PID: "host", Name: "Li Wei", Role: fakemeeting.RoleHost},
		{PID: "zhang", Name: "Zhang Min", Tel: "+991110001", Hand: true},
		{PID: "chen", Name: "Chen Jie", Tel: "+991110002"},
	}}
}

// pushes reads n frames and returns "action:entry,entry" summaries of
// the deltas (pid=KEY=value) and "action" for full pushes.
func pushes(t *testing.T, s *session, n int) []frame {
	t.Helper()
	out := make([]frame, 0, n)
	for range n {
		out = append(out, read(t, s.ws))
	}
	return out
}

func entry(f frame, i int) (pid string, mode int64, info map[string]any) {
	e := f.list()[i].(map[string]any)
	pid, _ = e["pid"].(string)
	m, _ := e["mode"].(json.Number).Int64()
	info, _ = e["pinfoMap"].(map[string]any)
	return pid, m, info
}

func TestControlActionsChangeTheMeetingAndPush(t *testing.T) {
	tests := []struct {
		name, method, path, query, body string
		setup                           func(*fakemeeting.Server)
		check                           func(t *testing.T, got []frame, v fakemeeting.View)
		frames                          int
	}{
		{name: "mute one", method: "PUT", path: "/participants/mute", query: "participantID=chen", body: `{"isMute":1}`, frames: 1,
			check: func(t *testing.T, got []frame, v fakemeeting.View) {
				if pid, _, info := entry(got[0], 0); got[0].action() != "ParticipantsNotify" || pid != "chen" || info["MUTE"] != "1" || len(info) != 1 {
					t.Errorf("push %v", got[0])
				}
			}},
		{name: "mute all without self-unmute", method: "PUT", path: "/mute", body: `{"isMute":1,"allowUnmuteByOneself":0}`, frames: 2,
			check: func(t *testing.T, got []frame, v fakemeeting.View) {
				if got[0].action() != "ConfDynamicInfoNotify" || got[0].num("mute") != 1 || got[0].num("canUnmute") != 0 {
					t.Errorf("status push %v", got[0])
				}
				if got[1].action() != "ParticipantsNotify" || len(got[1].list()) != 2 { // the host stays as is
					t.Errorf("participant push %v", got[1])
				}
			}},
		{name: "lower one hand", method: "PUT", path: "/participants/hands", query: "participantID=zhang", body: `{"handsState":0}`, frames: 1,
			check: func(t *testing.T, got []frame, v fakemeeting.View) {
				if v.Participants["zhang"]["HAND"] != "0" {
					t.Errorf("hand still up: %v", got)
				}
			}},
		{name: "raise two hands, one already up", method: "PUT", path: "/participants/batch/hands", body: `{"handsState":1,"pids":["zhang","chen"]}`, frames: 1,
			check: func(t *testing.T, got []frame, v fakemeeting.View) {
				if pid, _, info := entry(got[0], 0); len(got[0].list()) != 1 || pid != "chen" || info["HAND"] != "1" {
					t.Errorf("push %v", got[0])
				}
			}},
		{name: "lock", method: "PUT", path: "/lock", body: `{"isLock":1}`, frames: 1,
			check: func(t *testing.T, got []frame, v fakemeeting.View) {
				if got[0].num("lock") != 1 || !v.Locked {
					t.Errorf("push %v, view locked %v", got[0], v.Locked)
				}
			}},
		{name: "record", method: "PUT", path: "/record", body: `{"isRecord":1}`, frames: 1,
			check: func(t *testing.T, got []frame, v fakemeeting.View) {
				if got[0].num("recState") != 1 || got[0].num("recOccurred") != 1 || !v.Recording {
					t.Errorf("push %v", got[0])
				}
			}},
		{name: "extend 40 minutes", method: "PUT", path: "/duration", body: `{"auto":0,"duration":40}`, frames: 1,
			check: func(t *testing.T, got []frame, v fakemeeting.View) {
				if end := got[0].num("endTime"); end != t0.Add(2*time.Hour+40*time.Minute).UnixMilli() {
					t.Errorf("endTime %d", end)
				}
			}},
		{name: "rename", method: "PUT", path: "/participants/name", body: `{"participantID":"chen","number":"+991110002","newName":"Chen Jie (presenting)"}`, frames: 1,
			check: func(t *testing.T, got []frame, v fakemeeting.View) {
				if v.Participants["chen"]["NAME"] != "Chen Jie (presenting)" {
					t.Errorf("view %v", v.Participants["chen"])
				}
			}},
		{name: "co-host", method: "PUT", path: "/participants/cohost", query: "participantID=zhang", body: `{"isCohost":1}`, frames: 1,
			check: func(t *testing.T, got []frame, v fakemeeting.View) {
				if v.Participants["zhang"]["IS_COHOST"] != "1" {
					t.Errorf("view %v", v.Participants["zhang"])
				}
			}},
		{name: "hand the host role over", method: "PUT", path: "/participants/role", query: "participantID=chen", body: `{"applyChair":1}`, frames: 1,
			check: func(t *testing.T, got []frame, v fakemeeting.View) {
				if len(got[0].list()) != 2 || v.Participants["chen"]["ROLE"] != "1" || v.Participants["host"]["ROLE"] != "0" {
					t.Errorf("push %v", got[0])
				}
			}},
		{name: "hang up", method: "POST", path: "/participants/delete", body: `{"bulkHangUpParticipants":["chen"]}`, frames: 2,
			check: func(t *testing.T, got []frame, v fakemeeting.View) {
				if _, mode, _ := entry(got[0], 0); mode != 1 || got[1].action() != "InviteResultNotify" || v.InviteResults["+991110002"] != "11076016" {
					t.Errorf("pushes %v", got)
				}
			}},
		{name: "invite", method: "POST", path: "/participants", body: `{"attendees":[{"name":"Wang Fang","phone":"+991110009","type":"normal"}]}`, frames: 4,
			check: func(t *testing.T, got []frame, v fakemeeting.View) {
				var actions []string
				for _, f := range got {
					actions = append(actions, f.action())
				}
				want := []string{"AttendeesNotify", "ParticipantsNotify", "ParticipantsNotify", "InviteResultNotify"}
				if !slices.Equal(actions, want) || len(v.Participants) != 4 || v.InviteResults["+991110009"] != "0" {
					t.Errorf("pushes %v, view %+v", actions, v)
				}
				if _, _, info := entry(got[1], 0); info["STATE"] != "1" {
					t.Errorf("the callee did not ring first: %v", info)
				}
			}},
		{name: "admit", method: "PUT", path: "/allowWaitingParticipant", body: `{"participantID":"wang"}`, frames: 3,
			setup: func(s *fakemeeting.Server) {
				_, _ = s.Meeting().WaitingRoomJoin(fakemeeting.Person{PID: "wang", Name: "Guest Wang"})
			},
			check: func(t *testing.T, got []frame, v fakemeeting.View) {
				if got[1].action() != "ParticipantsNotify" || len(v.WaitingRoom) != 0 || v.Participants["wang"]["NAME"] != "Guest Wang" {
					t.Errorf("pushes %v", got)
				}
				if _, mode, _ := entry(got[2], 0); got[2].action() != "WaitingListNotify" || mode != 1 {
					t.Errorf("no removal from the waiting list: %v", got[2])
				}
			}},
		{name: "admit all", method: "PUT", path: "/allowWaitingParticipant", body: `{"allowAll":true}`, frames: 3,
			setup: func(s *fakemeeting.Server) {
				_, _ = s.Meeting().WaitingRoomJoin(fakemeeting.Person{PID: "w1"})
				_, _ = s.Meeting().WaitingRoomJoin(fakemeeting.Person{PID: "w2"})
			},
			check: func(t *testing.T, got []frame, v fakemeeting.View) {
				if len(v.WaitingRoom) != 0 || len(v.Participants) != 5 || len(got[1].list()) != 2 {
					t.Errorf("view %+v", v)
				}
			}},
		{name: "move to the waiting room", method: "PUT", path: "/moveToWaitingRoom", body: `{"participantID":"chen"}`, frames: 2,
			check: func(t *testing.T, got []frame, v fakemeeting.View) {
				if _, ok := v.WaitingRoom["chen"]; !ok || len(v.Participants) != 2 || got[1].action() != "WaitingListNotify" {
					t.Errorf("pushes %v", got)
				}
			}},
		{name: "move two", method: "PUT", path: "/batchMoveToWaitingRoom", body: `{"batchParticipants":["chen","zhang"]}`, frames: 2,
			check: func(t *testing.T, got []frame, v fakemeeting.View) {
				if len(v.WaitingRoom) != 2 || len(got[0].list()) != 2 {
					t.Errorf("pushes %v", got)
				}
			}},
		{name: "stop", method: "PUT", path: "/stop", frames: 1,
			check: func(t *testing.T, got []frame, v fakemeeting.View) {
				if got[0]["state"] != "Destroyed" || v.State != "Destroyed" {
					t.Errorf("push %v", got[0])
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := newFake(t, controlRoster())
			c := srv.Client()
			if tt.setup != nil {
				tt.setup(srv)
			}
			s := connect(t, srv, c, controlTypes, -1)
			r := ctlCall(t, srv, c, tt.method, tt.path, tt.query, s.ctl, tt.body)
			if r.Status != 200 || r.Body["returnCode"] != json.Number("0") || r.Header.Get("X-Request-Id") == "" {
				t.Fatalf("answer %d %s", r.Status, r.Raw)
			}
			tt.check(t, pushes(t, s, tt.frames), srv.Meeting().View())
			reqs := srv.Control().Requests()
			if len(reqs) != 1 || reqs[0].Status != 200 || !reqs[0].Authorized || reqs[0].ContentType != "application/json" {
				t.Errorf("recorded %+v", reqs)
			}
		})
	}
}

func TestControlSetThatChangesNothingPushesNothing(t *testing.T) {
	srv, _ := newFake(t, controlRoster())
	c := srv.Client()
	s := connect(t, srv, c, controlTypes, -1)
	for _, call := range [][3]string{
		{"/participants/hands", "participantID=zhang", `{"handsState":1}`}, // already up
		{"/lock", "", `{"isLock":0}`},
		{"/record", "", `{"isRecord":0}`},
	} {
		if r := ctlCall(t, srv, c, "PUT", call[0], call[1], s.ctl, call[2]); r.Status != 200 {
			t.Fatalf("%s: %d %s", call[0], r.Status, r.Raw)
		}
	}
	// The next push is the one this call makes, not an echo of the above.
	if r := ctlCall(t, srv, c, "PUT", "/participants/mute", "participantID=chen", s.ctl, `{"isMute":1}`); r.Status != 200 {
		t.Fatal(r.Status)
	}
	if f := read(t, s.ws); f.action() != "ParticipantsNotify" || f.num("version") != 1 {
		t.Errorf("first push after no-op sets: %v", f)
	}
}

func TestControlRefusesMalformedRequests(t *testing.T) {
	tests := []struct {
		name, method, path, query, body string
		status                          int
		code                            string
	}{
		{"wrong method", "POST", "/lock", "", `{"isLock":1}`, 405, "MMC.111070001"},
		{"GET on a PUT", "GET", "/participants/mute", "participantID=chen", "", 405, "MMC.111070001"},
		{"unknown path", "PUT", "/lockk", "", `{"isLock":1}`, 404, "MMC.111070001"},
		{"pid missing from the query", "PUT", "/participants/mute", "", `{"isMute":1}`, 400, "MMC.111070001"},
		{"pid in the body instead", "PUT", "/participants/mute", "", `{"isMute":1,"participantID":"chen"}`, 400, "MMC.111070001"},
		{"no body", "PUT", "/lock", "", "", 400, "MMC.111072057"},
		{"not JSON", "PUT", "/lock", "", `isLock=1`, 400, "MMC.111070001"},
		{"an array", "PUT", "/lock", "", `[1]`, 400, "MMC.111070001"},
		{"key missing", "PUT", "/lock", "", `{}`, 400, "MMC.111070001"},
		{"switch as a string", "PUT", "/lock", "", `{"isLock":"1"}`, 400, "MMC.111070001"},
		{"switch as a bool", "PUT", "/participants/mute", "participantID=chen", `{"isMute":true}`, 400, "MMC.111070001"},
		{"switch out of range", "PUT", "/participants/mute", "participantID=chen", `{"isMute":2}`, 400, "MMC.111072045"},
		{"fractional integer", "PUT", "/duration", "", `{"auto":0,"duration":1.5}`, 400, "MMC.111070001"},
		{"misspelt key", "PUT", "/record", "", `{"isRecording":1}`, 400, "MMC.111070001"},
		{"extra key", "PUT", "/record", "", `{"isRecord":1,"force":true}`, 400, "MMC.111070001"},
		{"pids not a list", "PUT", "/participants/batch/hands", "", `{"handsState":0,"pids":"zhang"}`, 400, "MMC.111070001"},
		{"empty pid list", "POST", "/participants/delete", "", `{"bulkHangUpParticipants":[]}`, 400, "MMC.111070001"},
		{"allowAll as an int", "PUT", "/allowWaitingParticipant", "", `{"allowAll":1}`, 400, "MMC.111070001"},
		{"admit without whom", "PUT", "/allowWaitingParticipant", "", `{}`, 400, "MMC.111070001"},
		{"invite without type", "POST", "/participants", "", `{"attendees":[{"name":"A","phone":"+1"}]}`, 400, "MMC.111070001"},
		{"invite of an unknown type", "POST", "/participants", "", `{"attendees":[{"name":"A","phone":"+1","type":"fax"}]}`, 400, "MMC.111070001"},
		{"stop with a body", "PUT", "/stop", "", `{"now":1}`, 400, "MMC.111070001"},
		{"unknown participant", "PUT", "/participants/mute", "participantID=nobody", `{"isMute":1}`, 400, "MMC.111072008"},
		{"one unknown in a batch", "PUT", "/participants/batch/hands", "", `{"handsState":0,"pids":["zhang","nobody"]}`, 400, "MMC.111072008"},
		{"the host's hand", "PUT", "/participants/hands", "participantID=host", `{"handsState":1}`, 400, "MMC.111072069"},
		{"host as co-host", "PUT", "/participants/cohost", "participantID=host", `{"isCohost":1}`, 400, "MMC.111072107"},
		{"wrong chairman password", "PUT", "/participants/role", "participantID=chen", `{"applyChair":1,"chairmanPwd":"x"}`, 400, "MMC.111072018"},
		{"empty new name", "PUT", "/participants/name", "", `{"participantID":"chen","number":"+991110002","newName":""}`, 400, "MMC.111072046"},
	}
	srv, _ := newFake(t, controlRoster())
	c := srv.Client()
	ctl := login(t, srv, c)
	before := srv.Meeting().View()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ctlCall(t, srv, c, tt.method, tt.path, tt.query, ctl, tt.body)
			if r.Status != tt.status || r.errorCode() != tt.code || r.Body["error_msg"] == "" {
				t.Errorf("answer %d %s, want %d %s", r.Status, r.Raw, tt.status, tt.code)
			}
		})
	}
	if after := srv.Meeting().View(); after.Locked || after.Recording || len(after.Participants) != len(before.Participants) ||
		after.Participants["zhang"]["HAND"] != "1" || after.Participants["chen"]["MUTE"] != "0" {
		t.Errorf("a refused request changed the meeting: %+v", after)
	}
}

func TestControlChecksTheControlToken(t *testing.T) {
	srv, fc := newFake(t, controlRoster())
	c := srv.Client()
	ctl := login(t, srv, c)
	body := `{"isLock":1}`
	if r := ctlCall(t, srv, c, "PUT", "/lock", "", "", body); r.Status != 400 || r.errorCode() != fakemeeting.CodeTokenEmpty {
		t.Errorf("no token: %d %s", r.Status, r.Raw)
	}
	if r := ctlCall(t, srv, c, "PUT", "/lock", "", "stb"+strings.Repeat("0", 48), body); r.Status != 401 {
		t.Errorf("a token the fake never issued: %d %s", r.Status, r.Raw)
	}
	if r := ctlCall(t, srv, c, "PUT", "/lock", "", basic(ctl), body); r.Status != 200 {
		t.Errorf("Basic token: %d %s", r.Status, r.Raw)
	}
	fc.Advance(fakemeeting.DefaultControlTokenTTL + time.Second)
	if r := ctlCall(t, srv, c, "PUT", "/lock", "", ctl, `{"isLock":0}`); r.Status != 401 || r.errorCode() != fakemeeting.CodeAuthFailed {
		t.Errorf("expired token: %d %s", r.Status, r.Raw)
	}
	ctl = login(t, srv, c)
	if err := srv.Meeting().End(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := ctlCall(t, srv, c, "PUT", "/lock", "", ctl, `{"isLock":0}`); r.Status != 400 || r.errorCode() != fakemeeting.CodeEnded {
		t.Errorf("ended meeting: %d %s", r.Status, r.Raw)
	}
	if srv.Meeting().View().Locked != true {
		t.Error("a refused unlock unlocked")
	}
}

func TestControlRoles(t *testing.T) {
	srv, _ := newFake(t, controlRoster())
	c := srv.Client()
	ctl := login(t, srv, c)
	k := srv.Control()

	k.SetCaller(fakemeeting.CallerGuest)
	if r := ctlCall(t, srv, c, "PUT", "/lock", "", ctl, `{"isLock":1}`); r.Status != 400 || r.errorCode() != fakemeeting.CodeGuestNotAllowed {
		t.Errorf("guest lock: %d %s", r.Status, r.Raw)
	}
	if r := ctlCall(t, srv, c, "GET", "/realTimeInfo", "", ctl, ""); r.Status != 200 {
		t.Errorf("guest read: %d %s", r.Status, r.Raw)
	}
	k.SetDenyStatus(http.StatusForbidden)
	if r := ctlCall(t, srv, c, "PUT", "/lock", "", ctl, `{"isLock":1}`); r.Status != 403 {
		t.Errorf("guest lock with 403 refusals: %d %s", r.Status, r.Raw)
	}

	k.SetCaller(fakemeeting.CallerCohost)
	k.SetDenyStatus(http.StatusBadRequest)
	if r := ctlCall(t, srv, c, "PUT", "/participants/mute", "participantID=host", ctl, `{"isMute":1}`); r.errorCode() != fakemeeting.CodeCohostOnHost {
		t.Errorf("co-host mutes the host: %d %s", r.Status, r.Raw)
	}
	if r := ctlCall(t, srv, c, "PUT", "/stop", "", ctl, ""); r.errorCode() != fakemeeting.CodeNoPermission {
		t.Errorf("co-host stops: %d %s", r.Status, r.Raw)
	}
	if r := ctlCall(t, srv, c, "PUT", "/participants/mute", "participantID=chen", ctl, `{"isMute":1}`); r.Status != 200 {
		t.Errorf("co-host mutes a guest: %d %s", r.Status, r.Raw)
	}
	if v := srv.Meeting().View(); v.Locked || v.State != "Created" || v.Participants["host"]["MUTE"] != "0" {
		t.Errorf("a refused action acted: %+v", v)
	}
}

func TestControlRealTimeInfo(t *testing.T) {
	cfg := controlRoster()
	cfg.Participants[2].Cohost = true
	cfg.Participants[2].Muted = true
	cfg.Attendees = []fakemeeting.Attendee{{Name: "Wang Fang", Phone: "+991110009", AccountID: "wang"}}
	srv, _ := newFake(t, cfg)
	c := srv.Client()
	r := ctlCall(t, srv, c, "GET", "/realTimeInfo", "", login(t, srv, c), "")
	var got struct {
		Attendees []struct {
			AccountID string `json:"accountID"`
			Name      string `json:"name"`
		} `json:"attendees"`
		Participants []struct {
			PID  string `json:"pid"`
			Name string `json:"name"`
			Mute int    `json:"mute"`
			Hand int    `json:"hand"`
		} `json:"participants"`
		ConfInfo struct {
			ChairID string   `json:"chairID"`
			CoHosts []string `json:"coHosts"`
		} `json:"confInfo"`
	}
	if err := json.Unmarshal(r.Raw, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Participants) != 3 || got.Participants[1].Hand != 1 || got.Participants[2].Mute != 1 ||
		got.ConfInfo.ChairID != "host" || !slices.Equal(got.ConfInfo.CoHosts, []string{"chen"}) ||
		len(got.Attendees) != 1 || got.Attendees[0].AccountID != "wang" {
		t.Errorf("real-time info %s", r.Raw)
	}
}

func TestControlFaults(t *testing.T) {
	srv, _ := newFake(t, controlRoster())
	c := srv.Client()
	ctl := login(t, srv, c)
	k := srv.Control()
	k.Refuse("LockMeeting", 2, fakemeeting.Refusal{Status: 429, Code: fakemeeting.CodeFlowControl, RetryAfter: 1500 * time.Millisecond})
	for i := range 2 {
		r := ctlCall(t, srv, c, "PUT", "/lock", "", ctl, `{"isLock":1}`)
		if r.Status != 429 || r.Header.Get("Retry-After") != "2" || r.errorCode() != fakemeeting.CodeFlowControl {
			t.Errorf("refusal %d: %d %v %s", i, r.Status, r.Header, r.Raw)
		}
	}
	if r := ctlCall(t, srv, c, "PUT", "/record", "", ctl, `{"isRecord":1}`); r.Status != 200 {
		t.Errorf("another action was refused: %d", r.Status)
	}
	if r := ctlCall(t, srv, c, "PUT", "/lock", "", ctl, `{"isLock":1}`); r.Status != 200 || !srv.Meeting().View().Locked {
		t.Errorf("third lock: %d", r.Status)
	}

	k.Delay("", time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "PUT", srv.URL()+fakemeeting.PathControl+"/lock?conferenceID="+srv.ConferenceID(), strings.NewReader(`{"isLock":0}`))
	req.Header.Set("X-Conference-Authorization", ctl)
	if _, err := c.Do(req); err == nil {
		t.Fatal("a delayed answer came at once")
	}
	// The abandoned call is logged once the fake notices the client left.
	deadline := time.Now().Add(readWait)
	for len(k.Requests()) < 5 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	k.Delay("", 0)
	if !srv.Meeting().View().Locked {
		t.Error("the abandoned unlock acted")
	}
	reqs := k.Requests()
	if len(reqs) != 5 || reqs[0].Op != "LockMeeting" || reqs[0].Status != 429 || string(reqs[3].Body) != `{"isLock":1}` || reqs[4].Status != 503 {
		t.Errorf("requests %+v", reqs)
	}
	defer func() {
		if recover() == nil {
			t.Error("Refuse of an unknown operation did not panic")
		}
	}()
	k.Refuse("Lock", 1, fakemeeting.Refusal{})
}
