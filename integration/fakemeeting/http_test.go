package fakemeeting_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/confwatch/confwatch/integration/fakemeeting"
)

var tokenRe = regexp.MustCompile(`^[a-z]{3}[0-9a-f]{48}$`)

func TestLoginResponse(t *testing.T) {
	srv, fc := newFake(t, fakemeeting.Config{})
	c := srv.Client()
	r := loginResp(t, srv, c, "604117", nil)
	if r.Status != 200 {
		t.Fatalf("status %d %s", r.Status, r.Raw)
	}
	if r.Header.Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id")
	}
	d := data(r)
	tok := d["token"].(string)
	if !tokenRe.MatchString(tok) || len(tok) != 51 {
		t.Errorf("token %q: want 3 letters + 48 hex", tok)
	}
	if !tokenRe.MatchString(d["tmpWsToken"].(string)) {
		t.Errorf("tmpWsToken %q", d["tmpWsToken"])
	}
	if d["wsURL"] != wsBase(srv) {
		t.Errorf("wsURL %v, want %s", d["wsURL"], wsBase(srv))
	}
	if d["role"] != json.Number("1") {
		t.Errorf("role %v", d["role"])
	}
	exp, _ := d["expireTime"].(json.Number).Int64()
	if want := fc.Now().Add(30 * time.Minute).UnixMilli(); exp != want {
		t.Errorf("expireTime %d, want %d", exp, want)
	}
	if d["confTokenExpireTime"] != json.Number("1800") {
		t.Errorf("confTokenExpireTime %v", d["confTokenExpireTime"])
	}
	for _, k := range []string{"userID", "orgID", "vmrCurrentConfID"} {
		if _, ok := d[k].(string); !ok {
			t.Errorf("data.%s missing or not a string", k)
		}
	}
	var types []string
	for _, x := range d["supportNotifyType"].([]any) {
		types = append(types, x.(string))
	}
	if len(types) != 10 || !slices.Contains(types, "NetConditionNotify") || !slices.Contains(types, "InterpreterGroupNotify") {
		t.Errorf("supportNotifyType %v", types)
	}
	if r.Body["gloablPublicIP"] != "meeting.huaweicloud.com" || r.Body["addressToken"] == "" {
		t.Errorf("top-level fields: %v", r.Body)
	}
	if st := srv.Stats(); st.Logins != 1 || st.KeepAlives != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestLoginErrors(t *testing.T) {
	srv, _ := newFake(t, fakemeeting.Config{})
	c := srv.Client()
	cases := []struct {
		name   string
		url    string
		hdr    map[string]string
		status int
		code   string
	}{
		{"wrong password", tokenURL(srv, srv.ConferenceID()), map[string]string{"X-Login-Type": "1", "X-Password": "000000"}, 400, "MMC.111072065"},
		{"no password", tokenURL(srv, srv.ConferenceID()), map[string]string{"X-Login-Type": "1"}, 400, "MMC.111072065"},
		{"wrong ID", tokenURL(srv, "123456789"), map[string]string{"X-Login-Type": "1", "X-Password": "604117"}, 400, "MMC.111072065"},
		{"no login type", tokenURL(srv, srv.ConferenceID()), map[string]string{"X-Password": "604117"}, 400, "MMC.111070001"},
		{"no conferenceID", srv.URL() + fakemeeting.PathToken, map[string]string{"X-Login-Type": "1", "X-Password": "604117"}, 400, "MMC.111070001"},
		{"unknown token, no password", tokenURL(srv, srv.ConferenceID()), map[string]string{"X-Login-Type": "1", "X-Conference-Authorization": "stb00"}, 400, "MMC.111070004"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := doGet(t, c, tc.url, tc.hdr)
			if r.Status != tc.status || r.errorCode() != tc.code {
				t.Fatalf("got %d %s, want %d %s", r.Status, r.Raw, tc.status, tc.code)
			}
			if r.Body["error_msg"] == "" || r.Header.Get("X-Request-Id") == "" {
				t.Errorf("error body/header incomplete: %s %v", r.Raw, r.Header)
			}
		})
	}
	r := doGet(t, c, tokenURL(srv, srv.ConferenceID()), map[string]string{"X-Login-Type": "1", "X-Password": "000000"})
	if r.Body["error_msg"] != "CONF_NOT_FOUND_OR_AUTH_FAILED" {
		t.Errorf("error_msg %v", r.Body["error_msg"])
	}
}

func TestKeepAlive(t *testing.T) {
	srv, fc := newFake(t, fakemeeting.Config{})
	c := srv.Client()
	tok := login(t, srv, c)

	fc.Advance(10 * time.Minute)
	for i, auth := range []string{tok, basic(tok)} {
		// password absent: not checked on keep-alive; wrong one: ignored.
		extra := map[string]string{"X-Conference-Authorization": auth}
		pwd := ""
		if i == 1 {
			pwd = "wrong"
		}
		r := loginResp(t, srv, c, pwd, extra)
		if r.Status != 200 {
			t.Fatalf("keep-alive %d: %d %s", i, r.Status, r.Raw)
		}
		d := data(r)
		if d["token"] != tok {
			t.Errorf("keep-alive %d: token changed", i)
		}
		exp, _ := d["expireTime"].(json.Number).Int64()
		if want := fc.Now().Add(30 * time.Minute).UnixMilli(); exp != want {
			t.Errorf("keep-alive %d: expireTime %d, want %d", i, exp, want)
		}
		fc.Advance(time.Minute)
	}
	if st := srv.Stats(); st.KeepAlives != 2 || st.Logins != 1 {
		t.Errorf("stats %+v", st)
	}

	// Let it lapse: without a password the call fails, with one it is a
	// fresh login.
	fc.Advance(31 * time.Minute)
	r := loginResp(t, srv, c, "", map[string]string{"X-Conference-Authorization": tok})
	if r.Status != 400 || r.errorCode() != "MMC.111070004" {
		t.Fatalf("lapsed keep-alive without password: %d %s", r.Status, r.Raw)
	}
	r = loginResp(t, srv, c, srv.HostPassword(), map[string]string{"X-Conference-Authorization": tok})
	if r.Status != 200 || data(r)["token"] == tok {
		t.Fatalf("lapsed keep-alive with password: %d %s", r.Status, r.Raw)
	}
	if st := srv.Stats(); st.Logins != 2 {
		t.Errorf("Logins %d, want 2", st.Logins)
	}
}

func TestWSTokenEndpoint(t *testing.T) {
	srv, fc := newFake(t, fakemeeting.Config{})
	c := srv.Client()
	tok := login(t, srv, c)

	seen := map[string]bool{}
	for _, auth := range []string{tok, basic(tok), tok} {
		w := wsToken(t, srv, c, auth)
		if !tokenRe.MatchString(w) || seen[w] {
			t.Errorf("wsToken %q: malformed or repeated", w)
		}
		seen[w] = true
	}
	r := wsTokenResp(t, srv, c, "")
	if r.Status != 401 || r.errorCode() != "MMC.111070111" {
		t.Errorf("no auth: %d %s", r.Status, r.Raw)
	}
	r = wsTokenResp(t, srv, c, "stb0000")
	if r.Status != 401 || r.errorCode() != "MMC.111070004" {
		t.Errorf("bad auth: %d %s", r.Status, r.Raw)
	}
	r = doGet(t, c, srv.URL()+fakemeeting.PathWSToken+"?conferenceID=111", map[string]string{"X-Conference-Authorization": tok})
	if r.Status != 400 {
		t.Errorf("wrong conferenceID: %d %s", r.Status, r.Raw)
	}
	fc.Advance(30 * time.Minute)
	r = wsTokenResp(t, srv, c, tok)
	if r.Status != 401 || r.errorCode() != "MMC.111070004" {
		t.Errorf("expired control token: %d %s", r.Status, r.Raw)
	}
	if st := srv.Stats(); st.TokensIssued != 3 || st.WSTokenRequests != 7 {
		t.Errorf("stats %+v", st)
	}
	res, err := c.Post(wsTokenURL(srv), "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", res.StatusCode)
	}
}

// TestWSTokenMethods: the page documents GET but its raw-request sample
// shows PUT (protocol §2.2); the fake takes both by default, and refuses
// with 405 a method Config.WSTokenMethods leaves out.
func TestWSTokenMethods(t *testing.T) {
	cases := []struct {
		name    string
		methods []string
		want    map[string]int // method → status
	}{
		{"default: both", nil, map[string]int{"GET": 200, "PUT": 200, "POST": 405}},
		{"GET only", []string{"GET"}, map[string]int{"GET": 200, "PUT": 405}},
		{"PUT only", []string{"PUT"}, map[string]int{"GET": 405, "PUT": 200}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, _ := newFake(t, fakemeeting.Config{WSTokenMethods: c.methods})
			hc := srv.Client()
			ctl := login(t, srv, hc)
			refused, puts := 0, 0
			for _, m := range []string{"GET", "PUT", "POST"} {
				want, ok := c.want[m]
				if !ok {
					continue
				}
				r := doMethod(t, hc, m, wsTokenURL(srv), map[string]string{"X-Conference-Authorization": ctl})
				if r.Status != want {
					t.Errorf("%s: %d %s, want %d", m, r.Status, r.Raw, want)
				}
				switch {
				case want == 405:
					refused++
					if r.errorCode() != "MMC.111070001" || r.Header.Get("Allow") == "" {
						t.Errorf("%s refused without the error body or Allow: %v %s", m, r.Header, r.Raw)
					}
				case m == "PUT":
					puts++
				}
				if want == 200 && r.Body["webSocketToken"] == nil {
					t.Errorf("%s: no token in %s", m, r.Raw)
				}
			}
			st := srv.Stats()
			if st.WSTokenMethodRefused != int64(refused) || st.WSTokenPuts != int64(puts) {
				t.Errorf("stats refused %d puts %d, want %d, %d", st.WSTokenMethodRefused, st.WSTokenPuts, refused, puts)
			}
		})
	}
	for _, bad := range [][]string{{"POST"}, {}} {
		if _, err := fakemeeting.New(fakemeeting.Config{WSTokenMethods: bad}); err == nil {
			t.Errorf("WSTokenMethods %q accepted", bad)
		}
	}
}

func TestNotStartedThenStart(t *testing.T) {
	srv, _ := newFake(t, fakemeeting.Config{NotStarted: true})
	c := srv.Client()
	r := loginResp(t, srv, c, srv.HostPassword(), nil)
	if r.Status != 400 || r.errorCode() != "MMC.111072005" {
		t.Fatalf("not started: %d %s", r.Status, r.Raw)
	}
	if srv.Meeting().View().State != fakemeeting.StateSchedule {
		t.Errorf("state %s", srv.Meeting().View().State)
	}
	if err := srv.Meeting().Start(); err != nil {
		t.Fatal(err)
	}
	s := connect(t, srv, c, []string{"ConfDynamicInfoNotify"}, -1)
	if s.snapshot[0]["state"] != "Created" {
		t.Errorf("state %v", s.snapshot[0]["state"])
	}
}

func TestSetDelay(t *testing.T) {
	srv, _ := newFake(t, fakemeeting.Config{})
	srv.Faults().SetDelay(300 * time.Millisecond)
	c := srv.Client()
	c.Timeout = 50 * time.Millisecond
	req, _ := http.NewRequest(http.MethodGet, tokenURL(srv, srv.ConferenceID()), nil)
	req.Header.Set("X-Login-Type", "1")
	req.Header.Set("X-Password", srv.HostPassword())
	if res, err := c.Do(req); err == nil {
		res.Body.Close()
		t.Fatal("delayed login answered within the client timeout")
	}
	srv.Faults().SetDelay(0)
	c.Timeout = 5 * time.Second
	login(t, srv, c)
}

func TestRefuseLogin(t *testing.T) {
	srv, _ := newFake(t, fakemeeting.Config{})
	c := srv.Client()
	srv.Faults().RefuseLogin(1, fakemeeting.Refusal{Status: 500, Code: "MMC.111070001"})
	r := loginResp(t, srv, c, srv.HostPassword(), nil)
	if r.Status != 500 || r.errorCode() != "MMC.111070001" {
		t.Fatalf("refused login: %d %s", r.Status, r.Raw)
	}
	login(t, srv, c)
}

func TestRefuseWSToken(t *testing.T) {
	srv, _ := newFake(t, fakemeeting.Config{})
	c := srv.Client()
	tok := login(t, srv, c)
	srv.Faults().RefuseWSToken(2, fakemeeting.Refusal{Status: 401, Code: "MMC.111070004"})
	for i := 0; i < 2; i++ {
		r := wsTokenResp(t, srv, c, tok)
		if r.Status != 401 || r.errorCode() != "MMC.111070004" {
			t.Fatalf("refusal %d: %d %s", i, r.Status, r.Raw)
		}
	}
	wsToken(t, srv, c, tok)
	if st := srv.Stats(); st.TokensIssued != 1 || st.WSTokenRequests != 3 {
		t.Errorf("stats %+v", st)
	}
}

func TestRateLimitRetryAfter(t *testing.T) {
	srv, _ := newFake(t, fakemeeting.Config{})
	c := srv.Client()
	tok := login(t, srv, c)
	srv.Faults().RefuseWSToken(1, fakemeeting.Refusal{Status: 429, Code: "100000429", RetryAfter: 1500 * time.Millisecond})
	r := wsTokenResp(t, srv, c, tok)
	if r.Status != 429 || r.errorCode() != "100000429" || r.Header.Get("Retry-After") != "2" {
		t.Fatalf("rate limit: %d %v %s", r.Status, r.Header, r.Raw)
	}
	srv.Faults().RefuseWSToken(1, fakemeeting.Refusal{Status: 429, Code: "100000429"})
	r = wsTokenResp(t, srv, c, tok)
	if r.Status != 429 || r.Header.Get("Retry-After") != "" {
		t.Fatalf("rate limit without Retry-After: %d %v", r.Status, r.Header)
	}
	wsToken(t, srv, c, tok)
}

func TestConfigValidate(t *testing.T) {
	if err := (fakemeeting.Config{}).Validate(); err != nil {
		t.Errorf("zero config: %v", err)
	}
	bad := []fakemeeting.Config{
		{ConferenceID: "12a"},
		{IdleTimeout: -time.Second},
		{RejectMode: 7},
		{MaxFrameSize: -1},
		{Participants: []fakemeeting.Person{{PID: "a"}, {PID: "a"}}},
	}
	for i, cfg := range bad {
		if err := cfg.Validate(); err == nil {
			t.Errorf("case %d: no error", i)
		}
		if _, err := fakemeeting.New(cfg); err == nil {
			t.Errorf("case %d: New accepted it", i)
		}
	}
}
