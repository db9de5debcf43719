package main

import (
	"context"
	"encoding/json"
	"github.com/confwatch/confwatch/secret"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/clock"
	"github.com/confwatch/confwatch/integration/fakemeeting"
)

// actingBot is a bot run with tune applied to its config, on a fake
// meeting of the host, Zhang Min and Chen Jie; its waits run on the
// returned fake clock.
type actingBot struct {
	fake      *fakemeeting.Server
	clock     *clock.Fake
	out, logs *syncBuffer
	hook      *hookServer
	done      chan error
}

func runActingBot(t *testing.T, tune func(*config)) *actingBot {
	t.Helper()
	fake, err := fakemeeting.New(fakemeeting.Config{
		HostPassword: canaryPassword, TokenCanary: canaryToken,
		Participants: []fakemeeting.Person{
			{PID: "pid-li-wei", Name: "Li Wei", Role: fakemeeting.RoleHost},
			{PID: "pid-zhang-min", Name: "Zhang Min"},
			{PID: "pid-chen-jie", Name: "Chen Jie"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	b := &actingBot{fake: fake, clock: clock.NewFake(time.Date(2026, 1, 6, 9, 0, 0, 0, time.UTC)),
		out: &syncBuffer{}, logs: &syncBuffer{}, hook: newHookServer(t, http.StatusOK), done: make(chan error, 1)}
	cfg := config{Conference: fake.ConferenceID(), Password: secret.New(fake.HostPassword()), API: fake.URL(),
		Webhook: webhookConfig{URL: b.hook.URL, Logger: newLogger(b.logs)}, Clock: b.clock}
	tune(&cfg)
	ctx, cancel := context.WithCancel(context.Background())
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		b.done <- run(ctx, cfg, b.out, newLogger(b.logs))
	}()
	t.Cleanup(func() { cancel(); <-finished })
	wctx, wcancel := context.WithTimeout(ctx, wait)
	defer wcancel()
	if err := fake.WaitSubscribed(wctx, 1); err != nil {
		t.Fatalf("the bot did not subscribe: %v\n%s", err, b.logs.String())
	}
	return b
}

// until polls cond for at most wait.
func (b *actingBot) until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s\nstdout:\n%s\nlogs:\n%s", what, b.out.String(), b.logs.String())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// armed waits until the bot's lowering timer is set for at.
func (b *actingBot) armed(t *testing.T, at time.Time) {
	t.Helper()
	b.until(t, "the lowering timer", func() bool { next, ok := b.clock.Next(); return ok && next.Equal(at) })
}

// noticed counts the stdout lines saying text.
func (b *actingBot) noticed(text string) int { return slicesCount(texts(b.out.String()), text) }

func (b *actingBot) hands(pid string) int {
	n := 0
	for _, r := range b.fake.Control().Requests() {
		if r.Op == "Hand" && r.Query.Get("participantID") == pid {
			n++
		}
	}
	return n
}

func (b *actingBot) end(t *testing.T) {
	t.Helper()
	if err := b.fake.Meeting().End(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-b.done:
		if err != nil {
			t.Fatalf("run = %v", err)
		}
	case <-time.After(wait):
		t.Fatalf("run did not return after the meeting ended\n%s", b.logs.String())
	}
}

func TestBotLowersAHandThatStaysUp(t *testing.T) {
	b := runActingBot(t, func(c *config) { c.LowerAfter = 2 * time.Minute })
	start := b.clock.Now()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	must(b.fake.Meeting().RaiseHand("pid-zhang-min", true))
	b.armed(t, start.Add(2*time.Minute))
	b.clock.Advance(2 * time.Minute)
	b.until(t, "the bot to lower the hand", func() bool { return b.fake.Meeting().View().Participants["pid-zhang-min"]["HAND"] == "0" })
	b.until(t, "the lowering notice", func() bool { return b.noticed("lowered Zhang Min's hand: up for 2m0s") == 1 })

	// A hand lowered in time is left alone. Zhang Min's next raise is a
	// sync point: the bot handles sightings in order, so once it lowered
	// that hand it has seen Chen Jie's hand go down.
	must(b.fake.Meeting().RaiseHand("pid-chen-jie", true))
	b.armed(t, start.Add(4*time.Minute))
	must(b.fake.Meeting().RaiseHand("pid-chen-jie", false))
	b.clock.Advance(time.Minute)
	must(b.fake.Meeting().RaiseHand("pid-zhang-min", true))
	b.armed(t, start.Add(5*time.Minute))
	b.clock.Advance(2 * time.Minute)
	b.until(t, "the second lowering", func() bool { return b.noticed("lowered Zhang Min's hand: up for 2m0s") == 2 })
	if n := b.hands("pid-chen-jie"); n != 0 || b.hands("pid-zhang-min") != 2 {
		t.Errorf("the bot lowered a hand that was already down (%d calls)", n)
	}
	b.end(t)

	got := texts(b.out.String())
	if n := slicesCount(got, "lowered Zhang Min's hand: up for 2m0s"); n != 2 {
		t.Errorf("%d lowering notices, want 2:\n%q", n, got)
	}
	if !slices.Contains(got, "Chen Jie lowered a hand") || !slices.Contains(got, "Zhang Min lowered a hand") {
		t.Errorf("the pushes of the lowering were not reported:\n%q", got)
	}
	kinds := b.hookKinds(t)
	if slicesCount(kinds, "HandLoweredByBot") != 2 {
		t.Errorf("webhook notices %q", kinds)
	}
	b.noSecrets(t)
}

func TestBotAdmitsMatchingWaitingMembers(t *testing.T) {
	b := runActingBot(t, func(c *config) { c.Admit = `^Guest\b` })
	for _, p := range []fakemeeting.Person{
		{PID: "pid-visitor", Name: "Visitor Guest"},
		{PID: "pid-guest-wang", Name: "Guest Wang"},
	} {
		if _, err := b.fake.Meeting().WaitingRoomJoin(p); err != nil {
			t.Fatal(err)
		}
	}
	b.until(t, "Guest Wang to be admitted", func() bool { return b.noticed("admitted Guest Wang from the waiting room") == 1 })
	if _, err := b.fake.Meeting().WaitingRoomJoin(fakemeeting.Person{PID: "pid-guest-li", Name: "Guest Li"}); err != nil {
		t.Fatal(err)
	}
	b.until(t, "Guest Li to be admitted", func() bool { return b.noticed("admitted Guest Li from the waiting room") == 1 })
	b.end(t)

	if _, waiting := b.fake.Meeting().View().WaitingRoom["pid-visitor"]; !waiting {
		t.Error("a member whose name does not match was admitted")
	}
	var admitted []string
	for _, r := range b.fake.Control().Requests() {
		if r.Op == "AllowWaitingParticipant" {
			var body struct{ ParticipantID string }
			_ = json.Unmarshal(r.Body, &body)
			admitted = append(admitted, body.ParticipantID)
		}
	}
	if !slices.Equal(admitted, []string{"pid-guest-wang", "pid-guest-li"}) {
		t.Errorf("admitted %q, want each matching member once", admitted)
	}
	got := texts(b.out.String())
	for _, want := range []string{"admitted Guest Wang from the waiting room", "admitted Guest Li from the waiting room"} {
		if !slices.Contains(got, want) {
			t.Errorf("stdout lacks %q:\n%q", want, got)
		}
	}
	if slicesCount(b.hookKinds(t), "Admitted") != 2 {
		t.Errorf("webhook notices %q", b.hookKinds(t))
	}
	b.noSecrets(t)
}

func TestBadAdmitPatternIsRefused(t *testing.T) {
	if err := run(context.Background(), config{Conference: "986112045", Password: secret.New("x"), API: "http://127.0.0.1:1", Admit: "("},
		&syncBuffer{}, newLogger(&syncBuffer{})); err == nil || !strings.Contains(err.Error(), "-admit") {
		t.Errorf("run = %v, want the pattern refused", err)
	}
}

func TestDemoExercisesLoweringAndAdmitting(t *testing.T) {
	var out, logs syncBuffer
	done := make(chan error, 1)
	cfg := config{Speed: 10, LowerAfter: 300 * time.Millisecond, Admit: "^Guest"}
	go func() { done <- run(context.Background(), cfg, &out, newLogger(&logs)) }()
	waitRun(t, done, &logs) // 80 s / 10
	got := texts(out.String())
	for _, want := range []string{"lowered Zhang Min's hand: up for 300ms", "admitted Guest Wang from the waiting room", "Guest Wang joined the locked meeting"} {
		if !slices.Contains(got, want) {
			t.Errorf("demo output lacks %q:\n%s\nlogs:\n%s", want, out.String(), logs.String())
		}
	}
	if strings.Contains(logs.String(), "demo script failed") {
		t.Errorf("the demo script tripped over the bot:\n%s", logs.String())
	}
}

func (b *actingBot) hookKinds(t *testing.T) []string {
	t.Helper()
	bodies, _ := b.hook.requests()
	var kinds []string
	for _, body := range bodies {
		var n notice
		if err := json.Unmarshal(body, &n); err != nil {
			t.Fatalf("webhook body %s: %v", body, err)
		}
		kinds = append(kinds, n.Kind)
	}
	return kinds
}

func (b *actingBot) noSecrets(t *testing.T) {
	t.Helper()
	for _, secret := range []string{canaryPassword, canaryToken} {
		if strings.Contains(b.out.String()+b.logs.String(), secret) {
			t.Errorf("the secret %q reached stdout or the log", secret)
		}
	}
}

func slicesCount(xs []string, x string) int {
	n := 0
	for _, v := range xs {
		if v == x {
			n++
		}
	}
	return n
}
