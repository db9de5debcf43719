package main

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/integration/fakemeeting"
	"github.com/confwatch/confwatch/secret"
)

const (
	canaryPassword = "canary-host-pw-7731"
	canaryToken    = "canaryTokenK3" // inside every token the fake mints
)

// runBot starts the bot on a fake meeting and returns the fake, the bot's
// stdout and logs, and a channel that yields run's result.
func runBot(t *testing.T, hook webhookConfig) (*fakemeeting.Server, *syncBuffer, *syncBuffer, <-chan error) {
	t.Helper()
	fake, err := fakemeeting.New(fakemeeting.Config{
		HostPassword: canaryPassword, TokenCanary: canaryToken,
		Participants: []fakemeeting.Person{
			{PID: "pid-li-wei", Name: "Li Wei", Role: fakemeeting.RoleHost},
			{PID: "pid-zhang-min", Name: "Zhang Min"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	var out, logs syncBuffer
	hook.Logger = newLogger(&logs)
	cfg := config{Conference: fake.ConferenceID(), Password: secret.New(fake.HostPassword()), API: fake.URL(), Webhook: hook}
	ctx, cancel := context.WithCancel(context.Background())
	done, finished := make(chan error, 1), make(chan struct{})
	go func() {
		defer close(finished)
		done <- run(ctx, cfg, &out, newLogger(&logs))
	}()
	t.Cleanup(func() { cancel(); <-finished })
	wctx, wcancel := context.WithTimeout(ctx, wait)
	defer wcancel()
	if err := fake.WaitSubscribed(wctx, 1); err != nil {
		t.Fatalf("the bot did not subscribe: %v\n%s", err, logs.String())
	}
	return fake, &out, &logs, done
}

// playScript runs the meeting the bot tests watch, then ends it.
func playScript(t *testing.T, fake *fakemeeting.Server) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := fake.Meeting().JoinOne(fakemeeting.Person{PID: "pid-early", Name: "Early Emma"}) // unlocked: not reported
	must(err)
	must(fake.Meeting().RaiseHand("pid-zhang-min", true))
	must(fake.Meeting().Mute("pid-li-wei", true)) // not reported
	must(fake.Meeting().RaiseHand("pid-zhang-min", false))
	must(fake.Meeting().Lock(true)) // not reported by itself
	_, err = fake.Meeting().JoinOne(fakemeeting.Person{PID: "pid-late", Name: "Late Larry"})
	must(err)
	must(fake.Meeting().Record(true))
	must(fake.Meeting().End(t.Context()))
}

func waitRun(t *testing.T, done <-chan error, logs *syncBuffer) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run = %v, want nil when the meeting ends", err)
		}
	case <-time.After(wait):
		t.Fatalf("run did not return after the meeting ended\n%s", logs.String())
	}
}

var wantLines = []string{
	"Zhang Min raised a hand",
	"Zhang Min lowered a hand",
	"Late Larry joined the locked meeting",
	"recording started",
}

// texts strips the time from each output line ("15:04:05  text").
func texts(out string) []string {
	var got []string
	for line := range strings.Lines(out) {
		_, text, ok := strings.Cut(strings.TrimRight(line, "\n"), "  ")
		if !ok {
			text = "malformed line: " + line
		}
		got = append(got, text)
	}
	return got
}

func TestBotReportsHandsLockedJoinsAndRecording(t *testing.T) {
	h := newHookServer(t, http.StatusOK)
	fake, out, logs, done := runBot(t, webhookConfig{URL: h.URL})
	playScript(t, fake)
	waitRun(t, done, logs)

	if got := texts(out.String()); !slices.Equal(got, wantLines) {
		t.Errorf("stdout lines:\n%q\nwant:\n%q", got, wantLines)
	}
	// run returns after the webhook drained: every notice was POSTed.
	bodies, _ := h.requests()
	var kinds []string
	for _, b := range bodies {
		var n notice
		if err := json.Unmarshal(b, &n); err != nil {
			t.Fatalf("webhook body %s: %v", b, err)
		}
		if n.Conference != fake.ConferenceID() || n.At.IsZero() {
			t.Errorf("notice %s lacks the meeting ID or time", b)
		}
		kinds = append(kinds, n.Kind)
	}
	wantKinds := []string{"HandRaised", "HandLowered", "JoinedWhileLocked", "RecordingStarted"}
	if !slices.Equal(kinds, wantKinds) {
		t.Errorf("webhook notices %q, want %q", kinds, wantKinds)
	}
	for _, secret := range []string{canaryPassword, canaryToken} {
		if strings.Contains(out.String()+logs.String(), secret) {
			t.Errorf("the secret %q reached stdout or the log", secret)
		}
	}
}

func TestBotKeepsRunningWhenWebhookAlwaysFails(t *testing.T) {
	h := newHookServer(t, http.StatusInternalServerError)
	fake, out, logs, done := runBot(t, webhookConfig{URL: h.URL + "/hook/canary-hook-secret", Attempts: 3, Backoff: time.Millisecond})
	playScript(t, fake)
	waitRun(t, done, logs)

	if got := texts(out.String()); !slices.Equal(got, wantLines) {
		t.Errorf("stdout lines with a failing webhook:\n%q\nwant:\n%q", got, wantLines)
	}
	if got, want := h.attempts.Load(), int64(3*len(wantLines)); got != want {
		t.Errorf("webhook got %d attempts, want %d (3 per notice)", got, want)
	}
	if n := strings.Count(logs.String(), "gave up on a notice"); n != len(wantLines) {
		t.Errorf("logged %d give-ups, want %d:\n%s", n, len(wantLines), logs.String())
	}
	if strings.Contains(logs.String(), "canary-hook-secret") || strings.Contains(logs.String(), canaryPassword) || strings.Contains(logs.String(), canaryToken) {
		t.Error("a secret reached the log")
	}
}

func TestRunNeedsBothCredentials(t *testing.T) {
	for _, cfg := range []config{
		{Conference: "986112045"},
		{Password: secret.New("604117")},
	} {
		if err := run(context.Background(), cfg, &syncBuffer{}, newLogger(&syncBuffer{})); err == nil {
			t.Errorf("run(%+v) = nil, want a usage error", cfg)
		}
	}
}

func TestRunDemoEndsWithTheMeeting(t *testing.T) {
	var out, logs syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(context.Background(), config{Speed: 40}, &out, newLogger(&logs)) }()
	waitRun(t, done, &logs) // the demo lasts 80 s / 40 = 2 s
	got := texts(out.String())
	for _, want := range []string{"Zhang Min raised a hand", "recording started", "Guest Wang joined the locked meeting"} {
		if !slices.Contains(got, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
}
