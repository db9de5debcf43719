package secrets_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/confwatch/confwatch/secret"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/integration/fakemeeting"
	"github.com/confwatch/confwatch/integration/internal/pipeline"
	"github.com/confwatch/confwatch/internal/demo"
	"github.com/confwatch/confwatch/token"
)

// fast makes real-time scenarios short: quick heartbeats and retries.
func fast(c *connector.Config) {
	c.HeartbeatInterval = 200 * time.Millisecond
	c.ReadTimeout = 600 * time.Millisecond
	c.MinResyncInterval = 100 * time.Millisecond
	c.ReadLimit = 256 << 10
	c.Backoff = connector.Backoff{Initial: 10 * time.Millisecond, Max: 100 * time.Millisecond}
}

// tap renders every event the way a user of the library would log it:
// the typed payload (never Push.Raw, which is documented to be the frame
// as received), with every fmt verb and as JSON.
func tap(a *audit) events.Handler {
	return events.HandlerFunc(func(_ context.Context, e events.Event) {
		switch e := e.(type) {
		case *events.Push:
			b, _ := json.Marshal(e.Payload)
			head := *e
			head.Raw = nil // documented as the frame as received
			a.add("events", head, e.Payload, string(b))
		default:
			b, _ := json.Marshal(e)
			a.add("events", e, string(b))
		}
	})
}

// watch starts a Watcher on fake whose logs, events and values feed a.
func watch(t *testing.T, a *audit, fake *fakemeeting.Server, password string) *pipeline.Watcher {
	t.Helper()
	w, err := pipeline.StartWatcher(pipeline.WatcherConfig{
		APIBase: fake.URL(), ConferenceID: fake.ConferenceID(), Password: secret.New(password),
		TokenTimeout: 5 * time.Second, Logger: a.logger("session"), Session: fast, Tap: tap(a),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Stop(waitLong) })
	return w
}

// render adds everything a caller can print about a session.
func render(a *audit, w *pipeline.Watcher) {
	st := w.Session.Stats()
	snap := w.State.Snapshot()
	sj, _ := json.Marshal(snap)
	stj, _ := json.Marshal(st)
	a.add("values", st, st.LastError, w.Tokens, string(sj), string(stj), w.State.Stats())
	for _, e := range w.Lifecycle() {
		if d, ok := e.(*events.Disconnected); ok {
			a.add("errors", d.Err, d.Err.Error())
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if ctl, err := w.Tokens.Control(ctx); err == nil {
		b, _ := json.Marshal(ctl)
		a.add("values", ctl, *ctl, string(b), ctl.Token)
	} else {
		a.add("errors", err)
	}
}

// TestSessionLeaksNothing runs the connector and its token chain through
// every fault the fake can inject — drops, refused and rate-limited ws
// tokens, a refused keep-alive, a refused Subscribe (re-authentication),
// refused upgrades by status and by close frame, a stall, malformed,
// binary and oversize frames — and through keep-alives of a 3-second
// control token, captions on, and the end of the meeting.
func TestSessionLeaksNothing(t *testing.T) {
	a := newAudit(t, canaryPassword, canaryGuest, tokenCanary)
	fake := newFake(t, fakemeeting.Config{ControlTokenTTL: 3 * time.Second, Participants: []fakemeeting.Person{{Name: "Li"}, {Name: "Wu"}}})
	w := watch(t, a, fake, canaryPassword)
	subscribes := int64(1)
	resubscribed := func(what string) {
		t.Helper()
		waitFor(t, what, func() bool {
			st := w.Session.Stats()
			return st.Subscribes >= subscribes && st.State == connector.StateSubscribed
		})
		subscribes = w.Session.Stats().Subscribes + 1
	}
	resubscribed("the first Subscribe")
	for _, f := range []struct {
		what   string
		inject func()
	}{
		{"a drop", func() {}},
		{"a refused ws token (401)", func() {
			fake.Faults().RefuseWSToken(1, fakemeeting.Refusal{Status: 401, Code: fakemeeting.CodeAuthFailed})
		}},
		{"refused ws tokens (5xx)", func() { fake.Faults().RefuseWSToken(2, fakemeeting.Refusal{Status: 503}) }},
		{"a rate-limited ws token", func() {
			fake.Faults().RefuseWSToken(1, fakemeeting.Refusal{Status: 429, Code: fakemeeting.CodeFlowControl, RetryAfter: time.Second})
		}},
		{"a refused Subscribe", func() { fake.Faults().SubscribeReturnCode(111070004) }},
		{"an upgrade refused by status", func() { fake.Faults().RefuseUpgrades(1, 401) }},
		{"an upgrade refused by close frame", func() { fake.Faults().RefuseUpgrades(1, 0) }},
		{"a refused login", func() { fake.Faults().RefuseLogin(1, fakemeeting.Refusal{Status: 503, Msg: "echo " + canaryPassword}) }},
	} {
		f.inject()
		fake.Faults().DropAll()
		resubscribed("resubscribe after " + f.what)
	}
	fake.Faults().Stall(true)
	waitFor(t, "the stall to be detected", func() bool { d, _ := w.Count(); return d >= 9 })
	fake.Faults().Stall(false)
	resubscribed("resubscribe after a stall")
	fake.Faults().SendMalformed()
	fake.Faults().SendBinary()
	fake.Faults().SendOversize(300 << 10)
	resubscribed("resubscribe after an oversize frame")
	waitFor(t, "two keep-alives", func() bool { return fake.Stats().KeepAlives >= 2 })
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	if err := w.Session.SendSubtitleControl(ctx, connector.SubtitleControl{}); err != nil {
		a.add("errors", err)
	}
	render(a, w)
	if err := fake.Meeting().End(t.Context()); err != nil {
		t.Fatal(err)
	}
	<-w.Done()
	if !errors.Is(w.Err(), connector.ErrMeetingEnded) {
		t.Errorf("Run = %v, want the meeting's end", w.Err())
	}
	a.add("errors", w.Err())
	if err := w.Session.SendSubtitleControl(ctx, connector.SubtitleControl{}); err != nil {
		a.add("errors", err)
	}
	a.check()
}

// TestWrongPasswordLeaksNothing logs in with a wrong password until the
// session gives up: neither the wrong password nor the right one may
// show anywhere.
func TestWrongPasswordLeaksNothing(t *testing.T) {
	a := newAudit(t, canaryPassword, canaryGuest, canaryWrongPW, tokenCanary)
	fake := newFake(t, fakemeeting.Config{})
	w := watch(t, a, fake, canaryWrongPW)
	select {
	case <-w.Done():
	case <-time.After(waitLong):
		t.Fatal("the session did not give up on a wrong password")
	}
	if !errors.Is(w.Err(), connector.ErrCredentialsRejected) {
		t.Errorf("Run = %v, want ErrCredentialsRejected", w.Err())
	}
	a.add("errors", w.Err(), fmt.Sprint(errors.Unwrap(w.Err())))
	render(a, w)
	a.check()
}

// TestCallerGivenTokenLeaksNothing runs the token chain on a control
// token obtained elsewhere (no password): kept alive while it lives, then
// refused once it has lapsed (ErrCannotRenew). The token itself is the
// secret under audit.
func TestCallerGivenTokenLeaksNothing(t *testing.T) {
	a := newAudit(t, canaryPassword, canaryGuest, tokenCanary)
	fake := newFake(t, fakemeeting.Config{ControlTokenTTL: time.Second})
	log := a.logger("token chain")
	c, err := token.New(token.Config{BaseURL: fake.URL(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	minted, err := c.Login(ctx, fake.ConferenceID(), secret.New(canaryPassword))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(minted.Token.Reveal(), tokenCanary) {
		t.Fatal("the fake minted a token without the canary: the audit would be blind")
	}
	p, err := token.NewProvider(c, token.ProviderConfig{ConferenceID: fake.ConferenceID(), ControlToken: minted.Token})
	if err != nil {
		t.Fatal(err)
	}
	ctl, err := p.Control(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ws, err := p.WSToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a.add("values", p, minted, *minted, ctl, *ctl, ws, *ws)
	time.Sleep(1500 * time.Millisecond) // the token lapses
	_, err = c.WSToken(ctx, fake.ConferenceID(), ctl.Token)
	a.add("errors", err)
	p.Invalidate(ctl)
	_, err = p.Control(ctx)
	if !errors.Is(err, token.ErrCannotRenew) {
		t.Errorf("Control after the token lapsed = %v, want ErrCannotRenew", err)
	}
	a.add("errors", err)
	a.check()
}

// TestDemoScriptLeaksNothing plays the demo's script (people, hands,
// recording, lock, waiting room, a drop, the end) on a canary fake with
// a Watcher logging at debug.
func TestDemoScriptLeaksNothing(t *testing.T) {
	a := newAudit(t, canaryPassword, canaryGuest, tokenCanary)
	fake := newFake(t, fakemeeting.Config{Participants: []fakemeeting.Person{
		{PID: "pid-li-wei", Name: "Li Wei", Role: fakemeeting.RoleHost, Video: true},
		{PID: "pid-room-3f", Name: "Meeting Room 3F", Video: true, Muted: true},
	}})
	w := watch(t, a, fake, canaryPassword)
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	if err := fake.WaitSubscribed(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := demo.Play(ctx, fake, 40, func(what string) { a.writer("demo notes").Write([]byte(what + "\n")) }); err != nil {
		t.Fatal(err)
	}
	<-w.Done()
	a.add("errors", w.Err())
	render(a, w)
	a.check()
}
