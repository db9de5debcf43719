package token_test

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/confwatch/confwatch/clock"
	"github.com/confwatch/confwatch/secret"
	"github.com/confwatch/confwatch/token"
)

var sentinels = map[string]error{
	"ErrUnauthorized": token.ErrUnauthorized,
	"ErrMeetingEnded": token.ErrMeetingEnded,
	"ErrNotStarted":   token.ErrNotStarted,
	"ErrRateLimited":  token.ErrRateLimited,
	"ErrLoginLocked":  token.ErrLoginLocked,
	"ErrCannotRenew":  token.ErrCannotRenew,
	"ErrBadResponse":  token.ErrBadResponse,
}

// answer serves one canned response to every request.
func answer(status int, header map[string]string, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

func TestAPIErrorMapsToSentinels(t *testing.T) {
	fc := clock.NewFake(t0)
	tests := []struct {
		name      string
		status    int
		header    map[string]string
		body      string
		want      string // sentinel name, "" for none
		wantCode  string
		wantRetry time.Duration
	}{
		{name: "http 401", status: 401, want: "ErrUnauthorized"},
		{name: "password wrong", status: 400, body: `{"error_code":"MMC.111072065","error_msg":"CONF_NOT_FOUND_OR_AUTH_FAILED"}`, want: "ErrUnauthorized", wantCode: "MMC.111072065"},
		{name: "auth failed", status: 400, body: `{"error_code":"MMC.111070004","error_msg":"x"}`, want: "ErrUnauthorized", wantCode: "MMC.111070004"},
		{name: "ended", status: 400, body: `{"error_code":"MMC.111072006","error_msg":"x"}`, want: "ErrMeetingEnded", wantCode: "MMC.111072006"},
		{name: "not exist", status: 400, body: `{"error_code":"MMC.111070005","error_msg":"x"}`, want: "ErrMeetingEnded", wantCode: "MMC.111070005"},
		{name: "ending", status: 400, body: `{"error_code":"MMC.111072003","error_msg":"x"}`, want: "ErrMeetingEnded", wantCode: "MMC.111072003"},
		{name: "vmr expired", status: 400, body: `{"error_code":"MMC.111072014","error_msg":"x"}`, want: "ErrMeetingEnded", wantCode: "MMC.111072014"},
		{name: "bare code without MMC prefix", status: 400, body: `{"error_code":"111072006"}`, want: "ErrMeetingEnded", wantCode: "111072006"},
		{name: "lower-case prefix", status: 400, body: `{"error_code":"mmc.111072006"}`, want: "ErrMeetingEnded", wantCode: "mmc.111072006"},
		{name: "not started", status: 400, body: `{"error_code":"MMC.111072005","error_msg":"x"}`, want: "ErrNotStarted", wantCode: "MMC.111072005"},
		{name: "login locked", status: 400, body: `{"error_code":"MMC.111072064","error_msg":"x"}`, want: "ErrLoginLocked", wantCode: "MMC.111072064"},
		{name: "http 429 seconds", status: 429, header: map[string]string{"Retry-After": "7"}, want: "ErrRateLimited", wantRetry: 7 * time.Second},
		{name: "http 429 date", status: 429, header: map[string]string{"Retry-After": t0.Add(90 * time.Second).Format(http.TimeFormat)}, want: "ErrRateLimited", wantRetry: 90 * time.Second},
		{name: "http 429 past date", status: 429, header: map[string]string{"Retry-After": t0.Add(-time.Hour).Format(http.TimeFormat)}, want: "ErrRateLimited"},
		{name: "http 429 garbage", status: 429, header: map[string]string{"Retry-After": "soon"}, want: "ErrRateLimited"},
		{name: "http 429 absurd", status: 429, header: map[string]string{"Retry-After": "99999999999999"}, want: "ErrRateLimited", wantRetry: 24 * time.Hour},
		{name: "flow control numeric code", status: 400, body: `{"error_code":100000429,"error_msg":"FLOW_CONTROL"}`, want: "ErrRateLimited", wantCode: "100000429"},
		{name: "bad request", status: 400, body: `{"error_code":"MMC.111070001","error_msg":"x"}`, wantCode: "MMC.111070001"},
		{name: "http 403", status: 403, body: `{"error_code":"MMC.111070002"}`, wantCode: "MMC.111070002"},
		{name: "http 500", status: 500, body: `{"error_code":"MMC.111070000"}`, wantCode: "MMC.111070000"},
		{name: "http 503", status: 503},
		{name: "redirect is not followed", status: 302, header: map[string]string{"Location": "https://elsewhere.example/"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{"X-Request-Id": "rid-42"}
			for k, v := range tt.header {
				h[k] = v
			}
			c, _ := newServer(t, answer(tt.status, h, tt.body), token.Config{Clock: fc})
			_, err := c.Login(testCtx(t), testConf, secret.New(testPassword))
			var api *token.APIError
			if !errors.As(err, &api) {
				t.Fatalf("error %v is not an *APIError", err)
			}
			if api.Status != tt.status || api.Code != tt.wantCode || api.RequestID != "rid-42" || api.Op != "login" {
				t.Errorf("got status %d code %q request id %q op %q", api.Status, api.Code, api.RequestID, api.Op)
			}
			if api.RetryAfter != tt.wantRetry {
				t.Errorf("RetryAfter = %v, want %v", api.RetryAfter, tt.wantRetry)
			}
			for name, s := range sentinels {
				if got := errors.Is(err, s); got != (name == tt.want) {
					t.Errorf("errors.Is(err, %s) = %v; err = %v", name, got, err)
				}
			}
			if !strings.Contains(err.Error(), "request id rid-42") {
				t.Errorf("error %q lacks the request id", err)
			}
		})
	}
}

func TestAPIErrorString(t *testing.T) {
	tests := []struct {
		name string
		err  *token.APIError
		want string
	}{
		{
			name: "full",
			err:  &token.APIError{Op: "login", Status: 400, Code: "MMC.111072065", Message: "CONF_NOT_FOUND_OR_AUTH_FAILED", RequestID: "abc"},
			want: "token: login: http 400 MMC.111072065 (CONF_NOT_FOUND_OR_AUTH_FAILED), request id abc",
		},
		{
			name: "bare",
			err:  &token.APIError{Op: "ws token", Status: 401},
			want: "token: ws token: http 401",
		},
		{
			name: "retry after",
			err:  &token.APIError{Op: "keep-alive", Status: 429, RetryAfter: 3 * time.Second},
			want: "token: keep-alive: http 429, retry after 3s",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestErrorBodiesAreBounded(t *testing.T) {
	huge := bytes.Repeat([]byte("x"), 10<<20)
	tests := []struct {
		name     string
		status   int
		body     []byte
		wantMsg  string // substring of Message
		wantCode string
		wantRID  string
	}{
		{name: "empty", status: 502, body: nil, wantMsg: "empty body"},
		{name: "whitespace", status: 502, body: []byte(" \n\t "), wantMsg: "empty body"},
		{name: "html with title", status: 502, body: []byte("<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"), wantMsg: "HTML page: 502 Bad Gateway"},
		{name: "html without title", status: 503, body: []byte("<html><body>down</body></html>"), wantMsg: "HTML page"},
		{name: "plain text", status: 500, body: []byte("upstream connect error"), wantMsg: "non-JSON body: upstream connect error"},
		{name: "control characters", status: 500, body: []byte("bad\x00\x1b[31mred\r\nnext\u2028line"), wantMsg: "bad [31mred next line"},
		{name: "invalid utf-8", status: 500, body: []byte("caf\xe9 \xff"), wantMsg: "caf\uFFFD \uFFFD"},
		{name: "truncated json", status: 400, body: []byte(`{"error_code":"MMC.1`), wantMsg: `non-JSON body: {"error_code":"MMC.1`},
		{name: "code and message", status: 400, body: []byte(`{"code":"MMC.111072006","message":"ended"}`), wantMsg: "ended", wantCode: "MMC.111072006"},
		{name: "nested error", status: 404, body: []byte(`{"error":{"code":"APIGW.0101","message":"The API does not exist","request_id":"gw-1"}}`), wantMsg: "The API does not exist", wantCode: "APIGW.0101", wantRID: "gw-1"},
		{name: "error string", status: 500, body: []byte(`{"error":"internal"}`), wantMsg: "internal"},
		{name: "camel case keys", status: 400, body: []byte(`{"errorCode":"MMC.111072005","errorMsg":"not started","requestId":"b-7"}`), wantMsg: "not started", wantCode: "MMC.111072005", wantRID: "b-7"},
		{name: "json without error fields", status: 500, body: []byte(`{"foo":1}`), wantMsg: `JSON body without an error code: {"foo":1}`},
		{name: "code that is no code", status: 400, body: []byte(`{"error_code":"not a code!","error_msg":"m"}`), wantMsg: "not a code! m"},
		{name: "huge html", status: 502, body: append([]byte("<html><title>gw</title>"), huge...), wantMsg: "body over 64 KiB, HTML page: gw"},
		{name: "huge body", status: 500, body: huge, wantMsg: "body over 64 KiB, non-JSON body: xxx"},
		{name: "huge message", status: 400, body: []byte(`{"error_code":"MMC.111070001","error_msg":"` + strings.Repeat("m", 60000) + `"}`), wantMsg: "mmm", wantCode: "MMC.111070001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newServer(t, answer(tt.status, nil, string(tt.body)), token.Config{})
			_, err := c.Login(testCtx(t), testConf, secret.New(testPassword))
			var api *token.APIError
			if !errors.As(err, &api) {
				t.Fatalf("error %v is not an *APIError", err)
			}
			if api.Status != tt.status || api.Code != tt.wantCode || api.RequestID != tt.wantRID {
				t.Errorf("got status %d code %q request id %q", api.Status, api.Code, api.RequestID)
			}
			if !strings.Contains(api.Message, tt.wantMsg) {
				t.Errorf("Message = %q, want it to contain %q", api.Message, tt.wantMsg)
			}
			if len(api.Message) > 256 {
				t.Errorf("Message is %d bytes, want at most 256", len(api.Message))
			}
			s := err.Error()
			if len(s) > 512 {
				t.Errorf("Error() is %d bytes, want at most 512", len(s))
			}
			if i := strings.IndexFunc(s, unicode.IsControl); i >= 0 {
				t.Errorf("Error() has a control character at %d: %q", i, s)
			}
		})
	}
}
