package token_test

import (
	"encoding/base64"
	"errors"
	"github.com/confwatch/confwatch/secret"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/confwatch/confwatch/clock"
	"github.com/confwatch/confwatch/token"
)

const controlPath = "/v1/mmc/control/conferences/participants/mute"

// controlAPI serves the token endpoints of fakeAPI and answers every other
// path with respond, recording what arrived.
type controlAPI struct {
	*fakeAPI
	respond func(w http.ResponseWriter, r *http.Request)

	mu   sync.Mutex
	got  []*http.Request
	body []string
}

func (c *controlAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/token") || strings.HasSuffix(r.URL.Path, "/wsToken") {
		c.fakeAPI.ServeHTTP(w, r)
		return
	}
	b, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	c.got = append(c.got, r)
	c.body = append(c.body, string(b))
	c.mu.Unlock()
	c.respond(w, r)
}

func newControlEnv(t *testing.T, respond func(w http.ResponseWriter, r *http.Request)) (*token.Provider, *controlAPI) {
	t.Helper()
	api := &controlAPI{fakeAPI: newFakeAPI(clock.Real()), respond: respond}
	c, _ := newServer(t, api, token.Config{})
	p, err := token.NewProvider(c, token.ProviderConfig{ConferenceID: testConf, Password: secret.New(testPassword)})
	if err != nil {
		t.Fatal(err)
	}
	return p, api
}

// checkMuteRequest checks the request TestDoSendsTheRequestAsGiven sends
// first, as the fake received it.
func checkMuteRequest(t *testing.T, r *http.Request, body string, ctl *token.Control) {
	t.Helper()
	q := r.URL.Query()
	switch {
	case r.Method != http.MethodPut || r.URL.Path != controlPath:
		t.Errorf("sent %s %s", r.Method, r.URL.Path)
	case q.Get("conferenceID") != testConf || q.Get("participantID") != "pid-1" || len(q) != 2:
		t.Errorf("query %v", q)
	case r.Header.Get("Content-Type") != "application/json":
		t.Errorf("Content-Type %q", r.Header.Get("Content-Type"))
	case r.Header.Get("X-Conference-Authorization") != ctl.Token.Reveal():
		t.Error("the control token was not sent")
	case r.Header.Get("X-Password") != "":
		t.Error("the password was sent with a control call")
	case !strings.HasPrefix(r.Header.Get("User-Agent"), "confwatch/"):
		t.Errorf("User-Agent %q", r.Header.Get("User-Agent"))
	case body != `{"isMute":1}`:
		t.Errorf("body sent %q", body)
	}
}

func TestDoSendsTheRequestAsGiven(t *testing.T) {
	p, api := newControlEnv(t, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"returnCode": 0, "returnDesc": "SUCCESS"})
	})
	ctx := testCtx(t)
	ctl, err := p.Control(ctx)
	if err != nil {
		t.Fatal(err)
	}
	body, err := p.Do(ctx, ctl, token.ControlRequest{
		Op: "mute participant", Method: http.MethodPut, Path: controlPath,
		// conferenceID is the Provider's, whatever the query says.
		Query: url.Values{"participantID": {"pid-1"}, "conferenceID": {"other"}},
		Body:  []byte(`{"isMute":1}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), `"returnCode":0`) {
		t.Errorf("body %q", body)
	}
	checkMuteRequest(t, api.got[0], api.body[0], ctl)

	// A GET without a body still says JSON, like the vendor's SDK.
	if _, err := p.Do(ctx, ctl, token.ControlRequest{Op: "real-time info", Path: "/v1/mmc/control/conferences/realTimeInfo"}); err != nil {
		t.Fatal(err)
	}
	if r := api.got[1]; r.Method != http.MethodGet || r.Header.Get("Content-Type") != "application/json" || api.body[1] != "" {
		t.Errorf("GET sent as %s, Content-Type %q, body %q", r.Method, r.Header.Get("Content-Type"), api.body[1])
	}
}

func TestDoScrubsTheTokenAndThePasswordFromErrors(t *testing.T) {
	p, _ := newControlEnv(t, func(w http.ResponseWriter, r *http.Request) {
		tok := r.Header.Get("X-Conference-Authorization")
		echo := tok + " " + testPassword + " Basic " + base64.StdEncoding.EncodeToString([]byte(tok))
		w.Header().Set("X-Request-Id", "rid "+echo)
		writeErr(w, http.StatusForbidden, "MMC.111070002", "not host: "+echo)
	})
	ctx := testCtx(t)
	ctl, err := p.Control(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Do(ctx, ctl, token.ControlRequest{Op: "lock", Method: http.MethodPut, Path: "/v1/mmc/control/conferences/lock", Body: []byte(`{"isLock":1}`)})
	var api *token.APIError
	if !errors.As(err, &api) || !errors.Is(err, token.ErrPermissionDenied) {
		t.Fatalf("err = %v, want an *APIError matching ErrPermissionDenied", err)
	}
	if strings.Contains(err.Error(), "CANARY") || strings.Contains(api.RequestID, "CANARY") {
		t.Errorf("a secret reached the error: %v (request id %q)", err, api.RequestID)
	}
	if !strings.Contains(api.Message, "not host: REDACTED REDACTED Basic REDACTED") || api.Op != "lock" {
		t.Errorf("op %q message %q", api.Op, api.Message)
	}
}

func TestDoRefusesWhatItCannotSend(t *testing.T) {
	p, api := newControlEnv(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	ctx := testCtx(t)
	if _, err := p.Do(ctx, nil, token.ControlRequest{Op: "lock", Path: "/x"}); err == nil {
		t.Error("Do without a control token succeeded")
	}
	ctl, err := p.Control(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Do(ctx, ctl, token.ControlRequest{Op: "lock", Path: "x"}); err == nil {
		t.Error("Do with a relative path succeeded")
	}
	if len(api.got) != 0 {
		t.Errorf("%d requests were sent", len(api.got))
	}
}

func TestControlSentinels(t *testing.T) {
	tests := []struct {
		status int
		code   string
		want   error
	}{
		{403, "", token.ErrPermissionDenied},
		{400, "MMC.111070002", token.ErrPermissionDenied},
		{400, "MMC.111072070", token.ErrPermissionDenied},
		{400, "MMC.111072071", token.ErrPermissionDenied},
		{400, "MMC.111072110", token.ErrPermissionDenied},
		{400, "MMC.111072008", token.ErrParticipantNotFound},
		{400, "111080004", token.ErrParticipantNotFound},
		{400, "MMC.111072045", nil},
	}
	all := []error{token.ErrPermissionDenied, token.ErrParticipantNotFound, token.ErrUnauthorized, token.ErrMeetingEnded, token.ErrCredentialsRejected}
	for _, tt := range tests {
		err := &token.APIError{Op: "x", Status: tt.status, Code: tt.code}
		for _, s := range all {
			if got := errors.Is(err, s); got != (s == tt.want) {
				t.Errorf("http %d %s: errors.Is(%v) = %v", tt.status, tt.code, s, got)
			}
		}
	}
}
