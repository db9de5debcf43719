package token_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/confwatch/confwatch/secret"
	"github.com/confwatch/confwatch/token"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     token.Config
		wantErr []string
	}{
		{name: "zero value", cfg: token.Config{}},
		{name: "http base", cfg: token.Config{BaseURL: "http://127.0.0.1:8080/prefix"}},
		{name: "relative", cfg: token.Config{BaseURL: "/v1"}, wantErr: []string{"scheme must be http or https"}},
		{name: "ws scheme", cfg: token.Config{BaseURL: "wss://x.example"}, wantErr: []string{"scheme must be http or https"}},
		{name: "no host", cfg: token.Config{BaseURL: "https://"}, wantErr: []string{"no host"}},
		{name: "user info", cfg: token.Config{BaseURL: "https://u:p@x.example"}, wantErr: []string{"user info"}},
		{name: "query", cfg: token.Config{BaseURL: "https://x.example/?a=1"}, wantErr: []string{"no query"}},
		{name: "unparsable", cfg: token.Config{BaseURL: "https://x.example/%zz"}, wantErr: []string{"BaseURL"}},
		{name: "negative timeout", cfg: token.Config{Timeout: -time.Second}, wantErr: []string{"Timeout"}},
		{name: "client and roots", cfg: token.Config{HTTPClient: &http.Client{}, RootCAs: x509.NewCertPool()}, wantErr: []string{"RootCAs"}},
		{name: "user agent", cfg: token.Config{UserAgent: "a\r\nX-Evil: 1"}, wantErr: []string{"UserAgent"}},
		{name: "all problems joined", cfg: token.Config{BaseURL: "ftp://x", Timeout: -1, UserAgent: "\n"}, wantErr: []string{"scheme", "Timeout", "UserAgent"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				if _, err := token.New(tt.cfg); err != nil {
					t.Fatalf("New() = %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate() = nil, want an error")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to mention %q", err, w)
				}
			}
			if _, err := token.New(tt.cfg); err == nil || !strings.HasPrefix(err.Error(), "token: new client: ") {
				t.Errorf("New() = %v, want a wrapped error", err)
			}
		})
	}
}

func TestLoginRequestShape(t *testing.T) {
	var got *http.Request
	var mu sync.Mutex
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = r.Clone(context.Background())
		mu.Unlock()
		writeJSON(w, 200, map[string]any{"data": map[string]any{"token": "CANARYTOK-1", "wsURL": testWSURL}})
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := token.New(token.Config{BaseURL: srv.URL + "/api/"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)

	id := "98 61&x=1"
	if _, err := c.Login(testCtx(t), id, secret.New(testPassword)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	checks := []struct{ what, got, want string }{
		{"method", got.Method, http.MethodGet},
		{"path", got.URL.Path, "/api/v1/mmc/control/conferences/token"},
		{"conferenceID", got.URL.Query().Get("conferenceID"), id},
		{"query keys", strings.Join(keys(got.URL.Query()), ","), "conferenceID"},
		{"X-Password", got.Header.Get("X-Password"), testPassword},
		{"X-Login-Type", got.Header.Get("X-Login-Type"), "1"},
		{"X-Conference-Authorization", got.Header.Get("X-Conference-Authorization"), ""},
		{"User-Agent", got.Header.Get("User-Agent"), "confwatch/" + token.Version},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %q, want %q", ch.what, ch.got, ch.want)
		}
	}
	if strings.Contains(got.URL.RawQuery, "CANARY") {
		t.Errorf("a secret is in the URL: %q", got.URL.RawQuery)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestKeepAliveHeaders(t *testing.T) {
	tests := []struct {
		name         string
		password     secret.Secret
		wantPassword string
	}{
		{name: "with password", password: secret.New(testPassword), wantPassword: testPassword},
		{name: "without password", password: secret.Secret{}, wantPassword: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var hdr http.Header
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				hdr = r.Header.Clone()
				mu.Unlock()
				writeJSON(w, 200, map[string]any{"data": map[string]any{"token": "CANARYTOK-2", "confTokenExpireTime": 1800}})
			})
			c, _ := newServer(t, h, token.Config{})
			ctl, err := c.KeepAlive(testCtx(t), testConf, secret.New("CANARYTOK-1"), tt.password)
			if err != nil {
				t.Fatal(err)
			}
			if ctl.Token.Reveal() != "CANARYTOK-2" || ctl.Lifetime != 30*time.Minute {
				t.Errorf("got token %q lifetime %v", ctl.Token.Reveal(), ctl.Lifetime)
			}
			mu.Lock()
			defer mu.Unlock()
			if hdr.Get("X-Conference-Authorization") != "CANARYTOK-1" || hdr.Get("X-Login-Type") != "1" || hdr.Get("X-Password") != tt.wantPassword {
				t.Errorf("headers: auth %q login type %q password %q", hdr.Get("X-Conference-Authorization"), hdr.Get("X-Login-Type"), hdr.Get("X-Password"))
			}
		})
	}
}

func TestArgumentErrors(t *testing.T) {
	c, err := token.New(token.Config{BaseURL: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	pw := secret.New(testPassword)
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"login empty id", func() error { _, err := c.Login(ctx, " ", pw); return err }, "token: login: empty conference id"},
		{"login empty password", func() error { _, err := c.Login(ctx, testConf, secret.Secret{}); return err }, "token: login: empty password"},
		{"login header injection", func() error { _, err := c.Login(ctx, testConf, secret.New("CANARY\r\nX: y")); return err }, "X-Password value contains control characters"},
		{"keep-alive empty token", func() error { _, err := c.KeepAlive(ctx, testConf, secret.Secret{}, pw); return err }, "token: keep-alive: empty control token"},
		{"ws empty token", func() error { _, err := c.WSToken(ctx, testConf, secret.Secret{}); return err }, "token: ws token: empty control token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "CANARY") {
				t.Errorf("err = %v, want it to contain %q and no secret", err, tt.want)
			}
		})
	}
}

func TestUserAgentAndRequestIDInLogs(t *testing.T) {
	var buf syncBuffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var mu sync.Mutex
	var agents []string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		agents = append(agents, r.Header.Get("User-Agent"))
		mu.Unlock()
		w.Header().Set("X-Request-Id", "rid-ua-1")
		writeErr(w, 400, "MMC.111072006", "CONF_ENDED")
	})
	for _, tt := range []struct{ name, ua, want string }{
		{"default", "", "confwatch/" + token.Version},
		{"custom", "confwatch-demo/2", "confwatch-demo/2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newServer(t, h, token.Config{Logger: logger, UserAgent: tt.ua})
			_, err := c.WSToken(testCtx(t), testConf, secret.New("CANARYTOK-1"))
			if !errors.Is(err, token.ErrMeetingEnded) || !strings.Contains(err.Error(), "request id rid-ua-1") {
				t.Errorf("err = %v", err)
			}
			mu.Lock()
			got := agents[len(agents)-1]
			mu.Unlock()
			if got != tt.want {
				t.Errorf("User-Agent = %q, want %q", got, tt.want)
			}
		})
	}
	logs := buf.String()
	for _, want := range []string{`"request_id":"rid-ua-1"`, `"op":"ws token"`, `"status":400`, `"duration":`, `"level":"DEBUG"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
	if token.Version == "" {
		t.Error("Version is empty")
	}
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
