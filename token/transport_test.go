package token_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/confwatch/confwatch/secret"
	"github.com/confwatch/confwatch/token"
)

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs before srv.Close
	c, err := token.New(token.Config{BaseURL: srv.URL, Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)

	calls := []struct {
		name string
		call func(context.Context) error
	}{
		{"login", func(ctx context.Context) error {
			_, err := c.Login(ctx, testConf, secret.New(testPassword))
			return err
		}},
		{"ws token", func(ctx context.Context) error {
			_, err := c.WSToken(ctx, testConf, secret.New("CANARYTOK-1"))
			return err
		}},
	}
	for _, tt := range calls {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(testCtx(t))
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Fatalf("err = %v, want a net.Error with Timeout()", err)
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("err = %v, want it to wrap context.DeadlineExceeded", err)
			}
			if want := "token: " + tt.name + ": no answer within 200ms"; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("err = %q, want prefix %q", err, want)
			}
		})
	}
	t.Run("caller cancels", func(t *testing.T) {
		ctx, cancel := context.WithCancel(testCtx(t))
		cancel()
		_, err := c.Login(ctx, testConf, secret.New(testPassword))
		if !errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "no answer within") {
			t.Errorf("err = %v, want a plain cancellation", err)
		}
	})
}

func TestTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(answer(200, nil, `{"data":{"token":"CANARYTOK-t","wsURL":"wss://h"}}`))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())

	tests := []struct {
		name   string
		cfg    token.Config
		wantOK bool
	}{
		{name: "system roots reject the test CA", cfg: token.Config{}},
		{name: "RootCAs trusts it", cfg: token.Config{RootCAs: pool}, wantOK: true},
		{name: "caller HTTPClient", cfg: token.Config{HTTPClient: srv.Client()}, wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.BaseURL = srv.URL
			c, err := token.New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.CloseIdleConnections)
			ctl, err := c.Login(testCtx(t), testConf, secret.New(testPassword))
			if !tt.wantOK {
				var cve *tls.CertificateVerificationError
				if !errors.As(err, &cve) {
					t.Fatalf("err = %v, want a certificate verification error", err)
				}
				return
			}
			if err != nil || ctl.Token.Reveal() != "CANARYTOK-t" {
				t.Fatalf("Login = %v, %v", ctl, err)
			}
		})
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	var mu sync.Mutex
	leaked := ""
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		leaked = r.Header.Get("X-Password")
		mu.Unlock()
		writeJSON(w, 200, map[string]any{"data": map[string]any{"token": "CANARYTOK-r", "wsURL": "wss://h"}})
	}))
	t.Cleanup(target.Close)
	redirect := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	})
	for _, name := range []string{"own client", "caller client"} {
		t.Run(name, func(t *testing.T) {
			cfg := token.Config{}
			if name == "caller client" {
				cfg.HTTPClient = &http.Client{}
			}
			c, _ := newServer(t, redirect, cfg)
			_, err := c.Login(testCtx(t), testConf, secret.New(testPassword))
			var api *token.APIError
			if !errors.As(err, &api) || api.Status != http.StatusTemporaryRedirect {
				t.Fatalf("err = %v, want an APIError with status 307", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if leaked != "" {
				t.Errorf("the password reached the redirect target")
			}
		})
	}
}
