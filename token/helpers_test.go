package token_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/confwatch/confwatch/clock"
	"github.com/confwatch/confwatch/token"
)

// Canary values: tests search every output for "CANARY".
const (
	testConf     = "986112045"
	testPassword = "CANARYPW-604117"
	testWSURL    = "wss://fake.example:443"
)

var t0 = time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)

// fakeAPI is a small stand-in for the vendor's two endpoints, with knobs
// for the failures the tests need. Its expiry times come from the same
// fake clock the Client uses.
type fakeAPI struct {
	clock    clock.Clock
	lifetime time.Duration

	mu         sync.Mutex
	logins     int
	keepAlives int
	wsTokens   int
	seq        int
	valid      map[string]bool // control tokens the server accepts
	password   string
	// Failure knobs: a non-nil func answers instead of the normal logic
	// when it returns true.
	onLogin     func(w http.ResponseWriter, r *http.Request) bool
	onKeepAlive func(w http.ResponseWriter, r *http.Request) bool
	onWSToken   func(w http.ResponseWriter, r *http.Request) bool
	// gate, when set, holds every token-endpoint request until closed.
	gate     chan struct{}
	arrived  chan struct{} // receives once per token-endpoint request, when set
	userAgts []string
}

func newFakeAPI(c clock.Clock) *fakeAPI {
	return &fakeAPI{clock: c, lifetime: 30 * time.Minute, valid: map[string]bool{}, password: testPassword}
}

func (f *fakeAPI) counts() (logins, keepAlives, wsTokens int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.logins, f.keepAlives, f.wsTokens
}

// mint returns a new control token the server accepts.
func (f *fakeAPI) mint() string {
	f.seq++
	tok := fmt.Sprintf("CANARYTOK-ctl-%04d", f.seq)
	f.valid[tok] = true
	return tok
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.seq++
	rid := fmt.Sprintf("req-%d", f.seq)
	f.userAgts = append(f.userAgts, r.Header.Get("User-Agent"))
	f.mu.Unlock()
	w.Header().Set("X-Request-Id", rid)
	switch r.URL.Path {
	case "/v1/mmc/control/conferences/token":
		f.serveToken(w, r)
	case "/v1/mmc/control/conferences/wsToken":
		f.serveWSToken(w, r)
	default:
		writeErr(w, http.StatusNotFound, "MMC.111070001", "no such path")
	}
}

// set changes knobs while the server runs.
func (f *fakeAPI) set(change func(f *fakeAPI)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

func (f *fakeAPI) serveToken(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	gate, arrived := f.gate, f.arrived
	f.mu.Unlock()
	if arrived != nil {
		arrived <- struct{}{}
	}
	if gate != nil {
		select {
		case <-gate:
		case <-r.Context().Done():
			return
		}
	}
	if r.URL.Query().Get("conferenceID") != testConf || r.Header.Get("X-Login-Type") != "1" {
		writeErr(w, http.StatusBadRequest, "MMC.111070001", "bad request")
		return
	}
	cur := r.Header.Get("X-Conference-Authorization")
	f.mu.Lock()
	defer f.mu.Unlock()
	if cur != "" {
		f.keepAlives++
		if f.onKeepAlive != nil && f.onKeepAlive(w, r) {
			return
		}
		switch {
		case f.valid[cur]:
			f.writeControl(w, cur)
		case r.Header.Get("X-Password") == f.password:
			f.writeControl(w, f.mint())
		default:
			writeErr(w, http.StatusUnauthorized, "MMC.111070004", "AUTH_FAILED")
		}
		return
	}
	f.logins++
	if f.onLogin != nil && f.onLogin(w, r) {
		return
	}
	if r.Header.Get("X-Password") != f.password {
		writeErr(w, http.StatusBadRequest, "MMC.111072065", "CONF_NOT_FOUND_OR_AUTH_FAILED")
		return
	}
	f.writeControl(w, f.mint())
}

func (f *fakeAPI) writeControl(w http.ResponseWriter, tok string) {
	now := f.clock.Now()
	writeJSON(w, http.StatusOK, map[string]any{
		"data": map[string]any{
			"token":               tok,
			"wsURL":               testWSURL,
			"role":                1,
			"expireTime":          now.Add(f.lifetime).UnixMilli(),
			"confTokenExpireTime": int(f.lifetime / time.Second),
			"userID":              "u-1",
			"orgID":               "61037",
			"supportNotifyType":   []string{"ConfBasicInfoNotify", "ParticipantsNotify"},
		},
	})
}

func (f *fakeAPI) serveWSToken(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.wsTokens++
	if f.onWSToken != nil && f.onWSToken(w, r) {
		return
	}
	if !f.valid[r.Header.Get("X-Conference-Authorization")] {
		writeErr(w, http.StatusUnauthorized, "", "unauthorized")
		return
	}
	f.seq++
	writeJSON(w, http.StatusOK, map[string]string{"webSocketToken": fmt.Sprintf("CANARYTOK-ws-%04d", f.seq)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{"error_code": code, "error_msg": msg})
}

// newServer starts h and returns a Client for it; both are shut down when
// the test ends.
func newServer(t *testing.T, h http.Handler, cfg token.Config) (*token.Client, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cfg.BaseURL = srv.URL
	c, err := token.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c, srv
}

// newEnv wires a fakeAPI and a Client on a fake clock.
func newEnv(t *testing.T) (*token.Client, *fakeAPI, *clock.Fake) {
	t.Helper()
	fc := clock.NewFake(t0)
	api := newFakeAPI(fc)
	c, _ := newServer(t, api, token.Config{Clock: fc})
	return c, api, fc
}

// newProvider is newEnv plus a Provider for pc (ConferenceID defaults to
// testConf).
func newProvider(t *testing.T, pc token.ProviderConfig) (*token.Provider, *fakeAPI, *clock.Fake) {
	t.Helper()
	c, api, fc := newEnv(t)
	if pc.ConferenceID == "" {
		pc.ConferenceID = testConf
	}
	p, err := token.NewProvider(c, pc)
	if err != nil {
		t.Fatalf("NewProvider: %v", err)
	}
	return p, api, fc
}

// eventually polls cond for up to 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}
