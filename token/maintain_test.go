package token_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/confwatch/confwatch/secret"
	"github.com/confwatch/confwatch/token"
)

// startMaintain runs p.Maintain until the test ends and returns its result
// channel.
func startMaintain(t *testing.T, p *token.Provider) (stop func() error) {
	t.Helper()
	ctx, cancel := contextWithCancel(t)
	done := make(chan error, 1)
	go func() { done <- p.Maintain(ctx) }()
	var result error
	stopped := false
	stop = func() error {
		if !stopped {
			cancel()
			result, stopped = <-done, true
		}
		return result
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

func TestMaintainKeepsAliveBeforeExpiry(t *testing.T) {
	p, api, fc := newProvider(t, token.ProviderConfig{Password: secret.New(testPassword)})
	stop := startMaintain(t, p)
	ctx := testCtx(t)

	if err := fc.BlockUntil(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if logins, keepAlives, _ := api.counts(); logins != 1 || keepAlives != 0 {
		t.Fatalf("after start: logins %d keep-alives %d, want 1 and 0", logins, keepAlives)
	}
	if next, _ := fc.Next(); !next.Equal(t0.Add(25 * time.Minute)) {
		t.Fatalf("Maintain sleeps until %v, want 5/6 of 30 min", next)
	}

	fc.Advance(25*time.Minute - time.Second)
	if _, keepAlives, _ := api.counts(); keepAlives != 0 {
		t.Fatalf("keep-alive before the refresh time")
	}
	fc.Advance(time.Second)
	eventually(t, "one keep-alive", func() bool { _, k, _ := api.counts(); return k == 1 })
	if err := fc.BlockUntil(ctx, 1); err != nil {
		t.Fatal(err)
	}
	logins, keepAlives, _ := api.counts()
	if logins != 1 || keepAlives != 1 {
		t.Errorf("at the refresh time: logins %d keep-alives %d, want 1 and 1", logins, keepAlives)
	}
	if next, _ := fc.Next(); !next.Equal(t0.Add(50 * time.Minute)) {
		t.Errorf("next refresh at %v, want 25 min after the keep-alive", next)
	}
	ctl, err := p.Control(ctx)
	if err != nil || !ctl.ExpiresAt.Equal(t0.Add(55*time.Minute)) {
		t.Errorf("token after keep-alive: %v, expires %v", err, ctl.ExpiresAt)
	}
	if err := stop(); err != nil {
		t.Errorf("Maintain() = %v after cancel, want nil", err)
	}
}

func TestMaintainRetries(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		header   map[string]string
		code     string
		minWait  time.Duration
		maxWait  time.Duration
		failures int
	}{
		{name: "server errors", status: 503, failures: 3, minWait: 500 * time.Millisecond, maxWait: 30 * time.Second},
		{name: "rate limited", status: 429, header: map[string]string{"Retry-After": "120"}, failures: 1, minWait: 120 * time.Second, maxWait: 120 * time.Second},
		{name: "not started", status: 400, code: "MMC.111072005", failures: 2, minWait: 500 * time.Millisecond, maxWait: 30 * time.Second},
		{name: "login locked", status: 400, code: "MMC.111072064", failures: 1, minWait: 5 * time.Minute, maxWait: 5 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, api, fc := newProvider(t, token.ProviderConfig{Password: secret.New(testPassword)})
			left := tt.failures
			api.set(func(f *fakeAPI) {
				f.onLogin = func(w http.ResponseWriter, _ *http.Request) bool {
					if left == 0 {
						return false
					}
					left--
					for k, v := range tt.header {
						w.Header().Set(k, v)
					}
					writeErr(w, tt.status, tt.code, "try later")
					return true
				}
			})
			stop := startMaintain(t, p)
			ctx := testCtx(t)
			for i := range tt.failures {
				if err := fc.BlockUntil(ctx, 1); err != nil {
					t.Fatal(err)
				}
				next, _ := fc.Next()
				if wait := next.Sub(fc.Now()); wait < tt.minWait || wait > tt.maxWait {
					t.Errorf("retry %d after %v, want within [%v, %v]", i, wait, tt.minWait, tt.maxWait)
				}
				fc.AdvanceToNext()
				eventually(t, "the next attempt", func() bool { l, _, _ := api.counts(); return l == i+2 })
			}
			if err := fc.BlockUntil(ctx, 1); err != nil {
				t.Fatal(err)
			}
			// expireTime has millisecond resolution, hence the tolerance.
			if next, _ := fc.Next(); next.Sub(fc.Now()) > 25*time.Minute || next.Sub(fc.Now()) < 25*time.Minute-time.Millisecond {
				t.Errorf("after recovering, next wake in %v, want 25 min", next.Sub(fc.Now()))
			}
			if logins, _, _ := api.counts(); logins != tt.failures+1 {
				t.Errorf("logins %d, want %d", logins, tt.failures+1)
			}
			if err := stop(); err != nil {
				t.Errorf("Maintain() = %v", err)
			}
		})
	}
}

func TestMaintainStopsOnPermanentErrors(t *testing.T) {
	tests := []struct {
		name    string
		pc      token.ProviderConfig
		setup   func(f *fakeAPI)
		advance time.Duration
		want    error
	}{
		{
			name:    "meeting ended",
			pc:      token.ProviderConfig{Password: secret.New(testPassword)},
			advance: 25 * time.Minute,
			setup: func(f *fakeAPI) {
				f.onKeepAlive = func(w http.ResponseWriter, _ *http.Request) bool {
					writeErr(w, 400, "MMC.111072006", "CONF_ENDED")
					return true
				}
			},
			want: token.ErrMeetingEnded,
		},
		{
			name: "wrong password",
			pc:   token.ProviderConfig{Password: secret.New("CANARYPW-wrong")},
			want: token.ErrUnauthorized,
		},
		{
			name: "caller token rejected, no password",
			pc:   token.ProviderConfig{ControlToken: secret.New("CANARYTOK-stale")},
			want: token.ErrCannotRenew,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, api, fc := newProvider(t, tt.pc)
			ctx, cancel := contextWithCancel(t)
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- p.Maintain(ctx) }()
			if tt.advance > 0 {
				if err := fc.BlockUntil(ctx, 1); err != nil {
					t.Fatal(err)
				}
				if tt.setup != nil {
					api.set(tt.setup)
				}
				fc.Advance(tt.advance)
			}
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Maintain did not stop")
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("Maintain() = %v, want %v", err, tt.want)
			}
		})
	}
}
