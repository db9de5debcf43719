package token

import (
	"bytes"
	"context"
	"errors"
	"github.com/confwatch/confwatch/secret"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/confwatch/confwatch/clock"
)

// The secrets every fuzzed request carries. A server that echoes them (the
// seeds do) must never get them into an error, a returned value's string
// form or a log line.
const (
	fuzzPassword = "fuzz-canary-pw-Q7x"
	fuzzControl  = "fuzz-canary-ctl-R2k"
)

// fuzzNow is the fake clock's time; Retry-After dates are relative to it.
var fuzzNow = time.Date(2026, 1, 6, 9, 0, 0, 0, time.UTC)

// answer is a RoundTripper that answers every request with one canned
// response and never touches the network, so one exec costs microseconds.
type answer struct {
	status     int
	body       []byte
	retryAfter string
	requestID  string
}

func (a answer) RoundTrip(r *http.Request) (*http.Response, error) {
	h := http.Header{}
	if a.retryAfter != "" {
		h.Set("Retry-After", a.retryAfter)
	}
	if a.requestID != "" {
		h.Set("X-Request-Id", a.requestID)
	}
	return &http.Response{
		StatusCode: a.status, Header: h, Body: io.NopCloser(bytes.NewReader(a.body)),
		ContentLength: int64(len(a.body)), Request: r,
	}, nil
}

// FuzzClientResponses feeds arbitrary answers (status, body, Retry-After,
// X-Request-Id) to the three calls of Client — login, keep-alive and ws
// token — through a RoundTripper, so the real decoding, error-body
// parsing and sanitising run. Properties: no panic; a success always
// carries a non-empty token, a lifetime within (0, 24h] and ExpiresAt =
// ObtainedAt + Lifetime; a failure is an *APIError for a non-2xx status
// or wraps ErrBadResponse for a 2xx; every APIError string is bounded,
// valid UTF-8 and free of control characters and RetryAfter is within
// [0, 24h]; no secret the request carried reaches an error text or a
// log line, even when the body quotes it.
func FuzzClientResponses(f *testing.F) {
	okLogin := `{"data":{"token":"stb0123","wsURL":"wss://ws.example","role":1,"expireTime":1767693600000,"confTokenExpireTime":1800,"supportNotifyType":["ParticipantsNotify"]}}`
	seeds := []answer{
		{200, []byte(okLogin), "", "rid-1"},
		{200, []byte(`{"token":"flat","wsUrl":"ws://x","expireTime":"1767693600","confTokenExpireTime":"1800"}`), "", ""},
		{200, []byte(`{"webSocketToken":"cnr99"}`), "", ""},
		{200, []byte(`{"data":{"webSocketToken":12345}}`), "", ""},
		{200, []byte(`{"data":{"token":""}}`), "", ""},
		{200, []byte(`not json`), "", ""},
		{200, []byte(`{"data":{"token":"t","supportNotifyType":"A, B,,C","expireTime":1e300}}`), "", ""},
		{400, []byte(`{"error_code":"MMC.111072065","error_msg":"CONF_NOT_FOUND_OR_AUTH_FAILED"}`), "", "rid"},
		{401, []byte(`{"error_code":"MMC.111070004","error_msg":"bad token ` + fuzzControl + `"}`), "", fuzzControl},
		{429, []byte(`{"code":"100000429","message":"slow down"}`), "7", ""},
		{429, []byte(`{"error":{"code":"APIGW.0308","message":"throttled"}}`), "Tue, 06 Jan 2026 09:00:30 GMT", ""},
		{500, []byte("<!DOCTYPE html><html><title>Bad\x00Gateway " + fuzzPassword + "</title></html>"), "-5", ""},
		{502, []byte(strings.Repeat("x", 70<<10)), "99999999999", ""},
		{503, []byte(`{"error":"maintenance \u2028 window","request_id":"r\nid"}`), "", ""},
		{400, []byte{0xff, 0xfe, '{', '}'}, "", "\x7f"},
	}
	for i, s := range seeds {
		f.Add(uint16(s.status), s.body, s.retryAfter, s.requestID, uint8(i%3))
	}
	f.Fuzz(func(t *testing.T, status uint16, body []byte, retryAfter, requestID string, call uint8) {
		st := int(status)
		if st < 100 || st > 999 {
			// net/http never hands a client a status outside this range.
			st = 200 + st%400
		}
		var logs bytes.Buffer
		c, err := New(Config{
			BaseURL:    "https://api.example",
			HTTPClient: &http.Client{Transport: answer{st, body, retryAfter, requestID}},
			Clock:      clock.NewFake(fuzzNow),
			Logger:     newTextLogger(&logs),
		})
		if err != nil {
			t.Fatal(err)
		}
		text, sent, cerr := fuzzCall(t, c, call)
		text += checkOutcome(t, st, cerr)
		for _, secret := range sent {
			if strings.Contains(text, secret) || strings.Contains(logs.String(), secret) {
				t.Fatalf("secret %q leaked\nerror/value: %s\nlogs: %s", secret, text, logs.String())
			}
		}
	})
}

// fuzzCall makes call (login, keep-alive or ws token) and returns what it
// rendered, its error, and the secrets the request carried: the client
// can only scrub what it knows.
func fuzzCall(t *testing.T, c *Client, call uint8) (text string, sent []string, cerr error) {
	ctx := context.Background()
	switch call % 3 {
	case 0:
		sent = []string{fuzzPassword}
		ctl, e := c.Login(ctx, "986112045", secret.New(fuzzPassword))
		cerr = e
		if e == nil {
			checkControl(t, ctl)
			text = stringsOf(ctl)
		}
	case 1:
		sent = []string{fuzzControl, fuzzPassword}
		ctl, e := c.KeepAlive(ctx, "986112045", secret.New(fuzzControl), secret.New(fuzzPassword))
		cerr = e
		if e == nil {
			checkControl(t, ctl)
			text = stringsOf(ctl)
		}
	default:
		sent = []string{fuzzControl}
		ws, e := c.WSToken(ctx, "986112045", secret.New(fuzzControl))
		cerr = e
		if e == nil && ws.Token.IsZero() {
			t.Fatal("WSToken succeeded with an empty token")
		}
	}
	return text, sent, cerr
}

// checkOutcome checks that status st gave the right kind of error (or
// none) and returns the error's text.
func checkOutcome(t *testing.T, st int, cerr error) string {
	ok := st >= 200 && st < 300
	if cerr == nil {
		if !ok {
			t.Fatalf("http %d succeeded", st)
		}
		return ""
	}
	var api *APIError
	switch {
	case !ok && !errors.As(cerr, &api):
		t.Fatalf("http %d gave %T %v, want an *APIError", st, cerr, cerr)
	case ok && !errors.Is(cerr, ErrBadResponse):
		t.Fatalf("http %d gave %v, want ErrBadResponse", st, cerr)
	}
	if api != nil {
		checkAPIError(t, api)
	}
	return cerr.Error()
}

func newTextLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// stringsOf renders a Control the ways a caller might log it.
func stringsOf(ctl *Control) string {
	return strings.Join([]string{ctl.Token.String(), ctl.WSURL, ctl.UserID, ctl.OrgID}, " ")
}

func checkControl(t *testing.T, ctl *Control) {
	t.Helper()
	switch {
	case ctl.Token.IsZero():
		t.Fatal("success with an empty token")
	case ctl.Lifetime <= 0 || ctl.Lifetime > maxLifetime:
		t.Fatalf("lifetime %v outside (0, %v]", ctl.Lifetime, maxLifetime)
	case !ctl.ExpiresAt.Equal(ctl.ObtainedAt.Add(ctl.Lifetime)):
		t.Fatalf("ExpiresAt %v != ObtainedAt %v + Lifetime %v", ctl.ExpiresAt, ctl.ObtainedAt, ctl.Lifetime)
	}
}

func checkAPIError(t *testing.T, e *APIError) {
	t.Helper()
	for name, s := range map[string]string{"Message": e.Message, "RequestID": e.RequestID, "Code": e.Code} {
		limit := maxMessage
		if name == "RequestID" {
			limit = maxRequestID
		}
		if len(s) > limit+len("…") {
			t.Fatalf("%s is %d bytes, over %d", name, len(s), limit)
		}
		if !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl) {
			t.Fatalf("%s %q is not clean text", name, s)
		}
	}
	if e.Code != "" && !vendorCode.MatchString(e.Code) {
		t.Fatalf("Code %q does not look like a vendor code", e.Code)
	}
	if e.RetryAfter < 0 || e.RetryAfter > maxRetry {
		t.Fatalf("RetryAfter %v outside [0, %v]", e.RetryAfter, maxRetry)
	}
}

// FuzzRetryAfter checks the Retry-After parser alone, over the space of
// header values: never negative, never above the cap, and a plain count
// of seconds within the cap is taken as is.
func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"", "0", "7", "-1", "86400", "86401", "99999999999999999999", " 12 ",
		"Tue, 06 Jan 2026 09:00:30 GMT", "Mon, 05 Jan 2026 09:00:00 GMT", "Tuesday, 06-Jan-26 09:01:00 GMT", "1.5", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		d := retryAfter(h, fuzzNow)
		if d < 0 || d > maxRetry {
			t.Fatalf("retryAfter(%q) = %v, outside [0, %v]", h, d, maxRetry)
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(h), 10, 64); err == nil && n > 0 && n <= int64(maxRetry/time.Second) {
			if d != time.Duration(n)*time.Second {
				t.Fatalf("retryAfter(%q) = %v, want %ds", h, d, n)
			}
		}
	})
}
