package main

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/clock"
	"github.com/confwatch/confwatch/examples/internal/fleettest"
	"github.com/confwatch/confwatch/examples/internal/natsconn"
	"github.com/confwatch/confwatch/secret"
)

// natsBot is the bot in -nats mode on a fleet of one worker and one
// meeting.
type natsBot struct {
	r         *fleettest.Rig
	id        string
	out, logs *syncBuffer
	hook      *hookServer
	done      chan error
	workers   map[string]*fleettest.Worker
}

func runNATSBot(t *testing.T, tune func(*config, *fleettest.Rig), workers ...string) *natsBot {
	t.Helper()
	r := fleettest.New(t, 1)
	if len(workers) == 0 {
		workers = []string{"w1"}
	}
	b := &natsBot{workers: map[string]*fleettest.Worker{}}
	for _, name := range workers {
		b.workers[name] = r.StartWorker(name)
	}
	r.WaitSubscribed(30 * time.Second)
	b.r, b.id, b.out, b.logs, b.hook, b.done = r, r.IDs()[0], &syncBuffer{}, &syncBuffer{}, newHookServer(t, http.StatusOK), make(chan error, 1)
	cfg := config{NATS: natsconn.Flags{URL: r.URL}, Conference: b.id, Webhook: webhookConfig{URL: b.hook.URL, Logger: newLogger(b.logs)}}
	if tune != nil {
		tune(&cfg, r)
	}
	ctx, cancel := context.WithCancel(context.Background())
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		b.done <- run(ctx, cfg, b.out, newLogger(b.logs))
	}()
	t.Cleanup(func() {
		cancel()
		<-finished
		if t.Failed() {
			t.Logf("stdout:\n%s\nlogs:\n%s", b.out.String(), b.logs.String())
		}
	})
	eventually(t, "the bot watching from the fleet", func() bool { return strings.Contains(b.logs.String(), "handraise-bot: watching") })
	return b
}

func (b *natsBot) end(t *testing.T) {
	t.Helper()
	if err := b.r.Meeting(b.id).End(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitRun(t, b.done, b.logs)
}

func (b *natsBot) assertNoSecret(t *testing.T) {
	t.Helper()
	bodies, _ := b.hook.requests()
	all := b.out.String() + b.logs.String()
	for _, body := range bodies {
		all += string(body)
	}
	for _, c := range []string{fleettest.CanaryPassword, fleettest.CanaryToken} {
		if strings.Contains(all, c) {
			t.Errorf("the secret %q reached stdout, the log or a webhook body", c)
		}
	}
}

// TestNATSBotReportsHandsReadOnly: with -nats and no meeting credentials
// the bot reports a hand raised and lowered in the meeting, on stdout and
// to the webhook, and ends with the meeting; it opened no socket of its
// own.
func TestNATSBotReportsHandsReadOnly(t *testing.T) {
	b := runNATSBot(t, nil)
	m := b.r.Meeting(b.id)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(m.RaiseHand("pid-room-3f", true))
	eventually(t, "the raised hand on stdout", func() bool { return slices.Contains(texts(b.out.String()), "Meeting Room 3F raised a hand") })
	must(m.RaiseHand("pid-room-3f", false))
	must(m.Record(true))
	b.end(t)

	want := []string{"Meeting Room 3F raised a hand", "Meeting Room 3F lowered a hand", "recording started"}
	if got := texts(b.out.String()); !slices.Equal(got, want) {
		t.Errorf("stdout lines:\n%q\nwant:\n%q", got, want)
	}
	bodies, _ := b.hook.requests()
	var kinds []string
	for _, body := range bodies {
		var n notice
		if err := json.Unmarshal(body, &n); err != nil {
			t.Fatalf("webhook body %s: %v", body, err)
		}
		if n.Conference != b.id || n.At.IsZero() {
			t.Errorf("notice %s lacks the meeting ID or time", body)
		}
		kinds = append(kinds, n.Kind)
	}
	if want := []string{"HandRaised", "HandLowered", "RecordingStarted"}; !slices.Equal(kinds, want) {
		t.Errorf("webhook notices %q, want %q", kinds, want)
	}
	if c := b.r.Svc.Counters(); c.Meetings[b.id].Sockets != 1 || c.MaxLiveSockets != 1 {
		t.Errorf("fake counters %+v: want the worker's one socket only", c.Meetings[b.id])
	}
	b.assertNoSecret(t)
}

// TestNATSBotActsWithCredentials: with -nats, -lower-after and the
// host password the bot lowers a hand that stayed up through the control
// API, while the fleet's worker stays the meeting's only socket.
func TestNATSBotActsWithCredentials(t *testing.T) {
	fake := clock.NewFake(time.Date(2026, 1, 6, 9, 0, 0, 0, time.UTC))
	b := runNATSBot(t, func(c *config, r *fleettest.Rig) {
		c.LowerAfter, c.Clock = 2*time.Minute, fake
		// The control API is the meeting's own (the service's front
		// routes only the token calls and the socket).
		id := r.IDs()[0]
		c.Password, c.API = secret.New(r.Svc.HostPassword(id)), r.Svc.Meeting(id).URL()
	})
	m := b.r.Meeting(b.id)
	start := fake.Now()
	if err := m.RaiseHand("pid-room-3f", true); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the lowering timer", func() bool { next, ok := fake.Next(); return ok && next.Equal(start.Add(2*time.Minute)) })
	fake.Advance(2 * time.Minute)
	eventually(t, "the bot to lower the hand", func() bool { return m.View().Participants["pid-room-3f"]["HAND"] == "0" })
	eventually(t, "the lowering notice", func() bool {
		return slices.Contains(texts(b.out.String()), "lowered Meeting Room 3F's hand: up for 2m0s")
	})
	if c := b.r.Svc.Counters().Meetings[b.id]; c.Subscribed != 1 || c.Sockets != 1 || c.MaxLiveSockets != 1 {
		t.Errorf("fake counters %+v: want the worker's one socket only", c)
	}
	b.end(t)
	b.assertNoSecret(t)
}

func TestNATSBotConfigErrors(t *testing.T) {
	nats := natsconn.Flags{URL: "nats://127.0.0.1:1"}
	for name, tc := range map[string]struct {
		cfg  config
		want string
	}{
		"no conference":       {config{NATS: nats}, "-nats needs -conference"},
		"acting, no password": {config{NATS: nats, Conference: "986112000", LowerAfter: time.Minute}, "needs CONFWATCH_HOST_PASSWORD"},
		"admitting":           {config{NATS: nats, Conference: "986112000", Admit: "^Guest"}, "needs CONFWATCH_HOST_PASSWORD"},
		"metrics":             {config{NATS: nats, Conference: "986112000", MetricsAddr: "127.0.0.1:0"}, "-metrics-addr"},
		"bad url":             {config{NATS: natsconn.Flags{URL: "localhost"}, Conference: "986112000"}, "not a URL"},
	} {
		err := run(context.Background(), tc.cfg, &syncBuffer{}, newLogger(&syncBuffer{}))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: run = %v, want an error saying %q", name, err, tc.want)
		}
	}
	// Reading only: no password needed; nobody listens there, and run says so.
	err := run(context.Background(), config{NATS: nats, Conference: "986112000"}, &syncBuffer{}, newLogger(&syncBuffer{}))
	if err == nil || !strings.Contains(err.Error(), "connect") {
		t.Errorf("run with no NATS server = %v, want a connect error", err)
	}
}

// TestNATSBotReportsAcrossAFailover: the worker holding the meeting is
// killed; a hand raised while no worker listens is reported, marked
// inferred, once the other worker has taken the meeting over.
func TestNATSBotReportsAcrossAFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two fleet workers")
	}
	b := runNATSBot(t, nil, "w1", "w2")
	owner := b.r.Owners()[b.id]
	victim := b.workers[owner[:strings.LastIndexByte(owner, '-')]]
	victim.Kill()
	if err := b.r.Meeting(b.id).RaiseHand("pid-li-wei", true); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the inferred hand on stdout", func() bool {
		return slices.Contains(texts(b.out.String()), "Li Wei raised a hand (while disconnected)")
	})
	b.end(t)
	bodies, _ := b.hook.requests()
	var inferred int
	for _, body := range bodies {
		var n notice
		if json.Unmarshal(body, &n) == nil && n.Kind == "HandRaised" && n.PID == "pid-li-wei" && n.Inferred {
			inferred++
		}
	}
	if inferred != 1 {
		t.Errorf("%d inferred HandRaised notices for Li Wei in %q, want 1", inferred, bodies)
	}
	if owners := b.r.Owners(); strings.HasPrefix(owners[b.id], victim.Name+"-") {
		t.Errorf("the meeting is still on the killed worker: %v", owners)
	}
	b.assertNoSecret(t)
}
