package control_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/confwatch/confwatch/secret"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/clock"
	"github.com/confwatch/confwatch/control"
	"github.com/confwatch/confwatch/integration/fakemeeting"
	"github.com/confwatch/confwatch/token"
)

func TestRefusedTokenMeansOneReloginThenSuccess(t *testing.T) {
	r := newRig(t, roster(), nil)
	ctx := testCtx(t)
	if _, err := r.ctl.RealTimeInfo(ctx); err != nil { // logs in
		t.Fatal(err)
	}
	r.fake.Control().Refuse("LockMeeting", 1, fakemeeting.Refusal{Status: 401, Code: fakemeeting.CodeAuthFailed})
	if err := r.ctl.Lock(ctx, true); err != nil {
		t.Fatalf("Lock after one 401 = %v, want success after a re-login", err)
	}
	if n := r.fake.Stats().Logins; n != 2 {
		t.Errorf("%d logins, want 2 (the first and one re-login)", n)
	}
	if reqs := r.requests("LockMeeting"); len(reqs) != 2 || reqs[1].Status != 200 {
		t.Errorf("lock requests %+v", reqs)
	}
	if !r.fake.Meeting().View().Locked {
		t.Error("the meeting is not locked")
	}
}

func TestSecondRefusalMeansCredentialsRejected(t *testing.T) {
	r := newRig(t, roster(), nil)
	ctx := testCtx(t)
	r.fake.Control().Refuse("MuteParticipant", 2, fakemeeting.Refusal{Status: 401, Code: fakemeeting.CodeAuthFailed})
	err := r.ctl.Mute(ctx, "pid-chen-jie", true)
	if !errors.Is(err, token.ErrCredentialsRejected) || !errors.Is(err, token.ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrCredentialsRejected wrapping the 401", err)
	}
	if n := len(r.requests("MuteParticipant")); n != 2 {
		t.Errorf("%d requests, want 2: no third try", n)
	}
	if n := r.fake.Stats().Logins; n != 2 {
		t.Errorf("%d logins, want 2", n)
	}
}

func TestRejectedCredentialsAtLogin(t *testing.T) {
	fake, err := fakemeeting.New(roster())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	client, _ := token.New(token.Config{BaseURL: fake.URL()})
	t.Cleanup(client.CloseIdleConnections)
	for name, pc := range map[string]token.ProviderConfig{
		"wrong password":           {ConferenceID: fake.ConferenceID(), Password: secret.New("CNRYpw-wrong")},
		"stale token, no password": {ConferenceID: fake.ConferenceID(), ControlToken: secret.New("stb" + tokenCanary + strings.Repeat("0", 41))},
	} {
		t.Run(name, func(t *testing.T) {
			p, _ := token.NewProvider(client, pc)
			c, _ := control.New(control.Config{Tokens: p})
			err := c.Lock(testCtx(t), true)
			if !errors.Is(err, token.ErrCredentialsRejected) {
				t.Fatalf("err = %v, want ErrCredentialsRejected", err)
			}
			if strings.Contains(err.Error(), "CNRY") {
				t.Errorf("a secret in %v", err)
			}
		})
	}
	if len(fake.Control().Requests()) != 0 {
		t.Error("an action was sent without a control token")
	}
}

func TestPermissionDenied(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*fakemeeting.Control)
		act   func(context.Context, *control.Client) error
		msg   string
	}{
		{"403", func(k *fakemeeting.Control) {
			k.Refuse("", 1, fakemeeting.Refusal{Status: 403, Code: "MMC.111070002", Msg: "you are not the host"})
		}, func(ctx context.Context, c *control.Client) error { return c.Lock(ctx, true) }, "you are not the host"},
		{"guest token, 400", func(k *fakemeeting.Control) { k.SetCaller(fakemeeting.CallerGuest) },
			func(ctx context.Context, c *control.Client) error { return c.Record(ctx, true) }, "GUEST_OPERATION_NOT_ALLOWED"},
		{"guest token, 403", func(k *fakemeeting.Control) { k.SetCaller(fakemeeting.CallerGuest); k.SetDenyStatus(403) },
			func(ctx context.Context, c *control.Client) error { return c.End(ctx) }, "GUEST_OPERATION_NOT_ALLOWED"},
		{"co-host acting on the host", func(k *fakemeeting.Control) { k.SetCaller(fakemeeting.CallerCohost) },
			func(ctx context.Context, c *control.Client) error { return c.Mute(ctx, "pid-li-wei", true) }, "COHOST_CANNOT_OPERATE_HOST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, roster(), nil)
			tt.setup(r.fake.Control())
			err := tt.act(testCtx(t), r.ctl)
			var api *token.APIError
			if !errors.Is(err, token.ErrPermissionDenied) || !errors.As(err, &api) {
				t.Fatalf("err = %v, want ErrPermissionDenied", err)
			}
			if api.Message != tt.msg || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("message %q, want the vendor's %q", api.Message, tt.msg)
			}
			if n := len(r.fake.Control().Requests()); n != 1 {
				t.Errorf("%d requests, want 1: a refusal is not retried", n)
			}
		})
	}
}

func TestThrottlingHonoursRetryAfter(t *testing.T) {
	r := newRig(t, roster(), nil)
	ctx := testCtx(t)
	r.fake.Control().Refuse("Record", 1, fakemeeting.Refusal{Status: 429, Code: fakemeeting.CodeFlowControl, RetryAfter: 7 * time.Second})
	done := make(chan error, 1)
	go func() { done <- r.ctl.Record(ctx, true) }()
	if err := r.clock.BlockUntil(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if next, _ := r.clock.Next(); next.Sub(t0) != 7*time.Second {
		t.Errorf("waits until %v, want Retry-After's 7 s", next.Sub(t0))
	}
	r.clock.Advance(7 * time.Second)
	if err := <-done; err != nil {
		t.Fatalf("Record after a 429 = %v", err)
	}
	if reqs := r.requests("Record"); len(reqs) != 2 || !r.fake.Meeting().View().Recording {
		t.Errorf("requests %+v", reqs)
	}
}

func TestThrottlingWithoutRetryAfterBacksOffThenGivesUp(t *testing.T) {
	r := newRig(t, roster(), nil)
	ctx := testCtx(t)
	r.fake.Control().Refuse("Record", 5, fakemeeting.Refusal{Status: 400, Code: fakemeeting.CodeFlowControl})
	done := make(chan error, 1)
	go func() { done <- r.ctl.Record(ctx, true) }()
	var waits []time.Duration
	for range 2 {
		if err := r.clock.BlockUntil(ctx, 1); err != nil {
			t.Fatal(err)
		}
		d, _ := r.clock.AdvanceToNext()
		waits = append(waits, d)
	}
	err := <-done
	if !errors.Is(err, token.ErrRateLimited) {
		t.Fatalf("err = %v, want ErrRateLimited", err)
	}
	if waits[0] != time.Second || waits[1] != 2*time.Second || len(r.requests("Record")) != 3 {
		t.Errorf("waits %v over %d requests, want 1s, 2s over 3", waits, len(r.requests("Record")))
	}
}

func TestThrottlingWaitIsCapped(t *testing.T) {
	tests := []struct {
		name  string
		after time.Duration
		ctx   time.Duration // 0: no deadline
		cap   time.Duration
	}{
		{"over the default cap", 61 * time.Second, 0, 0},
		{"over a configured cap", 10 * time.Second, 0, 5 * time.Second},
		{"past the context's deadline", 5 * time.Second, 2 * time.Second, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, roster(), func(c *control.Config) { c.MaxRetryAfter = tt.cap })
			ctx := testCtx(t)
			if tt.ctx > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.ctx)
				defer cancel()
			}
			r.fake.Control().Refuse("LockMeeting", 1, fakemeeting.Refusal{Status: 429, Code: fakemeeting.CodeFlowControl, RetryAfter: tt.after})
			start := time.Now()
			err := r.ctl.Lock(ctx, true)
			var api *token.APIError
			if !errors.Is(err, token.ErrRateLimited) || !errors.As(err, &api) || api.RetryAfter != tt.after {
				t.Fatalf("err = %v, want ErrRateLimited at once", err)
			}
			if time.Since(start) > tt.ctx/2+time.Second || r.clock.Timers() != 0 {
				t.Errorf("waited %v (timers %d); a wait too long should not start", time.Since(start), r.clock.Timers())
			}
		})
	}
}

func TestEndedMeeting(t *testing.T) {
	r := newRig(t, roster(), nil)
	ctx := testCtx(t)
	if err := r.ctl.End(ctx); err != nil {
		t.Fatal(err)
	}
	for name, act := range map[string]func() error{
		"lock":  func() error { return r.ctl.Lock(ctx, true) },
		"end":   func() error { return r.ctl.End(ctx) },
		"read":  func() error { _, err := r.ctl.RealTimeInfo(ctx); return err },
		"admit": func() error { return r.ctl.AdmitAll(ctx) },
	} {
		if err := act(); !errors.Is(err, token.ErrMeetingEnded) {
			t.Errorf("%s after the end: %v, want ErrMeetingEnded", name, err)
		}
	}
}

func TestCancelReturnsAtOnce(t *testing.T) {
	r := newRig(t, roster(), nil)
	if _, err := r.ctl.RealTimeInfo(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	t.Run("during the request", func(t *testing.T) {
		r.fake.Control().Delay("LockMeeting", time.Hour)
		defer r.fake.Control().Delay("LockMeeting", 0)
		ctx, cancel := context.WithCancel(testCtx(t))
		time.AfterFunc(20*time.Millisecond, cancel)
		start := time.Now()
		err := r.ctl.Lock(ctx, true)
		if !errors.Is(err, context.Canceled) || time.Since(start) > 5*time.Second {
			t.Errorf("Lock = %v after %v, want context.Canceled at once", err, time.Since(start))
		}
	})
	t.Run("while throttled", func(t *testing.T) {
		r.fake.Control().Refuse("Record", 1, fakemeeting.Refusal{Status: 429, Code: fakemeeting.CodeFlowControl, RetryAfter: 10 * time.Second})
		ctx, cancel := context.WithCancel(testCtx(t))
		done := make(chan error, 1)
		go func() { done <- r.ctl.Record(ctx, true) }()
		if err := r.clock.BlockUntil(ctx, 1); err != nil {
			t.Fatal(err)
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "while waiting to retry") {
			t.Errorf("Record = %v, want context.Canceled naming the wait", err)
		}
	})
	t.Run("before the call", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		before := len(r.fake.Control().Requests())
		if err := r.ctl.Mute(ctx, "pid-chen-jie", true); !errors.Is(err, context.Canceled) {
			t.Errorf("Mute = %v", err)
		}
		if len(r.fake.Control().Requests()) != before {
			t.Error("a cancelled action was sent")
		}
	})
}

func TestServerFailureRetriedOnlyWhenRepeatable(t *testing.T) {
	r := newRig(t, roster(), nil)
	ctx := testCtx(t)
	r.fake.Control().Refuse("", 1, fakemeeting.Refusal{Status: 500, Code: "MMC.111072012"})
	done := make(chan error, 1)
	go func() { done <- r.ctl.Mute(ctx, "pid-chen-jie", true) }()
	if err := r.clock.BlockUntil(ctx, 1); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(time.Second)
	if err := <-done; err != nil || len(r.requests("MuteParticipant")) != 2 {
		t.Errorf("Mute after one 500 = %v with %d requests, want success after one retry", err, len(r.requests("MuteParticipant")))
	}

	for name, act := range map[string]func() error{
		"InviteParticipant": func() error { return r.ctl.Invite(ctx, control.Invitee{Name: "Wang Fang", Phone: "+99111000009"}) },
		"ProlongMeeting":    func() error { return r.ctl.Extend(ctx, 15*time.Minute) },
		"HangUp":            func() error { return r.ctl.HangUp(ctx, "pid-zhang-min") },
	} {
		r.fake.Control().Refuse(name, 1, fakemeeting.Refusal{Status: 502})
		if err := act(); err == nil || len(r.requests(name)) != 1 {
			t.Errorf("%s after a 502: %v with %d requests, want the error and no retry", name, err, len(r.requests(name)))
		}
	}
	if r.clock.Timers() != 0 {
		t.Error("a timer is left")
	}
}

func TestUnreachableFailsFast(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	client, _ := token.New(token.Config{BaseURL: "http://" + addr})
	p, _ := token.NewProvider(client, token.ProviderConfig{ConferenceID: "986112045", Password: secret.New(canaryPassword)})
	fc := clock.NewFake(t0)
	c, _ := control.New(control.Config{Tokens: p, Clock: fc})
	start := time.Now()
	err = c.Lock(testCtx(t), true)
	if !errors.Is(err, control.ErrUnreachable) || time.Since(start) > 5*time.Second || fc.Timers() != 0 {
		t.Errorf("Lock = %v after %v, want ErrUnreachable at once", err, time.Since(start))
	}
}

func TestAnswersThatAreNotTheAPIs(t *testing.T) {
	html := "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>" + strings.Repeat("x", 100) + "</body></html>"
	tests := []struct {
		name    string
		status  int
		body    string
		act     func(context.Context, *control.Client) error
		want    error  // a sentinel, or nil for an *APIError of that status
		message string // in the error
	}{
		{"10 MiB success", 200, `{"participants":[` + strings.Repeat(" ", 10<<20) + `]}`, readInfo, token.ErrBadResponse, "body over"},
		{"10 MiB error", 500, strings.Repeat("e", 10<<20), end, nil, "body over 64 KiB"},
		{"HTML success", 200, html, lock, token.ErrBadResponse, "HTML page"},
		{"HTML error", 502, html, end, nil, "HTML page: 502 Bad Gateway"},
		{"invalid JSON info", 200, `{"participants":[{"pid":"a"`, readInfo, token.ErrBadResponse, "unexpected end"},
		{"info of the wrong type", 200, `{"participants":"everyone"}`, readInfo, token.ErrBadResponse, "cannot unmarshal"},
		{"non-zero returnCode", 200, `{"returnCode":111072012,"returnDesc":"PART_CONTROL_FAILED"}`, lock, token.ErrBadResponse, "returnCode 111072012 (PART_CONTROL_FAILED)"},
		{"error without a vendor body", 400, `no`, lock, nil, "non-JSON body: no"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctl, api, _ := newCanned(t, func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			})
			err := tt.act(testCtx(t), ctl)
			var apiErr *token.APIError
			switch {
			case err == nil:
				t.Fatal("no error")
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Errorf("err = %v, want %v", err, tt.want)
			case tt.want == nil && (!errors.As(err, &apiErr) || apiErr.Status != tt.status):
				t.Errorf("err = %v, want an *APIError with status %d", err, tt.status)
			}
			if !strings.Contains(err.Error(), tt.message) || len(err.Error()) > 600 {
				t.Errorf("error %q (%d bytes) does not say %q briefly", err, len(err.Error()), tt.message)
			}
			if api.calls > 2 {
				t.Errorf("%d calls", api.calls)
			}
		})
	}
}

func TestEmptyAndOtherSuccessBodiesAreAccepted(t *testing.T) {
	for _, body := range []string{"", `{}`, `{"returnCode":0,"returnDesc":"SUCCESS"}`, `{"returnCode":"0"}`, `{"data":null}`} {
		ctl, _, _ := newCanned(t, func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, body) })
		if err := ctl.Lock(testCtx(t), true); err != nil {
			t.Errorf("200 %q: %v", body, err)
		}
	}
}

func TestRealTimeInfoIsDecodedLeniently(t *testing.T) {
	body := `{"attendees":[{"accountID":"user01","name":"user01","phone":"+99111283746501234"}],
	 "participants":[{"pid":"a6b4","name":"user01","phone":"+991","state":0,"video":1,"mute":"1","hand":0},
	                 {"pid":"e428","name":"Room 3F","phone":"+992","state":"2","video":0,"mute":0,"hand":true},
	                 {"name":"no pid"}],
	 "confInfo":{"chairID":"a6b4","coHosts":["e428"]}}`
	ctl, _, _ := newCanned(t, func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, body) })
	info, err := ctl.RealTimeInfo(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	p, ok := info.Participant("e428")
	switch {
	case len(info.Participants) != 2 || !ok:
		t.Errorf("participants %+v", info.Participants)
	case p.State != 2 || !p.HandRaised || p.Muted || p.Video:
		t.Errorf("room %+v", p)
	case !info.Participants[0].Muted || !info.Participants[0].Video:
		t.Errorf("user %+v", info.Participants[0])
	case info.Host != "a6b4" || len(info.Cohosts) != 1 || info.Cohosts[0] != "e428":
		t.Errorf("host %q cohosts %v", info.Host, info.Cohosts)
	case len(info.Attendees) != 1 || info.Attendees[0].AccountID != "user01":
		t.Errorf("attendees %+v", info.Attendees)
	case len(info.Named(" ROOM 3f ")) != 1 || len(info.Named("Room")) != 0:
		t.Error("Named does not match whole names without case")
	}
}

func readInfo(ctx context.Context, c *control.Client) error {
	_, err := c.RealTimeInfo(ctx)
	return err
}
func lock(ctx context.Context, c *control.Client) error { return c.Lock(ctx, true) }
func end(ctx context.Context, c *control.Client) error  { return c.End(ctx) }
