package chaos_test

import (
	"bytes"
	"context"
	"fmt"
	"github.com/confwatch/confwatch/secret"
	"log/slog"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/events/meeting"
	"github.com/confwatch/confwatch/integration/fakemeeting"
	"github.com/confwatch/confwatch/integration/internal/pipeline"
)

// waitLong bounds every wait for something a scenario expects to happen.
// It is generous on purpose (a loaded 2-core CI machine running -race) and
// is never asserted as a timing: reaching it is a failure to converge.
const waitLong = 30 * time.Second

// Session timings of the suite: production ratios (read timeout 1.5 ×
// heartbeat) scaled down so that each scenario takes seconds.
const (
	heartbeat   = 500 * time.Millisecond
	readTimeout = 1500 * time.Millisecond
)

// logBuffer is a concurrency-safe slog sink, printed when a test fails.
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

// rig is one scenario's world: a fake meeting, a toxiproxy proxy in front
// of its token API and another in front of its WebSocket, and a Watcher
// whose token client calls the API proxy and whose dialer sends the
// socket to the WS proxy (the fake advertises its own address as wsURL;
// the dialer redirects that address).
type rig struct {
	t       *testing.T
	fake    *fakemeeting.Server
	api, ws *toxiproxy.Proxy
	wsAddr  string
	logs    *logBuffer
	w       *pipeline.Watcher
	opts    rigOpts
	rng     *rand.Rand
	// inferred counts the state's changes marked Inferred: learnt from
	// the snapshots after a resubscribe rather than from a push.
	inferred atomic.Int64
}

type rigOpts struct {
	fake fakemeeting.Config
	// session adjusts the suite's connector defaults.
	session func(*connector.Config)
	// armReset makes every socket through the WS proxy close with a TCP
	// RST (SO_LINGER 0) instead of a FIN; see newRig.
	armReset bool
	// noStart leaves the Watcher to r.start, so that toxics can be in
	// place before the first dial.
	noStart bool
}

func newRig(t *testing.T, o rigOpts) *rig {
	t.Helper()
	// Registered first, so it runs last: after the watcher, the proxies
	// and the fake are gone, nothing this test started may still run.
	baseline := goleak.IgnoreCurrent()
	t.Cleanup(func() { waitNoLeaks(t, baseline) })

	if o.fake.Participants == nil {
		o.fake.Participants = people(30)
	}
	fake, err := fakemeeting.New(o.fake)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	r := &rig{t: t, fake: fake, logs: &logBuffer{}, opts: o, rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))}

	upstream := strings.TrimPrefix(fake.URL(), "http://")
	tox := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zerolog.Nop())
	r.api = toxiproxy.NewProxy(tox, "api", "127.0.0.1:0", upstream)
	r.ws = toxiproxy.NewProxy(tox, "ws", "127.0.0.1:0", upstream)
	for _, p := range []*toxiproxy.Proxy{r.api, r.ws} {
		if err := p.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Stop)
	}
	r.wsAddr = r.ws.Listen
	if o.armReset {
		// toxiproxy sets SO_LINGER 0 on both sockets of a link whose chain
		// holds a reset_peer toxic when the link starts, whatever the
		// toxic's toxicity. A toxicity-0 reset_peer therefore never acts
		// itself but makes any later close of the client socket (by a
		// reset_peer added mid-stream) a real RST.
		r.toxic(r.ws, `{"name":"arm_rst","type":"reset_peer","stream":"upstream","toxicity":0,"attributes":{"timeout":0}}`)
	}
	t.Cleanup(func() {
		if r.w != nil {
			if err := r.w.Stop(waitLong); err != nil {
				t.Errorf("stopping the session: %v", err)
			}
		}
		if n := fake.Stats().TokenReuse; n != 0 {
			t.Errorf("the fake saw %d ws token reuse attempts", n)
		}
		if t.Failed() {
			t.Logf("session logs:\n%s", r.logs.String())
		}
	})
	if !o.noStart {
		r.start()
	}
	return r
}

// start runs the Watcher.
func (r *rig) start() {
	r.t.Helper()
	fakeAddr := strings.TrimPrefix(r.fake.URL(), "http://")
	var d net.Dialer
	w, err := pipeline.StartWatcher(pipeline.WatcherConfig{
		APIBase:      "http://" + r.api.Listen,
		ConferenceID: r.fake.ConferenceID(),
		Password:     secret.New(r.fake.HostPassword()),
		TokenTimeout: 2 * time.Second,
		Logger:       slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		OnChange: func(c meeting.Change) {
			if c.Inferred {
				r.inferred.Add(1)
			}
		},
		Session: func(c *connector.Config) {
			c.HeartbeatInterval = heartbeat
			c.ReadTimeout = readTimeout
			c.WriteTimeout = 2 * time.Second
			c.HandshakeTimeout = 3 * time.Second
			c.SubscribeTimeout = 3 * time.Second
			c.HealthyAfter = 2 * time.Second
			c.MinResyncInterval = 500 * time.Millisecond
			c.Backoff = connector.Backoff{Initial: 50 * time.Millisecond, Max: 500 * time.Millisecond}
			c.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
				if addr == fakeAddr {
					addr = r.wsAddr
				}
				return d.DialContext(ctx, network, addr)
			}
			if r.opts.session != nil {
				r.opts.session(c)
			}
		},
	})
	if err != nil {
		r.t.Fatal(err)
	}
	r.w = w
}

// toxic adds a toxic described in toxiproxy's JSON form and returns its
// name.
func (r *rig) toxic(p *toxiproxy.Proxy, spec string) string {
	r.t.Helper()
	tw, err := p.Toxics.AddToxicJson(strings.NewReader(spec))
	if err != nil {
		r.t.Fatalf("adding toxic %s: %v", spec, err)
	}
	return tw.Name
}

func (r *rig) untoxic(p *toxiproxy.Proxy, names ...string) {
	r.t.Helper()
	for _, n := range names {
		if err := p.Toxics.RemoveToxic(context.Background(), n); err != nil {
			r.t.Fatalf("removing toxic %s: %v", n, err)
		}
	}
}

// eventually polls cond every 10 ms until it holds; past waitLong the
// test fails with what.
func (r *rig) eventually(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(waitLong)
	for !cond() {
		select {
		case <-r.w.Done():
			r.t.Fatalf("waiting for %s: Run returned %v", what, r.w.Err())
		default:
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("timed out after %v waiting for %s\nsession %+v\nfake %+v", waitLong, what, r.w.Session.Stats(), r.fake.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitSubscribed waits until the session has had n accepted Subscribes
// and is subscribed now.
func (r *rig) waitSubscribed(n int64) {
	r.t.Helper()
	r.eventually(fmt.Sprintf("subscribe #%d", n), func() bool {
		return r.w.Session.Stats().Subscribes >= n && r.w.Subscribed()
	})
}

// converge waits until the session is subscribed and the meeting state
// equals the fake's view; on timeout it reports the differences.
func (r *rig) converge() {
	r.t.Helper()
	deadline := time.Now().Add(waitLong)
	for {
		diff := pipeline.Diff(r.fake.Meeting().View(), r.w.State.Snapshot())
		if len(diff) == 0 && r.w.Subscribed() {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("state did not converge on the fake's view within %v:\n  %s\nsession %+v", waitLong, strings.Join(diff, "\n  "), r.w.Session.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// settle is every scenario's closing check: subscribed again, the state
// equals the fake's view, no ws token was presented twice, and Run is
// still running (no fault may end the session).
func (r *rig) settle() {
	r.t.Helper()
	r.converge()
	if n := r.fake.Stats().TokenReuse; n != 0 {
		r.t.Fatalf("the fake saw %d ws token reuse attempts", n)
	}
	select {
	case <-r.w.Done():
		r.t.Fatalf("Run returned %v", r.w.Err())
	default:
	}
}

// people returns n generated participants (zero fields are generated by
// the fake).
func people(n int) []fakemeeting.Person {
	out := make([]fakemeeting.Person, n)
	for i := range out {
		out[i] = fakemeeting.Person{Name: fmt.Sprintf("Chaos %04d", i), Video: i%3 == 0, Muted: i%2 == 0}
	}
	return out
}

// churn makes n random changes to the meeting: joins, leaves, hands,
// mutes, renames, speakers, lock and recording.
func (r *rig) churn(n int) {
	r.t.Helper()
	for range n {
		v := r.fake.Meeting().View()
		pick := func() string { return v.Order[r.rng.IntN(len(v.Order))] }
		var err error
		switch op := r.rng.IntN(9); {
		case op == 0 || len(v.Order) < 5:
			_, err = r.fake.Meeting().JoinOne(fakemeeting.Person{Name: fmt.Sprintf("Joiner %d", r.rng.IntN(1e6))})
		case op == 1:
			err = r.fake.Meeting().Leave(pick())
		case op == 2:
			pid := pick()
			err = r.fake.Meeting().RaiseHand(pid, v.Participants[pid]["HAND"] != "1")
		case op == 3:
			pid := pick()
			err = r.fake.Meeting().Mute(pid, v.Participants[pid]["MUTE"] != "1")
		case op == 4:
			err = r.fake.Meeting().Rename(pick(), fmt.Sprintf("Renamed %d", r.rng.IntN(1e6)))
		case op == 5:
			// Distinct pids: the fake would list one pid twice.
			if a, b := pick(), pick(); a != b {
				err = r.fake.Meeting().Speakers(a, b)
			} else {
				err = r.fake.Meeting().Speakers(a)
			}
		case op == 6:
			err = r.fake.Meeting().Lock(!v.Locked)
		case op == 7:
			err = r.fake.Meeting().Record(!v.Recording)
		default:
			err = r.fake.Meeting().Share(pick(), r.rng.IntN(2) == 0)
		}
		if err != nil {
			r.t.Fatalf("churn: %v", err)
		}
	}
}

// toxiproxyStranded matches the goroutines toxiproxy v2.5.0 itself
// strands: when a link's destination socket closes while a chunk is in
// flight (a drop, a reset or a proxy stop while data moves), the link's
// writer exits, and the toxic stub holding the chunk blocks for ever on an
// unbuffered send (`stub.Output <- c` in toxics/noop.go, latency.go,
// slicer.go, bandwidth.go), as does the link reader feeding it. They
// belong to the fault injector, not to confwatch or the fake, so the leak
// checks ignore exactly these two functions and nothing else.
var toxiproxyStranded = []goleak.Option{
	goleak.IgnoreAnyFunction("github.com/Shopify/toxiproxy/v2/toxics.(*ToxicStub).Run"),
	goleak.IgnoreAnyFunction("github.com/Shopify/toxiproxy/v2.(*ToxicLink).read"),
}

// waitNoLeaks polls goleak until no goroutine started since baseline
// remains, for up to waitLong: the HTTP server's and toxiproxy's
// connection goroutines end shortly after their sockets close, not at
// once.
func waitNoLeaks(t *testing.T, baseline goleak.Option) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for {
		err := goleak.Find(append([]goleak.Option{baseline}, toxiproxyStranded...)...)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("goroutines left after the scenario: %v", err)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}
