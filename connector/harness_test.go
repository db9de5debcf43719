package connector_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/confwatch/confwatch/clock"
	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/integration/fakemeeting"
	"github.com/confwatch/confwatch/secret"
	"github.com/confwatch/confwatch/token"
)

// waitLong bounds every wait for something the test expects to happen; it
// is generous because CI machines are slow, and never asserted as a timing.
const waitLong = 20 * time.Second

// recorder collects what a session hands its handler.
type recorder struct {
	mu     sync.Mutex
	events []events.Event
	block  chan struct{} // when non-nil, HandleEvent waits on it
}

func (r *recorder) HandleEvent(ctx context.Context, e events.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	b := r.block
	r.mu.Unlock()
	if b != nil {
		select {
		case <-b:
		case <-ctx.Done():
		}
	}
}

func (r *recorder) all() []events.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]events.Event(nil), r.events...)
}

// count returns how many events satisfy f.
func (r *recorder) count(f func(events.Event) bool) int {
	n := 0
	for _, e := range r.all() {
		if f(e) {
			n++
		}
	}
	return n
}

func isResubscribed(e events.Event) bool { _, ok := e.(*events.Resubscribed); return ok }
func isSubscribed(e events.Event) bool   { _, ok := e.(*events.Subscribed); return ok }
func isDisconnected(e events.Event) bool { _, ok := e.(*events.Disconnected); return ok }

// logBuffer is a concurrency-safe slog sink.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// harness runs one session against one fake meeting.
type harness struct {
	t     *testing.T
	fake  *fakemeeting.Server
	sess  *connector.Session
	rec   *recorder
	logs  *logBuffer
	clk   *clock.Fake // nil when the test runs on real time
	prov  *token.Provider
	done  chan error
	stop  context.CancelFunc
	hand  events.Handler // given to Run
	ended bool
}

type setup struct {
	fake    fakemeeting.Config
	conf    func(*connector.Config)
	fakeClk bool   // share a clock.Fake between fake, tokens and session
	pwd     string // host password the session uses; "" = the right one
	noRun   bool
	// handler replaces the recorder as what Run is given.
	handler events.Handler
}

// fastConfig makes real-time tests quick: small delays, short heartbeats.
func fastConfig(c *connector.Config) {
	c.Backoff = connector.Backoff{Initial: 5 * time.Millisecond, Max: 40 * time.Millisecond}
	// Heartbeats every 2 s give a 3 s read timeout: long enough that a
	// loaded CI machine does not see false dead links.
	c.HeartbeatInterval = 2 * time.Second
	c.HealthyAfter = time.Hour
}

func newHarness(t *testing.T, su setup) *harness {
	t.Helper()
	h := &harness{t: t, rec: &recorder{}, logs: &logBuffer{}, done: make(chan error, 1)}
	if su.fakeClk {
		h.clk = clock.NewFake(time.Date(2026, 1, 6, 9, 0, 0, 0, time.UTC))
		su.fake.Clock = h.clk
	}
	fake, err := fakemeeting.New(su.fake)
	if err != nil {
		t.Fatal(err)
	}
	h.fake = fake
	t.Cleanup(fake.Close)
	var clk clock.Clock
	if h.clk != nil {
		clk = h.clk
	}
	client, err := token.New(token.Config{BaseURL: fake.URL(), HTTPClient: fake.Client(), Clock: clk, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	pwd := su.pwd
	if pwd == "" {
		pwd = fake.HostPassword()
	}
	h.prov, err = token.NewProvider(client, token.ProviderConfig{ConferenceID: fake.ConferenceID(), Password: secret.New(pwd)})
	if err != nil {
		t.Fatal(err)
	}
	cfg := connector.Config{
		ConferenceID: fake.ConferenceID(),
		Tokens:       h.prov,
		Logger:       slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Clock:        clk,
		TLSConfig:    fake.TLSConfig(),
		// Plain-text fakes are opted into, as the docs ask.
		AllowPlainText: !su.fake.TLS,
	}
	if su.conf != nil {
		su.conf(&cfg)
	}
	h.hand = h.rec
	if su.handler != nil {
		h.hand = su.handler
	}
	h.sess, err = connector.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		h.halt()
		if st := fake.Stats(); st.TokenReuse != 0 {
			t.Errorf("the fake saw %d ws token reuse attempts", st.TokenReuse)
		}
		if t.Failed() {
			t.Logf("session logs:\n%s", h.logs.String())
		}
	})
	if !su.noRun {
		h.run()
	}
	return h
}

func (h *harness) run() {
	ctx, cancel := context.WithCancel(context.Background())
	h.stop = cancel
	go func() { h.done <- h.sess.Run(ctx, h.hand) }()
}

// halt cancels Run (if still running) and returns its error.
func (h *harness) halt() error {
	if h.stop == nil || h.ended {
		return nil
	}
	h.stop()
	return h.wait()
}

// wait returns Run's result, failing the test if it takes too long.
func (h *harness) wait() error {
	h.t.Helper()
	if h.ended {
		return nil
	}
	select {
	case err := <-h.done:
		h.ended = true
		return err
	case <-time.After(waitLong):
		h.t.Fatalf("Run did not return; state %v", h.sess.Stats().State)
		return nil
	}
}

// eventually polls cond until it holds, advancing the fake clock (if any)
// to its next timer between polls so that waits of fake minutes pass.
func (h *harness) eventually(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(waitLong)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s; session stats %+v; fake stats %+v", what, h.sess.Stats(), h.fake.Stats())
		}
		time.Sleep(time.Millisecond)
	}
}

// waitSubscribed waits until the session has had n successful Subscribes
// and is subscribed now.
func (h *harness) waitSubscribed(n int64) {
	h.t.Helper()
	h.eventually("subscribed", func() bool {
		st := h.sess.Stats()
		return st.Subscribes >= n && st.State == connector.StateSubscribed
	})
}

func ctxTimeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	t.Cleanup(cancel)
	return ctx
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
