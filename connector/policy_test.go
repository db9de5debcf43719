package connector

import (
	"context"
	"errors"
	"fmt"
	"github.com/confwatch/confwatch/secret"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/confwatch/confwatch/token"
)

// TestDecide covers the retry policy over every class, the stages whose
// failures count as refused ws tokens, and the histories that change the
// verdict.
func TestDecide(t *testing.T) {
	t0 := time.Date(2026, 1, 6, 9, 0, 0, 0, time.UTC)
	const backoff = 4 * time.Second
	fresh := history{outageStart: t0}
	type want struct {
		stop       error // errors.Is target; nil = retry
		delay      time.Duration
		invalidate bool
		hist       history
	}
	api := func(status int, code string) error {
		return &token.APIError{Op: "ws token", Status: status, Code: code}
	}
	tests := []struct {
		name  string
		stage Stage
		err   error
		hist  history
		now   time.Time
		max   time.Duration // MaxOutage
		want  want
	}{
		{"network failure: plain retry", StageDial, errors.New("connection refused"), fresh, t0, 0,
			want{delay: backoff, hist: fresh}},
		{"retry resets the auth count", StageWSToken, errors.New("eof"), history{authFails: 1, outageStart: t0}, t0, 0,
			want{delay: backoff, hist: fresh}},
		{"first 401: log in again", StageWSToken, api(401, ""), fresh, t0, 0,
			want{delay: backoff, invalidate: true, hist: history{authFails: 1, outageStart: t0}}},
		{"401 again after the fresh login: credentials rejected", StageControl, api(401, "MMC.111070004"), history{authFails: 1, outageStart: t0}, t0, 0,
			want{stop: ErrCredentialsRejected}},
		{"Subscribe returnCode: log in again", StageSubscribe, &SubscribeError{Code: 111070004}, fresh, t0, 0,
			want{delay: backoff, invalidate: true, hist: history{authFails: 1, outageStart: t0}}},
		{"Subscribe returnCode twice: credentials rejected", StageSubscribe, &SubscribeError{Code: 111070004}, history{authFails: 1, outageStart: t0}, t0, 0,
			want{stop: ErrCredentialsRejected}},
		{"first refused upgrade: retry, count it", StageDial, &HandshakeError{Status: 401}, fresh, t0, 0,
			want{delay: backoff, hist: history{refusals: 1, outageStart: t0}}},
		{"second refused upgrade: the control token is suspect", StageDial, &HandshakeError{Status: 403}, history{refusals: 1, outageStart: t0}, t0, 0,
			want{delay: backoff, invalidate: true, hist: fresh}},
		{"accept-then-close 1008 counts as refused", StageLive, classify(StageLive, &websocket.CloseError{Code: 1008}, time.Minute).Err, history{refusals: 1, outageStart: t0}, t0, 0,
			want{delay: backoff, invalidate: true, hist: fresh}},
		{"subscribe-stage failure counts as refused", StageSubscribe, errors.New("connector: no Subscribe reply within SubscribeTimeout"), fresh, t0, 0,
			want{delay: backoff, hist: history{refusals: 1, outageStart: t0}}},
		{"upgrade 503: plain retry, not a refusal", StageDial, &HandshakeError{Status: 503}, fresh, t0, 0,
			want{delay: backoff, hist: fresh}},
		{"429 with Retry-After 7 s waits 7 s", StageWSToken, &token.APIError{Status: 429, RetryAfter: 7 * time.Second}, fresh, t0, 0,
			want{delay: 7 * time.Second, hist: fresh}},
		{"429 with a short Retry-After: the backoff wins", StageWSToken, &token.APIError{Status: 429, RetryAfter: time.Second}, fresh, t0, 0,
			want{delay: backoff, hist: fresh}},
		{"upgrade 429 with a huge Retry-After is capped at Backoff.Max", StageDial, &HandshakeError{Status: 429, RetryAfter: 3e9 * time.Second}, fresh, t0, 0,
			want{delay: time.Minute, hist: fresh}},
		{"not started: wait Backoff.Max", StageControl, api(400, "MMC.111072005"), fresh, t0, 0,
			want{delay: time.Minute, hist: fresh}},
		{"login locked: wait Backoff.Max", StageControl, api(400, "MMC.111072064"), fresh, t0, 0,
			want{delay: time.Minute, hist: fresh}},
		{"meeting ended: stop", StageControl, api(400, "MMC.111072006"), fresh, t0, 0,
			want{stop: ErrMeetingEnded}},
		{"Destroyed push: stop", StageLive, ErrMeetingEnded, fresh, t0, 0,
			want{stop: ErrMeetingEnded}},
		{"caller token lapsed: stop, credentials", StageControl, fmt.Errorf("%w: expired", token.ErrCannotRenew), fresh, t0, 0,
			want{stop: ErrCredentialsRejected}},
		{"permission denied: stop", StageWSToken, api(403, "MMC.111070002"), fresh, t0, 0,
			want{stop: token.ErrPermissionDenied}},
		{"bad request code under 5xx: retried", StageWSToken, api(503, "MMC.111070001"), fresh, t0, 0,
			want{delay: backoff, hist: fresh}},
		{"bad request code under 4xx: stop", StageWSToken, api(400, "MMC.111070001"), fresh, t0, 0,
			want{stop: token.ErrBadRequest}},
		{"cancelled: stop", StageDial, context.Canceled, fresh, t0, 0,
			want{stop: context.Canceled}},
		{"a request's or handshake's timeout: retry", StageDial, fmt.Errorf("handshake: %w", context.DeadlineExceeded), fresh, t0, 0,
			want{delay: backoff, hist: fresh}},
		{"within MaxOutage: retry", StageDial, errors.New("refused"), fresh, t0.Add(55 * time.Second), time.Minute,
			want{delay: backoff, hist: fresh}},
		{"past MaxOutage: ErrOutage", StageDial, errors.New("refused"), fresh, t0.Add(57 * time.Second), time.Minute,
			want{stop: ErrOutage}},
		{"a server wait past MaxOutage: ErrOutage now, not after the wait", StageWSToken, &token.APIError{Status: 429, RetryAfter: 30 * time.Second}, fresh, t0.Add(40 * time.Second), time.Minute,
			want{stop: ErrOutage}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := classify(tt.stage, tt.err, time.Minute)
			v, h := decide(f, tt.hist, tt.now, backoff, tt.max)
			if tt.want.stop != nil {
				if !errors.Is(v.stop, tt.want.stop) {
					t.Fatalf("stop = %v, want one matching %v", v.stop, tt.want.stop)
				}
				return
			}
			if v.stop != nil {
				t.Fatalf("stop = %v, want a retry", v.stop)
			}
			if v.delay != tt.want.delay || v.invalidate != tt.want.invalidate || h != tt.want.hist {
				t.Errorf("verdict %+v history %+v, want delay %v invalidate %v history %+v", v, h, tt.want.delay, tt.want.invalidate, tt.want.hist)
			}
		})
	}
}

// TestHealthyLinkResetsTheBackoff: a link that stayed up HealthyAfter
// starts the schedule again from Initial; a short one does not.
func TestHealthyLinkResetsTheBackoff(t *testing.T) {
	s, err := New(Config{ConferenceID: "1", Tokens: nopTokens{}, Backoff: Backoff{Initial: time.Second, Max: time.Minute, Jitter: NoJitter}})
	if err != nil {
		t.Fatal(err)
	}
	sv := newSupervisor(s)
	for _, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		if got := sv.nextDelay(); got != want {
			t.Fatalf("delay %v, want %v", got, want)
		}
	}
	sv.b.Reset() // what serve does for a healthyEnd
	if got := sv.nextDelay(); got != time.Second {
		t.Fatalf("after a healthy link the delay is %v, want 1s", got)
	}
}

type nopTokens struct{}

func (nopTokens) Control(context.Context) (*token.Control, error) { return nil, errors.New("none") }
func (nopTokens) WSToken(context.Context) (*token.WS, error)      { return nil, errors.New("none") }
func (nopTokens) Invalidate(*token.Control)                       {}

// TestConferenceMustMatchTheTokenSource: a session whose meeting differs
// from its Provider's would retry refused handshakes for ever; New says so.
func TestConferenceMustMatchTheTokenSource(t *testing.T) {
	c, err := token.New(token.Config{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := token.NewProvider(c, token.ProviderConfig{ConferenceID: "986112045", Password: secret.New("604117")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{ConferenceID: "111222333", Tokens: p}); err == nil || !strings.Contains(err.Error(), "differs") {
		t.Errorf("New with another meeting's Provider = %v, want the mismatch named", err)
	}
	if _, err := New(Config{ConferenceID: "986112045", Tokens: p}); err != nil {
		t.Errorf("New with the matching Provider: %v", err)
	}
}
