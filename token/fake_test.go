package token_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/clock"
	"github.com/confwatch/confwatch/integration/fakemeeting"
	"github.com/confwatch/confwatch/secret"
	"github.com/confwatch/confwatch/token"
)

// Tests against integration/fakemeeting, the project's faithful fake of
// the vendor's endpoints: they check that this package and the fake read
// the protocol the same way.

func newFakeMeeting(t *testing.T, cfg fakemeeting.Config) (*fakemeeting.Server, *token.Client, *clock.Fake) {
	t.Helper()
	fc := clock.NewFake(t0)
	cfg.Clock = fc
	srv, err := fakemeeting.New(cfg)
	if err != nil {
		t.Fatalf("fakemeeting.New: %v", err)
	}
	t.Cleanup(srv.Close)
	tc := token.Config{BaseURL: srv.URL(), Clock: fc}
	if cfg.TLS {
		tc.RootCAs = srv.CertPool()
	}
	c, err := token.New(tc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return srv, c, fc
}

// fakeWSURL is the ws(s) base the fake hands out as data.wsURL: its
// URL with the scheme swapped.
func fakeWSURL(srv *fakemeeting.Server) string { return "ws" + strings.TrimPrefix(srv.URL(), "http") }

func hostProvider(t *testing.T, srv *fakemeeting.Server, c *token.Client) *token.Provider {
	t.Helper()
	p, err := token.NewProvider(c, token.ProviderConfig{
		ConferenceID: srv.ConferenceID(),
		Password:     secret.New(srv.HostPassword()),
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFakeMeetingCredentialChain(t *testing.T) {
	for _, tlsOn := range []bool{false, true} {
		name := map[bool]string{false: "http", true: "https"}[tlsOn]
		t.Run(name, func(t *testing.T) {
			srv, c, _ := newFakeMeeting(t, fakemeeting.Config{TLS: tlsOn})
			p := hostProvider(t, srv, c)
			ctx := testCtx(t)
			ctl, err := p.Control(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if ctl.WSURL != fakeWSURL(srv) || ctl.Role != 1 || len(ctl.Token.Reveal()) != 51 {
				t.Errorf("wsURL %q (want %q) role %d token length %d", ctl.WSURL, fakeWSURL(srv), ctl.Role, len(ctl.Token.Reveal()))
			}
			if ctl.Lifetime != 30*time.Minute || len(ctl.SupportNotifyType) == 0 {
				t.Errorf("lifetime %v, %d notify types", ctl.Lifetime, len(ctl.SupportNotifyType))
			}
			a, err := p.WSToken(ctx)
			if err != nil {
				t.Fatal(err)
			}
			b, err := p.WSToken(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if a.Token.Reveal() == b.Token.Reveal() {
				t.Error("two WSToken calls gave the same token")
			}
			st := srv.Stats()
			if st.Logins != 1 || st.WSTokenRequests != 2 || st.TokensIssued != 2 {
				t.Errorf("stats: %+v", st)
			}
		})
	}
}

// TestFakeMeetingKeepAliveOnDemand: Control keeps the token alive once it
// passes its refresh time, so whoever calls Control (the session's
// supervisor, the control client) is the one keep-alive path.
func TestFakeMeetingKeepAliveOnDemand(t *testing.T) {
	srv, c, fc := newFakeMeeting(t, fakemeeting.Config{})
	p := hostProvider(t, srv, c)
	ctx := testCtx(t)
	if _, err := p.Control(ctx); err != nil {
		t.Fatal(err)
	}
	fc.Advance(24 * time.Minute)
	if _, err := p.Control(ctx); err != nil {
		t.Fatal(err)
	}
	if st := srv.Stats(); st.KeepAlives != 0 {
		t.Fatalf("kept alive before the refresh time: %d", st.KeepAlives)
	}
	fc.Advance(time.Minute)
	if _, err := p.Control(ctx); err != nil {
		t.Fatal(err)
	}
	// 31 minutes after the login the token still works: it was kept alive.
	fc.Advance(6 * time.Minute)
	if _, err := p.WSToken(ctx); err != nil {
		t.Fatalf("WSToken after the original expiry: %v", err)
	}
	if st := srv.Stats(); st.Logins != 1 || st.KeepAlives != 1 {
		t.Errorf("logins %d keep-alives %d, want 1 and 1", st.Logins, st.KeepAlives)
	}

	// The meeting ends: the next keep-alive says so.
	if err := srv.Meeting().End(t.Context()); err != nil {
		t.Fatal(err)
	}
	fc.Advance(25 * time.Minute)
	if _, err := p.Control(ctx); !errors.Is(err, token.ErrMeetingEnded) {
		t.Errorf("Control() after the end = %v, want ErrMeetingEnded", err)
	}
}

// TestRefreshFractionIsHonoured: the fraction the Provider was configured
// with decides RefreshAt, which is what the session schedules its
// keep-alive by.
func TestRefreshFractionIsHonoured(t *testing.T) {
	srv, c, _ := newFakeMeeting(t, fakemeeting.Config{})
	p, err := token.NewProvider(c, token.ProviderConfig{ConferenceID: srv.ConferenceID(), Password: secret.New(srv.HostPassword()), RefreshFraction: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	ctl, err := p.Control(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ctl.RefreshAt().Sub(ctl.ObtainedAt), ctl.Lifetime/2; got != want {
		t.Errorf("RefreshAt - ObtainedAt = %v, want %v (half of %v)", got, want, ctl.Lifetime)
	}
}

func TestFakeMeetingErrors(t *testing.T) {
	tests := []struct {
		name  string
		cfg   fakemeeting.Config
		setup func(srv *fakemeeting.Server)
		pw    func(srv *fakemeeting.Server) string
		want  error
	}{
		{name: "wrong password", pw: func(*fakemeeting.Server) string { return "CANARYPW-wrong" }, want: token.ErrUnauthorized},
		{name: "not started", cfg: fakemeeting.Config{NotStarted: true}, want: token.ErrNotStarted},
		{name: "ended", setup: func(srv *fakemeeting.Server) { _ = srv.Meeting().End(context.Background()) }, want: token.ErrMeetingEnded},
		{name: "rate limited", setup: func(srv *fakemeeting.Server) {
			srv.Faults().RefuseLogin(1, fakemeeting.Refusal{Status: 429, Code: "100000429", RetryAfter: 3 * time.Second})
		}, want: token.ErrRateLimited},
		{name: "locked", setup: func(srv *fakemeeting.Server) {
			srv.Faults().RefuseLogin(1, fakemeeting.Refusal{Status: 400, Code: "MMC.111072064"})
		}, want: token.ErrLoginLocked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, c, _ := newFakeMeeting(t, tt.cfg)
			if tt.setup != nil {
				tt.setup(srv)
			}
			pw := srv.HostPassword()
			if tt.pw != nil {
				pw = tt.pw(srv)
			}
			_, err := c.Login(testCtx(t), srv.ConferenceID(), secret.New(pw))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Login() = %v, want %v", err, tt.want)
			}
			var api *token.APIError
			if !errors.As(err, &api) || api.RequestID == "" {
				t.Errorf("no request id in %v", err)
			}
		})
	}
}

func TestFakeMeetingRejectedControlToken(t *testing.T) {
	srv, c, fc := newFakeMeeting(t, fakemeeting.Config{})
	ctx := testCtx(t)

	t.Run("ws token refusal leads to a new login", func(t *testing.T) {
		p := hostProvider(t, srv, c)
		if _, err := p.Control(ctx); err != nil {
			t.Fatal(err)
		}
		srv.Faults().RefuseWSToken(1, fakemeeting.Refusal{Status: 401, Code: "MMC.111070004"})
		if _, err := p.WSToken(ctx); !errors.Is(err, token.ErrUnauthorized) {
			t.Fatalf("WSToken() = %v, want ErrUnauthorized", err)
		}
		before := srv.Stats().Logins
		if _, err := p.WSToken(ctx); err != nil {
			t.Fatal(err)
		}
		if got := srv.Stats().Logins; got != before+1 {
			t.Errorf("logins %d, want %d", got, before+1)
		}
	})

	t.Run("caller token without password", func(t *testing.T) {
		ctl, err := c.Login(ctx, srv.ConferenceID(), secret.New(srv.HostPassword()))
		if err != nil {
			t.Fatal(err)
		}
		// The token lapses on the server before the provider first uses it.
		fc.Advance(31 * time.Minute)
		p, err := token.NewProvider(c, token.ProviderConfig{ConferenceID: srv.ConferenceID(), ControlToken: ctl.Token})
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.Control(ctx)
		if !errors.Is(err, token.ErrCannotRenew) || !errors.Is(err, token.ErrUnauthorized) {
			t.Fatalf("Control() = %v, want ErrCannotRenew wrapping the server's refusal", err)
		}
	})

	t.Run("caller token kept alive", func(t *testing.T) {
		ctl, err := c.Login(ctx, srv.ConferenceID(), secret.New(srv.HostPassword()))
		if err != nil {
			t.Fatal(err)
		}
		p, err := token.NewProvider(c, token.ProviderConfig{ConferenceID: srv.ConferenceID(), ControlToken: ctl.Token})
		if err != nil {
			t.Fatal(err)
		}
		got, err := p.Control(ctx)
		if err != nil || got.WSURL != fakeWSURL(srv) || got.Token.Reveal() != ctl.Token.Reveal() {
			t.Fatalf("Control() = %v, wsURL %q", err, got.WSURL)
		}
		if _, err := p.WSToken(ctx); err != nil {
			t.Fatal(err)
		}
	})
}
