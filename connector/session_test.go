package connector_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/integration/fakemeeting"
	"github.com/confwatch/confwatch/token"
)

func TestSubscribesAndDeliversSnapshotsInOrder(t *testing.T) {
	h := newHarness(t, setup{conf: fastConfig})
	h.waitSubscribed(1)
	h.eventually("participants snapshot", func() bool {
		return h.rec.count(func(e events.Event) bool {
			p, ok := e.(*events.Push)
			return ok && p.Action == events.ActionParticipants && p.Mode == events.ModeFull
		}) == 1
	})
	evs := h.rec.all()
	if !isSubscribed(evs[0]) {
		t.Fatalf("first event is %T, want *events.Subscribed before any push", evs[0])
	}
	if st := h.fake.Stats(); st.TokensIssued != 1 || st.Logins != 1 {
		t.Fatalf("fake stats %+v: want one ws token and one login", st)
	}
}

func TestAbruptDropResubscribesWithNewToken(t *testing.T) {
	h := newHarness(t, setup{conf: fastConfig})
	h.waitSubscribed(1)
	pid, err := h.fake.Meeting().JoinOne(fakemeeting.Person{Name: "Before Drop"})
	if err != nil {
		t.Fatal(err)
	}
	h.fake.Faults().DropAll()
	h.waitSubscribed(2)
	h.eventually("resubscribed event", func() bool { return h.rec.count(isResubscribed) == 1 })

	evs := h.rec.all()
	var disc, resub int = -1, -1
	for i, e := range evs {
		switch e := e.(type) {
		case *events.Disconnected:
			disc = i
			if e.Class != connector.ClassRetry.String() {
				t.Errorf("drop classified %q, want retry", e.Class)
			}
		case *events.Resubscribed:
			resub = i
			if !e.BlindTo.After(e.BlindFrom) && !e.BlindTo.Equal(e.BlindFrom) {
				t.Errorf("blind window %v..%v runs backwards", e.BlindFrom, e.BlindTo)
			}
		}
	}
	if disc < 0 || resub < disc {
		t.Fatalf("want Disconnected then Resubscribed, got indexes %d, %d", disc, resub)
	}
	st := h.fake.Stats()
	if st.TokensIssued != 2 {
		t.Fatalf("fake issued %d ws tokens, want a fresh one per dial (2)", st.TokensIssued)
	}
	if st.Logins != 1 {
		t.Fatalf("a drop must not log in again; logins = %d", st.Logins)
	}
	_ = pid
}

func TestStallIsDetectedAndRedialed(t *testing.T) {
	h := newHarness(t, setup{conf: func(c *connector.Config) {
		fastConfig(c)
		c.HeartbeatInterval = 100 * time.Millisecond
		c.ReadTimeout = 400 * time.Millisecond
	}})
	h.waitSubscribed(1)
	h.fake.Faults().Stall(true)
	h.eventually("a dead link", func() bool { return h.sess.Stats().Reconnects["retry"] >= 1 })
	h.fake.Faults().Stall(false)
	h.waitSubscribed(2)
	if st := h.sess.Stats(); !contains(st.LastError, "dead link") {
		t.Fatalf("last error %q, want a dead-link error", st.LastError)
	}
}

func TestHeartbeatOnScheduleWithEchoes(t *testing.T) {
	h := newHarness(t, setup{fakeClk: true})
	h.waitSubscribed(1)
	for i := int64(1); i <= 3; i++ {
		h.clk.Advance(connector.DefaultHeartbeatInterval - time.Millisecond)
		time.Sleep(5 * time.Millisecond)
		if got := h.fake.Stats().HeartBeats; got != i-1 {
			t.Fatalf("heartbeat %d sent early: fake saw %d", i, got)
		}
		h.clk.Advance(time.Millisecond)
		h.eventually("heartbeat echo", func() bool {
			st := h.sess.Stats()
			return st.HeartbeatsSent == i && st.HeartbeatsEcho == i
		})
	}
	if got := h.fake.Stats().HeartBeats; got != 3 {
		t.Fatalf("fake received %d heartbeats, want 3", got)
	}
	if st := h.sess.Stats(); st.Subscribes != 1 {
		t.Fatalf("heartbeats kept the link: want 1 subscribe, got %d", st.Subscribes)
	}
}

func TestWSTokenRefusals(t *testing.T) {
	t.Run("500x3 then ok", func(t *testing.T) {
		h := newHarness(t, setup{noRun: true, conf: fastConfig})
		h.fake.Faults().RefuseWSToken(3, fakemeeting.Refusal{Status: 500, Code: "MMC.111070999"})
		h.run()
		h.waitSubscribed(1)
		if got := h.sess.Stats().Reconnects["retry"]; got != 3 {
			t.Fatalf("retries = %d, want 3", got)
		}
		if st := h.fake.Stats(); st.WSTokenRequests != 4 || st.Logins != 1 {
			t.Fatalf("fake %+v: want 4 ws token requests and 1 login", st)
		}
	})
	t.Run("401 relogs in", func(t *testing.T) {
		h := newHarness(t, setup{noRun: true, conf: fastConfig})
		h.fake.Faults().RefuseWSToken(1, fakemeeting.Refusal{Status: 401, Code: "MMC.111070004"})
		h.run()
		h.waitSubscribed(1)
		if st := h.fake.Stats(); st.Logins != 2 {
			t.Fatalf("logins = %d, want a fresh login after the 401 (2)", st.Logins)
		}
		if got := h.sess.Stats().Reconnects["reauth"]; got != 1 {
			t.Fatalf("reauth count = %d, want 1", got)
		}
	})
	t.Run("rate limited waits Retry-After", func(t *testing.T) {
		h := newHarness(t, setup{noRun: true, fakeClk: true})
		h.fake.Faults().RefuseWSToken(1, fakemeeting.Refusal{Status: 429, Code: "100000429", RetryAfter: 7 * time.Second})
		start := h.clk.Now()
		h.run()
		h.eventually("a scheduled retry", func() bool { return !h.sess.Stats().NextRetryAt.IsZero() })
		if d := h.sess.Stats().NextRetryAt.Sub(start); d < 7*time.Second {
			t.Fatalf("retry scheduled after %v, want at least Retry-After (7s)", d)
		}
		h.clk.Advance(6 * time.Second)
		time.Sleep(10 * time.Millisecond)
		if got := h.fake.Stats().WSTokenRequests; got != 1 {
			t.Fatalf("retried before Retry-After: %d requests", got)
		}
		h.clk.Advance(2 * time.Second)
		h.waitSubscribed(1)
	})
}

func TestWrongPasswordStopsWithoutLooping(t *testing.T) {
	h := newHarness(t, setup{pwd: "wrong-password", conf: fastConfig})
	err := h.wait()
	if !errors.Is(err, connector.ErrCredentialsRejected) || !errors.Is(err, token.ErrUnauthorized) {
		t.Fatalf("Run = %v, want ErrCredentialsRejected wrapping token.ErrUnauthorized", err)
	}
	if st := h.fake.Stats(); st.Logins != 0 || st.WSTokenRequests != 0 {
		t.Fatalf("fake %+v: no token may be issued", st)
	}
	if got := h.sess.Stats().Reconnects["reauth"]; got != 2 {
		t.Fatalf("login attempts = %d, want exactly 2 (one fresh login after the first refusal)", got)
	}
	if contains(err.Error(), "wrong-password") {
		t.Fatal("the password leaked into the error")
	}
}

func TestUpgradeRefusals(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
	}{{"503 status", 503}, {"401 status", 401}, {"accept then close", 0}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, setup{noRun: true, conf: fastConfig})
			h.fake.Faults().RefuseUpgrades(3, tc.status)
			h.run()
			h.waitSubscribed(1)
			st := h.fake.Stats()
			if st.UpgradesRefused != 3 || st.TokensIssued != 4 {
				t.Fatalf("fake %+v: want 3 refused upgrades and a fresh token for each of 4 dials", st)
			}
		})
	}
}

func TestSubscribeRejectedReauthenticates(t *testing.T) {
	h := newHarness(t, setup{noRun: true, conf: fastConfig})
	h.fake.Faults().SubscribeReturnCode(111070004)
	h.run()
	h.waitSubscribed(1)
	if st := h.fake.Stats(); st.Logins != 2 || st.SubscribesFailed != 1 {
		t.Fatalf("fake %+v: want a failed subscribe then a fresh login", st)
	}
	if !contains(h.sess.Stats().LastError, "returnCode 111070004") {
		t.Fatalf("last error %q does not name the return code", h.sess.Stats().LastError)
	}
}

func TestMeetingNotStartedThenStarts(t *testing.T) {
	h := newHarness(t, setup{fake: fakemeeting.Config{NotStarted: true}, conf: fastConfig})
	h.eventually("waiting for the start", func() bool { return h.sess.Stats().Reconnects["wait"] >= 2 })
	if st, _ := h.sess.State(); st != connector.StateConnecting {
		t.Fatalf("state %v, want connecting", st)
	}
	if err := h.fake.Meeting().Start(); err != nil {
		t.Fatal(err)
	}
	h.waitSubscribed(1)
}

func TestMeetingEndStopsWithoutRedial(t *testing.T) {
	h := newHarness(t, setup{conf: fastConfig})
	h.waitSubscribed(1)
	if err := h.fake.Meeting().End(t.Context()); err != nil {
		t.Fatal(err)
	}
	err := h.wait()
	if !errors.Is(err, connector.ErrMeetingEnded) {
		t.Fatalf("Run = %v, want ErrMeetingEnded", err)
	}
	if errors.Is(err, context.Canceled) {
		t.Fatal("the ended sentinel must be distinct from cancellation")
	}
	if st := h.fake.Stats(); st.Upgrades != 1 || st.WSTokenRequests != 1 {
		t.Fatalf("fake %+v: no dial may follow the end", st)
	}
	last := h.rec.all()[len(h.rec.all())-1]
	p, ok := last.(*events.Push)
	if !ok || p.Action != events.ActionConfDynamicInfo || !p.Payload.(*events.ConfDynamicInfoNotify).Ended() {
		t.Fatalf("last event %T %+v, want the Destroyed status push delivered", last, last)
	}
}

func TestEndedMeetingFoundOnRedial(t *testing.T) {
	h := newHarness(t, setup{conf: fastConfig})
	h.waitSubscribed(1)
	h.fake.Faults().RefuseWSToken(1, fakemeeting.Refusal{Status: 400, Code: "MMC.111072006"})
	h.fake.Faults().DropAll()
	err := h.wait()
	if !errors.Is(err, connector.ErrMeetingEnded) || !errors.Is(err, token.ErrMeetingEnded) {
		t.Fatalf("Run = %v, want ErrMeetingEnded", err)
	}
}

func TestCancelReturnsPromptlyInEveryState(t *testing.T) {
	cases := []struct {
		name    string
		prepare func(h *harness)
		reached func(h *harness) bool
	}{
		{"fetching tokens", func(h *harness) { h.fake.Faults().SetDelay(time.Hour) }, func(h *harness) bool { return true }},
		{"live", nil, func(h *harness) bool { st, _ := h.sess.State(); return st == connector.StateSubscribed }},
		{"backing off", func(h *harness) { h.fake.Faults().RefuseWSToken(100, fakemeeting.Refusal{Status: 503}) }, func(h *harness) bool { return !h.sess.Stats().NextRetryAt.IsZero() }},
		{"subscribing", func(h *harness) { h.fake.Faults().Stall(true) }, func(h *harness) bool { return h.fake.Stats().Upgrades >= 1 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, setup{noRun: true, conf: func(c *connector.Config) {
				fastConfig(c)
				c.Backoff.Initial, c.Backoff.Max = time.Hour, time.Hour
				c.Backoff.Jitter = connector.NoJitter
			}})
			if tc.prepare != nil {
				tc.prepare(h)
			}
			h.run()
			h.eventually("the state under test", func() bool { return tc.reached(h) })
			start := time.Now()
			h.stop()
			err := h.wait()
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Run = %v, want context.Canceled", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("Run took %v to return after cancel, want < 2s", d)
			}
			if st, _ := h.sess.State(); st != connector.StateStopped {
				t.Fatalf("state %v after Run, want stopped", st)
			}
		})
	}
}

func TestCancelSendsCloseFrame(t *testing.T) {
	h := newHarness(t, setup{conf: fastConfig})
	h.waitSubscribed(1)
	h.halt()
	if err := h.fake.WaitLive(ctxTimeout(t), 0); err != nil {
		t.Fatalf("the socket stayed open after cancel: %v", err)
	}
}

func TestFlappingServerBacksOff(t *testing.T) {
	h := newHarness(t, setup{conf: func(c *connector.Config) {
		c.Backoff = connector.Backoff{Initial: 20 * time.Millisecond, Max: 10 * time.Second, Jitter: connector.NoJitter}
		c.HealthyAfter = time.Minute
	}})
	var retries []time.Time
	for i := int64(1); i <= 5; i++ {
		h.waitSubscribed(i)
		time.Sleep(10 * time.Millisecond)
		h.fake.Faults().DropAll()
		h.eventually("a scheduled retry", func() bool { return !h.sess.Stats().NextRetryAt.IsZero() })
		retries = append(retries, h.sess.Stats().NextRetryAt)
	}
	// Without jitter the k-th delay is 20ms·2^k; the schedule must grow
	// although every link came up fine.
	h.waitSubscribed(6)
	if got := h.sess.Stats().Reconnects["retry"]; got != 5 {
		t.Fatalf("retries = %d, want 5", got)
	}
	logs := h.logs.String()
	for _, want := range []string{"reconnecting in 20ms", "reconnecting in 40ms", "reconnecting in 80ms", "reconnecting in 160ms", "reconnecting in 320ms"} {
		if !contains(logs, want) {
			t.Fatalf("logs lack %q: delays did not grow while flapping\n%s", want, logs)
		}
	}
	_ = retries
}

func TestLongOutageKeepsRetrying(t *testing.T) {
	h := newHarness(t, setup{fakeClk: true, noRun: true})
	h.fake.Faults().RefuseWSToken(1_000_000, fakemeeting.Refusal{Status: 503})
	start := h.clk.Now()
	h.run()
	for h.clk.Now().Sub(start) < 20*time.Minute {
		h.eventually("a scheduled retry", func() bool { return !h.sess.Stats().NextRetryAt.IsZero() })
		next := h.sess.Stats().NextRetryAt
		h.clk.Set(next)
		h.eventually("the retry", func() bool { n := h.sess.Stats().NextRetryAt; return n.IsZero() || n.After(next) })
	}
	select {
	case err := <-h.done:
		t.Fatalf("Run gave up after a 20 min outage: %v", err)
	default:
	}
	if st, _ := h.sess.State(); st != connector.StateConnecting {
		t.Fatalf("state %v, want still connecting", st)
	}
	if got := h.sess.Stats().Reconnects["retry"]; got < 20 {
		t.Fatalf("only %d retries in 20 fake minutes", got)
	}
}

func TestMaxOutageStops(t *testing.T) {
	h := newHarness(t, setup{noRun: true, conf: func(c *connector.Config) {
		fastConfig(c)
		c.Backoff.MaxOutage = 200 * time.Millisecond
	}})
	h.fake.Faults().RefuseWSToken(1_000_000, fakemeeting.Refusal{Status: 503})
	h.run()
	if err := h.wait(); !errors.Is(err, connector.ErrOutage) {
		t.Fatalf("Run = %v, want ErrOutage", err)
	}
}

func TestBadFramesAreCountedAndSurvived(t *testing.T) {
	h := newHarness(t, setup{conf: func(c *connector.Config) {
		fastConfig(c)
		c.ReadLimit = 64 << 10
	}})
	h.waitSubscribed(1)
	h.fake.Faults().SendMalformed()
	h.fake.Faults().SendBinary()
	h.eventually("malformed and binary counted", func() bool {
		st := h.sess.Stats()
		return st.Malformed == 1 && st.Binary == 1
	})
	if st := h.sess.Stats(); st.Subscribes != 1 {
		t.Fatalf("a malformed or binary frame must not end the link: %d subscribes", st.Subscribes)
	}
	h.fake.Faults().SendOversize(128 << 10)
	h.eventually("oversize counted", func() bool { return h.sess.Stats().Oversize == 1 })
	h.waitSubscribed(2)
}

func TestSlowHandlerDoesNotStarveHeartbeat(t *testing.T) {
	h := newHarness(t, setup{noRun: true, conf: func(c *connector.Config) {
		fastConfig(c)
		c.HeartbeatInterval = 100 * time.Millisecond
		c.ReadTimeout = time.Second
	}})
	h.rec.block = make(chan struct{})
	h.run()
	h.waitSubscribed(1)
	time.Sleep(3 * time.Second) // three read timeouts while the handler is stuck
	close(h.rec.block)
	if st := h.sess.Stats(); st.Subscribes != 1 || len(st.Reconnects) != 0 {
		t.Fatalf("a blocked handler caused a reconnect: %+v", st)
	}
	if st := h.sess.Stats(); st.HeartbeatsEcho < 10 {
		t.Fatalf("only %d heartbeat echoes while the handler was blocked", st.HeartbeatsEcho)
	}
}

func TestQueueOverflowDropsAndResyncs(t *testing.T) {
	h := newHarness(t, setup{noRun: true, conf: func(c *connector.Config) {
		fastConfig(c)
		c.Queue = 4
	}})
	h.rec.block = make(chan struct{})
	h.run()
	h.waitSubscribed(1)
	if _, err := h.fake.Meeting().Flood(ctxTimeout(t), 50, fakemeeting.FloodMixed); err != nil {
		t.Fatal(err)
	}
	h.eventually("drops", func() bool { return h.sess.Stats().Dropped > 0 })
	close(h.rec.block)
	h.eventually("a resync", func() bool { return h.sess.Stats().Resyncs == 1 })
	h.waitSubscribed(2)
	h.eventually("resubscribed event", func() bool {
		return h.rec.count(func(e events.Event) bool { r, ok := e.(*events.Resubscribed); return ok && r.Resync }) == 1
	})
}

func TestResyncIsRateLimited(t *testing.T) {
	h := newHarness(t, setup{fakeClk: true})
	h.waitSubscribed(1)
	if !h.sess.Resync("gap") {
		t.Fatal("first resync refused")
	}
	if h.sess.Resync("gap again") {
		t.Fatal("second resync within MinResyncInterval accepted")
	}
	h.waitSubscribed(2)
	if st := h.sess.Stats(); st.Resyncs != 1 || st.ResyncsLimited != 1 {
		t.Fatalf("resyncs %d limited %d, want 1 and 1", st.Resyncs, st.ResyncsLimited)
	}
	if st := h.fake.Stats(); st.TokensIssued != 2 {
		t.Fatalf("a resync needs a fresh ws token: issued %d", st.TokensIssued)
	}
	h.clk.Advance(connector.DefaultMinResync)
	if !h.sess.Resync("later gap") {
		t.Fatal("resync after the interval refused")
	}
	h.waitSubscribed(3)
}

func TestSubtitleControl(t *testing.T) {
	h := newHarness(t, setup{noRun: true, conf: fastConfig})
	if err := h.sess.SendSubtitleControl(context.Background(), connector.SubtitleControl{On: true}); !errors.Is(err, connector.ErrNotSubscribed) {
		t.Fatalf("before Run: %v, want ErrNotSubscribed", err)
	}
	h.run()
	h.waitSubscribed(1)
	if err := h.sess.SendSubtitleControl(ctxTimeout(t), connector.SubtitleControl{On: true}); err != nil {
		t.Fatal(err)
	}
	h.eventually("the fake records the request", func() bool { return len(h.fake.Meeting().View().CaptionRequests) == 1 })
}

func TestManyReconnectsDoNotLeak(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 reconnects")
	}
	h := newHarness(t, setup{conf: func(c *connector.Config) {
		c.Backoff = connector.Backoff{Initial: time.Millisecond, Max: time.Millisecond}
		c.HealthyAfter = time.Hour
		c.Logger = nil
	},
		// The recorder would keep every event; this test measures the
		// session alone.
		handler: events.HandlerFunc(func(context.Context, events.Event) {}),
	})
	h.waitSubscribed(1)
	measure := func() (int, uint64) {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return runtime.NumGoroutine(), ms.HeapAlloc
	}
	// Warm up pools and caches before the baseline.
	for i := int64(2); i <= 50; i++ {
		h.fake.Faults().DropAll()
		h.waitSubscribed(i)
	}
	g0, heap0 := measure()
	for i := int64(51); i <= 1050; i++ {
		h.fake.Faults().DropAll()
		h.waitSubscribed(i)
	}
	g1, heap1 := measure()
	t.Logf("after 1,000 reconnects: goroutines %d → %d, heap %d → %d KiB", g0, g1, heap0>>10, heap1>>10)
	if g1 > g0+2 {
		t.Fatalf("goroutines grew from %d to %d over 1,000 reconnects", g0, g1)
	}
	// The fake in this process remembers every token it issued (to detect
	// reuse), a few hundred bytes each; the session itself must hold none.
	if heap1 > heap0+1<<20 {
		t.Fatalf("heap grew from %d to %d KiB over 1,000 reconnects", heap0>>10, heap1>>10)
	}
}

func TestConfigValidate(t *testing.T) {
	prov := &token.Provider{}
	for _, tc := range []struct {
		name string
		cfg  connector.Config
		want string
	}{
		{"empty", connector.Config{}, "ConferenceID is required"},
		{"no tokens", connector.Config{ConferenceID: "1"}, "Tokens is required"},
		{"heartbeat too long", connector.Config{ConferenceID: "1", Tokens: prov, HeartbeatInterval: 180 * time.Second}, "HeartbeatInterval"},
		{"bad jitter", connector.Config{ConferenceID: "1", Tokens: prov, Backoff: connector.Backoff{Jitter: 2}}, "Jitter"},
		{"initial over max", connector.Config{ConferenceID: "1", Tokens: prov, Backoff: connector.Backoff{Initial: time.Minute, Max: time.Second}}, "Initial"},
		{"read timeout below heartbeat", connector.Config{ConferenceID: "1", Tokens: prov, HeartbeatInterval: time.Minute, ReadTimeout: 30 * time.Second}, "ReadTimeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if err == nil || !contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
	ok := connector.Config{ConferenceID: "1", Tokens: prov}
	if err := ok.Validate(); err != nil {
		t.Fatalf("minimal config: %v", err)
	}
}

func TestStateTransitionsCanBeFollowed(t *testing.T) {
	h := newHarness(t, setup{noRun: true, conf: func(c *connector.Config) {
		fastConfig(c)
		c.Backoff = connector.Backoff{Initial: 200 * time.Millisecond, Max: 200 * time.Millisecond, Jitter: connector.NoJitter}
	}})
	seen := make(chan []connector.State, 1)
	go func() {
		var got []connector.State
		st, next := h.sess.State()
		got = append(got, st)
		for st != connector.StateStopped {
			<-next
			st, next = h.sess.State()
			got = append(got, st)
		}
		seen <- got
	}()
	h.run()
	h.waitSubscribed(1)
	h.fake.Faults().DropAll()
	h.waitSubscribed(2)
	h.halt()
	got := <-seen
	want := []connector.State{connector.StateConnecting, connector.StateSubscribed, connector.StateReconnecting, connector.StateSubscribed, connector.StateStopped}
	if len(got) != len(want) {
		t.Fatalf("transitions %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("transitions %v, want %v", got, want)
		}
	}
}

func TestControlTokenKeptAliveWhileLive(t *testing.T) {
	h := newHarness(t, setup{fakeClk: true})
	h.waitSubscribed(1)
	// Walk 40 fake minutes in 30 s steps, letting each heartbeat be echoed,
	// across the control token's 25-minute refresh point (5/6 of 30 min).
	for step := 1; step <= 80; step++ {
		h.clk.Advance(30 * time.Second)
		want := int64(step / 2)
		h.eventually("heartbeat echo", func() bool { return h.sess.Stats().HeartbeatsEcho >= want })
	}
	h.eventually("a keep-alive", func() bool { return h.fake.Stats().KeepAlives >= 1 })
	if st := h.fake.Stats(); st.Logins != 1 || st.KeepAlives != 1 {
		t.Fatalf("fake %+v: want one login and one keep-alive in 40 minutes", st)
	}
	if st := h.sess.Stats(); st.Subscribes != 1 {
		t.Fatalf("the link did not survive 40 fake minutes: %d subscribes", st.Subscribes)
	}
}

func TestRefusedKeepAliveIsRetriedBeforeExpiry(t *testing.T) {
	h := newHarness(t, setup{fakeClk: true})
	h.waitSubscribed(1)
	h.fake.Faults().RefuseLogin(1, fakemeeting.Refusal{Status: 503})
	for step := 1; step <= 60; step++ { // 30 fake minutes
		h.clk.Advance(30 * time.Second)
		want := int64(step / 2)
		h.eventually("heartbeat echo", func() bool { return h.sess.Stats().HeartbeatsEcho >= want })
	}
	h.eventually("a keep-alive after the refusal", func() bool { return h.fake.Stats().KeepAlives >= 1 })
	if st := h.fake.Stats(); st.Logins != 1 {
		t.Fatalf("fake %+v: the token lapsed and needed a new login", st)
	}
}

// TestConcurrentWritesAndShutdown: subtitle controls from many goroutines,
// heartbeats from Run's goroutine and the close frame of a cancel share
// the socket through the write lock: gorilla panics on concurrent writes,
// a write that meets the shutdown reports ErrNotSubscribed, and once Run
// returned nothing is written any more.
func TestConcurrentWritesAndShutdown(t *testing.T) {
	h := newHarness(t, setup{conf: func(c *connector.Config) {
		fastConfig(c)
		c.HeartbeatInterval = 50 * time.Millisecond
		c.ReadTimeout = 2 * time.Second
	}})
	h.waitSubscribed(1)
	var ok atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				err := h.sess.SendSubtitleControl(context.Background(), connector.SubtitleControl{On: true})
				switch {
				case err == nil:
					ok.Add(1)
					time.Sleep(time.Millisecond)
				case errors.Is(err, connector.ErrNotSubscribed):
					return
				default:
					errs <- err
					return
				}
			}
		}()
	}
	h.eventually("controls and heartbeats sent", func() bool { return ok.Load() >= 40 && h.sess.Stats().HeartbeatsSent >= 3 })
	if err := h.halt(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v, want context.Canceled", err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("a write failed with %v, want nil or ErrNotSubscribed", err)
	}
	if err := h.sess.SendSubtitleControl(context.Background(), connector.SubtitleControl{On: true}); !errors.Is(err, connector.ErrNotSubscribed) {
		t.Fatalf("after Run: %v, want ErrNotSubscribed", err)
	}
	// Frames still unread by the fake when the socket closes may be lost
	// with it (TCP discards them on a reset), so only an excess counts.
	if got := int64(len(h.fake.Meeting().View().CaptionRequests)); got == 0 || got > ok.Load() {
		t.Fatalf("the fake recorded %d controls of %d sent", got, ok.Load())
	}
}
