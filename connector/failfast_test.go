package connector_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/secret"
	"github.com/confwatch/confwatch/token"
)

func TestPermanent(t *testing.T) {
	refused := &url.Error{Op: "Get", URL: "http://127.0.0.1:1", Err: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}}
	untrusted := &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused by the API", &connector.Failure{Stage: connector.StageControl, Err: refused}, true},
		{"connection refused on the socket", &connector.Failure{Stage: connector.StageDial, Err: refused}, false},
		{"unknown host", &connector.Failure{Stage: connector.StageControl, Err: &net.DNSError{Name: "nowhere.invalid", IsNotFound: true}}, true},
		{"DNS timeout", &connector.Failure{Stage: connector.StageControl, Err: &net.DNSError{Name: "slow.example", IsTimeout: true}}, false},
		{"untrusted certificate, API", &connector.Failure{Stage: connector.StageControl, Err: fmt.Errorf("token: login: %w", untrusted)}, true},
		{"untrusted certificate, socket", &connector.Failure{Stage: connector.StageDial, Err: &connector.HandshakeError{Err: untrusted}}, true},
		{"not TLS", &connector.Failure{Stage: connector.StageWSToken, Err: tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}}, true},
		{"HTML page with 200", &connector.Failure{Stage: connector.StageControl, Err: fmt.Errorf("token: login: %w: not JSON", token.ErrBadResponse)}, true},
		{"404 page", &connector.Failure{Stage: connector.StageControl, Err: &token.APIError{Op: "login", Status: 404}}, true},
		{"401 without a code", &connector.Failure{Stage: connector.StageControl, Err: &token.APIError{Op: "login", Status: 401}}, false},
		{"429", &connector.Failure{Stage: connector.StageWSToken, Err: &token.APIError{Op: "ws token", Status: 429}}, false},
		{"vendor 400", &connector.Failure{Stage: connector.StageControl, Err: &token.APIError{Op: "login", Status: 400, Code: "MMC.111072065"}}, false},
		{"502 page", &connector.Failure{Stage: connector.StageControl, Err: &token.APIError{Op: "login", Status: 502}}, false},
		{"unknown meeting", &connector.Failure{Stage: connector.StageControl, Err: &token.APIError{Op: "login", Status: 400, Code: "MMC.111070005"}}, true},
		{"meeting ended", &connector.Failure{Stage: connector.StageControl, Err: &token.APIError{Op: "login", Status: 400, Code: "MMC.111072006"}}, false},
		{"timeout", &connector.Failure{Stage: connector.StageControl, Err: context.DeadlineExceeded}, false},
		{"dead link", &connector.Failure{Stage: connector.StageLive, Err: connector.ErrDeadLink}, false},
		{"nil", nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := connector.Permanent(tc.err); got != tc.want {
				t.Fatalf("Permanent(%v) = %t, want %t", tc.err, got, tc.want)
			}
		})
	}
	if !connector.Permanent(fmt.Errorf("connector: giving up: %w", cases[0].err)) {
		t.Fatal("Permanent does not see through wrapping")
	}
}

// closedURL is the URL of a loopback port nothing listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + l.Addr().String()
	l.Close()
	return u
}

func failFastSession(t *testing.T, api string, failFast bool) *connector.Session {
	t.Helper()
	client, err := token.New(token.Config{BaseURL: api, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	prov, err := token.NewProvider(client, token.ProviderConfig{ConferenceID: "986112045", Password: secret.New("604117")})
	if err != nil {
		t.Fatal(err)
	}
	cfg := connector.Config{ConferenceID: "986112045", Tokens: prov, AllowPlainText: true, FailFast: failFast}
	fastConfig(&cfg)
	sess, err := connector.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return sess
}

// TestFailFastStopsBeforeTheFirstSubscribe: with FailFast, an API that
// refuses connections or answers a web page stops Run at once with an
// error Permanent reports; without it the session keeps retrying.
func TestFailFastStopsBeforeTheFirstSubscribe(t *testing.T) {
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, "<html><body>Not Found</body></html>")
	}))
	defer html.Close()
	for name, api := range map[string]string{"closed port": closedURL(t), "404 page": html.URL} {
		t.Run(name, func(t *testing.T) {
			sess := failFastSession(t, api, true)
			err := sess.Run(ctxTimeout(t), nil)
			if !connector.Permanent(err) {
				t.Fatalf("Run = %v, want a permanent failure", err)
			}
			if n := sess.Stats().Reconnects["retry"]; n != 1 {
				t.Fatalf("%d failed attempts recorded, want 1 (no retry)", n)
			}

			sess = failFastSession(t, api, false)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- sess.Run(ctx, nil) }()
			deadline := time.Now().Add(waitLong)
			for sess.Stats().Reconnects["retry"] < 3 {
				if time.Now().After(deadline) {
					t.Fatalf("without FailFast the session stopped retrying: %+v", sess.Stats())
				}
				time.Sleep(time.Millisecond)
			}
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Fatalf("without FailFast Run = %v, want it to retry until cancelled", err)
			}
		})
	}
}

// TestFailFastRetriesAfterASubscribe: once subscribed, an API that goes
// away (connection refused) is an outage to ride out, FailFast or not.
func TestFailFastRetriesAfterASubscribe(t *testing.T) {
	h := newHarness(t, setup{conf: func(c *connector.Config) { c.FailFast = true }})
	h.waitSubscribed(1)
	h.fake.Close()
	h.eventually("retries after the drop", func() bool { return h.sess.Stats().Reconnects["retry"] >= 3 })
	if !contains(h.sess.Stats().LastError, "connection refused") {
		t.Fatalf("the retried failure was %q, not a refused connection", h.sess.Stats().LastError)
	}
	select {
	case err := <-h.done:
		t.Fatalf("Run stopped after a first subscribe: %v", err)
	default:
	}
}

// A CLI or bot that sets Config.FailFast learns from Permanent whether
// Run gave up because the setup cannot work, and which part to check.
func ExamplePermanent() {
	webPage := &connector.Failure{Stage: connector.StageControl, Class: connector.ClassRetry,
		Err: &token.APIError{Op: "login", Status: 404, Message: "HTML page: Not Found"}}
	rateLimited := &connector.Failure{Stage: connector.StageControl, Class: connector.ClassWait,
		Err: &token.APIError{Op: "login", Status: 429}}
	fmt.Println(connector.Permanent(webPage), connector.Permanent(rateLimited))
	// Output: true false
}
