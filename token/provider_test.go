package token_test

import (
	"context"
	"errors"
	"github.com/confwatch/confwatch/secret"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/token"
)

func TestProviderConfigValidate(t *testing.T) {
	pw := secret.New(testPassword)
	tests := []struct {
		name    string
		cfg     token.ProviderConfig
		wantErr []string
	}{
		{name: "password", cfg: token.ProviderConfig{ConferenceID: testConf, Password: pw}},
		{name: "control token", cfg: token.ProviderConfig{ConferenceID: testConf, ControlToken: secret.New("CANARYTOK-1")}},
		{name: "fraction", cfg: token.ProviderConfig{ConferenceID: testConf, Password: pw, RefreshFraction: 0.5}},
		{name: "no id", cfg: token.ProviderConfig{ConferenceID: " ", Password: pw}, wantErr: []string{"ConferenceID"}},
		{name: "no credentials", cfg: token.ProviderConfig{ConferenceID: testConf}, wantErr: []string{"Password or ControlToken"}},
		{name: "fraction one", cfg: token.ProviderConfig{ConferenceID: testConf, Password: pw, RefreshFraction: 1}, wantErr: []string{"RefreshFraction"}},
		{name: "fraction negative", cfg: token.ProviderConfig{ConferenceID: testConf, Password: pw, RefreshFraction: -0.1}, wantErr: []string{"RefreshFraction"}},
		{name: "fraction NaN", cfg: token.ProviderConfig{ConferenceID: testConf, Password: pw, RefreshFraction: math.NaN()}, wantErr: []string{"RefreshFraction"}},
		{name: "everything wrong", cfg: token.ProviderConfig{RefreshFraction: 2}, wantErr: []string{"ConferenceID", "Password or ControlToken", "RefreshFraction"}},
	}
	c, err := token.New(token.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			_, newErr := token.NewProvider(c, tt.cfg)
			if len(tt.wantErr) == 0 {
				if err != nil || newErr != nil {
					t.Fatalf("Validate() = %v, NewProvider() = %v", err, newErr)
				}
				return
			}
			for _, w := range tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %v, want it to mention %q", err, w)
				}
			}
			if newErr == nil || !strings.HasPrefix(newErr.Error(), "token: new provider: ") {
				t.Errorf("NewProvider() = %v, want a wrapped error", newErr)
			}
		})
	}
	if _, err := token.NewProvider(nil, tests[0].cfg); err == nil || !strings.Contains(err.Error(), "nil Client") {
		t.Errorf("NewProvider(nil) = %v", err)
	}
}

func TestControlKeepsAliveAtRefreshTime(t *testing.T) {
	p, api, fc := newProvider(t, token.ProviderConfig{Password: secret.New(testPassword)})
	ctx := testCtx(t)
	first, err := p.Control(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fc.Advance(25*time.Minute - time.Nanosecond)
	again, err := p.Control(ctx)
	if err != nil || again != first {
		t.Fatalf("before the refresh time: %v, same token %v", err, again == first)
	}
	if _, keepAlives, _ := api.counts(); keepAlives != 0 {
		t.Fatalf("keep-alives before the refresh time: %d", keepAlives)
	}
	fc.Advance(time.Nanosecond)
	renewed, err := p.Control(ctx)
	if err != nil {
		t.Fatal(err)
	}
	logins, keepAlives, _ := api.counts()
	if logins != 1 || keepAlives != 1 {
		t.Errorf("logins %d keep-alives %d, want 1 and 1", logins, keepAlives)
	}
	if renewed.Token.Reveal() != first.Token.Reveal() || !renewed.ExpiresAt.Equal(fc.Now().Add(30*time.Minute)) {
		t.Errorf("renewed token: same %v, expires %v", renewed.Token.Reveal() == first.Token.Reveal(), renewed.ExpiresAt)
	}
}

func TestRefreshFraction(t *testing.T) {
	p, api, fc := newProvider(t, token.ProviderConfig{Password: secret.New(testPassword), RefreshFraction: 0.5})
	ctx := testCtx(t)
	if _, err := p.Control(ctx); err != nil {
		t.Fatal(err)
	}
	fc.Advance(15 * time.Minute)
	if _, err := p.Control(ctx); err != nil {
		t.Fatal(err)
	}
	if _, keepAlives, _ := api.counts(); keepAlives != 1 {
		t.Errorf("keep-alives at half the lifetime: %d, want 1", keepAlives)
	}
}

func TestKeepAliveFailures(t *testing.T) {
	tests := []struct {
		name          string
		status        int
		code          string
		wantLogins    int
		wantSameToken bool  // the old token is still handed out
		wantErr       error // from Control
	}{
		{name: "401 falls back to login", status: 401, wantLogins: 2},
		{name: "auth failed code falls back to login", status: 400, code: "MMC.111070004", wantLogins: 2},
		{name: "unknown 4xx falls back to login", status: 400, code: "MMC.111070111", wantLogins: 2},
		{name: "5xx keeps the valid token", status: 503, wantLogins: 1, wantSameToken: true},
		{name: "rate limit keeps the valid token", status: 429, wantLogins: 1, wantSameToken: true},
		{name: "meeting ended is an error", status: 400, code: "MMC.111072006", wantLogins: 1, wantErr: token.ErrMeetingEnded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, api, fc := newProvider(t, token.ProviderConfig{Password: secret.New(testPassword)})
			ctx := testCtx(t)
			first, err := p.Control(ctx)
			if err != nil {
				t.Fatal(err)
			}
			api.set(func(f *fakeAPI) {
				f.onKeepAlive = func(w http.ResponseWriter, _ *http.Request) bool {
					writeErr(w, tt.status, tt.code, "refused")
					return true
				}
			})
			fc.Advance(26 * time.Minute)
			got, err := p.Control(ctx)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Control() = %v, want %v", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatalf("Control() = %v", err)
			} else if (got == first) != tt.wantSameToken {
				t.Errorf("same token %v, want %v", got == first, tt.wantSameToken)
			}
			logins, keepAlives, _ := api.counts()
			if logins != tt.wantLogins || keepAlives != 1 {
				t.Errorf("logins %d keep-alives %d, want %d and 1", logins, keepAlives, tt.wantLogins)
			}
			if tt.wantSameToken {
				// Past expiry the stale token is no longer handed out.
				fc.Advance(5 * time.Minute)
				if _, err := p.Control(ctx); err != nil {
					t.Fatalf("Control() after expiry = %v", err)
				}
				if logins, _, _ := api.counts(); logins != 2 {
					t.Errorf("logins after expiry %d, want 2", logins)
				}
			}
		})
	}
}

// refuse and fail make the fake refuse (401) or fail (502) keep-alives.
var (
	refuse = func(f *fakeAPI) {
		f.onKeepAlive = func(w http.ResponseWriter, _ *http.Request) bool {
			writeErr(w, http.StatusUnauthorized, "", "token expired")
			return true
		}
	}
	fail = func(f *fakeAPI) {
		f.onKeepAlive = func(w http.ResponseWriter, _ *http.Request) bool {
			writeErr(w, http.StatusBadGateway, "", "down")
			return true
		}
	}
)

func TestCallerGivenToken(t *testing.T) {
	tests := []callerGivenCase{
		{
			name: "first use is a keep-alive", validGiven: true,
			run:            func(*token.Provider, *fakeAPI, *token.Control, func(time.Duration)) error { return nil },
			wantKeepAlives: 1,
		},
		{
			name: "rejected without password",
			run: func(p *token.Provider, api *fakeAPI, _ *token.Control, _ func(time.Duration)) error {
				_, err := p.Control(context.Background()) // no second request
				return err
			},
			wantErr: token.ErrCannotRenew, wantMsg: "no valid control token is left", wantKeepAlives: 1,
		},
		{
			name: "expired without password", validGiven: true,
			run: func(p *token.Provider, api *fakeAPI, first *token.Control, advance func(time.Duration)) error {
				api.set(fail)
				advance(26 * time.Minute)
				if got, err := p.Control(context.Background()); err != nil || got != first {
					return errors.New("a failed keep-alive before expiry should keep the token")
				}
				advance(4 * time.Minute)
				_, err := p.Control(context.Background())
				return err
			},
			wantErr: token.ErrCannotRenew, wantMsg: "the control token expired at 2025-01-06T09:30:00Z", wantKeepAlives: 2,
		},
		{
			name: "refused later without password", validGiven: true,
			run: func(p *token.Provider, api *fakeAPI, _ *token.Control, advance func(time.Duration)) error {
				api.set(refuse)
				advance(26 * time.Minute)
				_, err := p.Control(context.Background())
				if !errors.Is(err, token.ErrUnauthorized) {
					return errors.New("the refusal should be wrapped too")
				}
				return err
			},
			wantErr: token.ErrCannotRenew, wantMsg: "keep-alive refused: token: keep-alive: http 401", wantKeepAlives: 2,
		},
		{
			name: "invalidated without password", validGiven: true,
			run: func(p *token.Provider, _ *fakeAPI, first *token.Control, _ func(time.Duration)) error {
				p.Invalidate(first)
				_, err := p.Control(context.Background())
				return err
			},
			wantErr: token.ErrCannotRenew, wantKeepAlives: 1,
		},
		{
			name: "rejected with password logs in", password: true,
			run: func(p *token.Provider, api *fakeAPI, _ *token.Control, _ func(time.Duration)) error {
				return nil
			},
			wantKeepAlives: 1, wantLogins: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runCallerGiven(t, tt) })
	}
}

// callerGivenCase is one case of TestCallerGivenToken.
type callerGivenCase struct {
	name string
	// run drives the provider after its first Control and returns the
	// last Control error.
	password       bool
	validGiven     bool
	run            func(p *token.Provider, api *fakeAPI, first *token.Control, advance func(time.Duration)) error
	wantErr        error
	wantMsg        string
	wantKeepAlives int
	wantLogins     int
}

// checkFirst checks the first Control call's outcome.
func (tt callerGivenCase) checkFirst(t *testing.T, first *token.Control, err error) {
	t.Helper()
	switch {
	case tt.validGiven || tt.password:
		if err != nil {
			t.Fatalf("first Control() = %v", err)
		}
		if first.WSURL != testWSURL || first.Role != 1 {
			t.Errorf("first Control() learned wsURL %q role %d", first.WSURL, first.Role)
		}
	case !errors.Is(err, token.ErrCannotRenew) || !errors.Is(err, token.ErrUnauthorized):
		t.Fatalf("first Control() = %v, want ErrCannotRenew wrapping ErrUnauthorized", err)
	}
}

// checkLast checks the error the case's run returned.
func (tt callerGivenCase) checkLast(t *testing.T, err error) {
	t.Helper()
	if tt.wantErr == nil && err != nil {
		t.Fatalf("err = %v", err)
	}
	if tt.wantErr != nil {
		if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) || !strings.Contains(err.Error(), "host password is needed") {
			t.Fatalf("err = %v, want %v mentioning %q", err, tt.wantErr, tt.wantMsg)
		}
	}
}

func runCallerGiven(t *testing.T, tt callerGivenCase) {
	c, api, fc := newEnv(t)
	pc := token.ProviderConfig{ConferenceID: testConf, ControlToken: secret.New("CANARYTOK-unknown")}
	if tt.password {
		pc.Password = secret.New(testPassword)
	}
	if tt.validGiven {
		api.set(func(f *fakeAPI) { pc.ControlToken = secret.New(f.mint()) })
	} else {
		api.set(refuse)
	}
	p, err := token.NewProvider(c, pc)
	if err != nil {
		t.Fatal(err)
	}
	first, err := p.Control(context.Background())
	tt.checkFirst(t, first, err)
	api.set(func(f *fakeAPI) { f.onKeepAlive = nil })
	tt.checkLast(t, tt.run(p, api, first, fc.Advance))
	logins, keepAlives, _ := api.counts()
	if logins != tt.wantLogins || keepAlives != tt.wantKeepAlives {
		t.Errorf("logins %d keep-alives %d, want %d and %d", logins, keepAlives, tt.wantLogins, tt.wantKeepAlives)
	}
}

func TestInvalidate(t *testing.T) {
	p, api, _ := newProvider(t, token.ProviderConfig{Password: secret.New(testPassword)})
	ctx := testCtx(t)
	first, err := p.Control(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p.Invalidate(nil) // no-op
	if got, _ := p.Control(ctx); got != first {
		t.Fatal("Invalidate(nil) dropped the token")
	}
	p.Invalidate(first)
	second, err := p.Control(ctx)
	if err != nil || second == first || second.Token.Reveal() == first.Token.Reveal() {
		t.Fatalf("after Invalidate: %v, new token %v", err, second != first)
	}
	p.Invalidate(first) // already replaced: no-op
	third, err := p.Control(ctx)
	if err != nil || third != second {
		t.Fatalf("stale Invalidate replaced the token: %v", err)
	}
	if logins, _, _ := api.counts(); logins != 2 {
		t.Errorf("logins %d, want 2", logins)
	}
}

func TestProviderWSToken(t *testing.T) {
	p, api, _ := newProvider(t, token.ProviderConfig{Password: secret.New(testPassword)})
	ctx := testCtx(t)
	a, err := p.WSToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.WSToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if a.Token.Reveal() == b.Token.Reveal() || a.Token.IsZero() {
		t.Errorf("two WSToken calls gave the same token")
	}
	if logins, _, wsTokens := api.counts(); logins != 1 || wsTokens != 2 {
		t.Errorf("logins %d ws-token requests %d, want 1 and 2", logins, wsTokens)
	}
	if !a.ObtainedAt.Equal(t0) || a.Age(t0.Add(token.WSTokenLifetime)) != 60*time.Second {
		t.Errorf("ObtainedAt %v, Age %v", a.ObtainedAt, a.Age(t0.Add(token.WSTokenLifetime)))
	}

	// A control token refused by the ws-token call is dropped, so the
	// next call logs in again.
	api.set(func(f *fakeAPI) { f.valid = map[string]bool{} })
	if _, err := p.WSToken(ctx); !errors.Is(err, token.ErrUnauthorized) {
		t.Fatalf("WSToken with a revoked control token: %v", err)
	}
	if _, err := p.WSToken(ctx); err != nil {
		t.Fatalf("WSToken after re-login: %v", err)
	}
	if logins, _, wsTokens := api.counts(); logins != 2 || wsTokens != 4 {
		t.Errorf("logins %d ws-token requests %d, want 2 and 4", logins, wsTokens)
	}
	if p.ConferenceID() != testConf {
		t.Errorf("ConferenceID() = %q", p.ConferenceID())
	}
}
