package token_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/clock"
	"github.com/confwatch/confwatch/secret"
	"github.com/confwatch/confwatch/token"
)

func TestControlDecoding(t *testing.T) {
	fc := clock.NewFake(t0)
	expMs := func(d time.Duration) int64 { return t0.Add(d).UnixMilli() }
	tests := []struct {
		name         string
		body         string
		wantLifetime time.Duration
		wantRole     int
		wantTypes    []string
		wantErr      error
		wantMsg      string
	}{
		{
			name:         "vendor sample",
			body:         `{"data":{"token":"CANARYTOK-a","wsURL":"wss://100.94.23.40:443","role":1,"expireTime":` + itoa(expMs(30*time.Minute)) + `,"confTokenExpireTime":1800,"supportNotifyType":["A","B"]},"addressToken":"x"}`,
			wantLifetime: 30 * time.Minute, wantRole: 1, wantTypes: []string{"A", "B"},
		},
		{
			name:         "numbers as strings",
			body:         `{"data":{"token":"CANARYTOK-a","wsURL":"wss://h","role":"1","expireTime":"` + itoa(expMs(20*time.Minute)) + `","confTokenExpireTime":"1800"}}`,
			wantLifetime: 20 * time.Minute, wantRole: 1,
		},
		{
			name:         "only confTokenExpireTime",
			body:         `{"data":{"token":"CANARYTOK-a","wsURL":"wss://h","confTokenExpireTime":600}}`,
			wantLifetime: 10 * time.Minute,
		},
		{
			name:         "expireTime in seconds",
			body:         `{"data":{"token":"CANARYTOK-a","wsURL":"wss://h","expireTime":` + itoa(t0.Add(15*time.Minute).Unix()) + `}}`,
			wantLifetime: 15 * time.Minute,
		},
		{
			name:         "expireTime far off is ignored for the shorter field",
			body:         `{"data":{"token":"CANARYTOK-a","wsURL":"wss://h","expireTime":` + itoa(expMs(40*time.Minute)) + `,"confTokenExpireTime":1800}}`,
			wantLifetime: 30 * time.Minute,
		},
		{
			name:         "expireTime in the past",
			body:         `{"data":{"token":"CANARYTOK-a","wsURL":"wss://h","expireTime":` + itoa(expMs(-time.Minute)) + `}}`,
			wantLifetime: token.DefaultControlLifetime,
		},
		{
			name:         "no expiry at all",
			body:         `{"data":{"token":"CANARYTOK-a","wsUrl":"wss://h","supportNotifyType":"A, B"}}`,
			wantLifetime: token.DefaultControlLifetime, wantTypes: []string{"A", "B"},
		},
		{
			name:         "top level without data",
			body:         `{"token":"CANARYTOK-a","wsURL":"wss://h","confTokenExpireTime":60}`,
			wantLifetime: time.Minute,
		},
		{name: "no token", body: `{"data":{"wsURL":"wss://h"}}`, wantErr: token.ErrBadResponse, wantMsg: "no token in the answer, request id rid-7"},
		{name: "no wsURL", body: `{"data":{"token":"CANARYTOK-a"}}`, wantErr: token.ErrBadResponse, wantMsg: "no wsURL"},
		{name: "empty body", body: ``, wantErr: token.ErrBadResponse, wantMsg: "not the expected JSON"},
		{name: "html", body: `<html>hello</html>`, wantErr: token.ErrBadResponse, wantMsg: "not the expected JSON"},
		{name: "token is an object", body: `{"data":{"token":{"v":1},"wsURL":"wss://h"}}`, wantErr: token.ErrBadResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newServer(t, answer(200, map[string]string{"X-Request-Id": "rid-7"}, tt.body), token.Config{Clock: fc})
			ctl, err := c.Login(testCtx(t), testConf, secret.New(testPassword))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) || strings.Contains(err.Error(), "CANARY") {
					t.Fatalf("err = %v, want %v containing %q", err, tt.wantErr, tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ctl.Token.Reveal() != "CANARYTOK-a" || ctl.WSURL == "" {
				t.Errorf("token %q wsURL %q", ctl.Token.Reveal(), ctl.WSURL)
			}
			if ctl.Lifetime != tt.wantLifetime || !ctl.ObtainedAt.Equal(t0) || !ctl.ExpiresAt.Equal(t0.Add(tt.wantLifetime)) {
				t.Errorf("lifetime %v obtained %v expires %v", ctl.Lifetime, ctl.ObtainedAt, ctl.ExpiresAt)
			}
			if want := t0.Add(tt.wantLifetime * 5 / 6); !ctl.RefreshAt().Equal(want) {
				t.Errorf("RefreshAt = %v, want %v", ctl.RefreshAt(), want)
			}
			if ctl.Role != tt.wantRole || strings.Join(ctl.SupportNotifyType, ",") != strings.Join(tt.wantTypes, ",") {
				t.Errorf("role %d types %q", ctl.Role, ctl.SupportNotifyType)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
