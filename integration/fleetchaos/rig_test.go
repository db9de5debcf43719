package fleetchaos_test

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/fleet"
	"github.com/confwatch/confwatch/internal/demo"
	"github.com/confwatch/confwatch/token"
)

// lease is the lease of every worker here: the shortest allowed, so that
// a fence, an expiry and a failover take seconds.
const lease = fleet.MinLease

// waitLong bounds a wait for something a scenario expects to happen. It
// is generous (a loaded 2-core machine running -race) and never asserted
// as a timing: reaching it is a failure to converge.
const waitLong = 30 * time.Second

// rig is one scenario's world: an embedded nats-server on a fixed
// loopback port and data directory (so that it can be started again
// where it was), the fake service of n meetings with one password file
// each, an observer connection to NATS, and a sampler of the fake's
// per-meeting sockets.
type rig struct {
	t        *testing.T
	dir      string
	natsAddr string
	natsDir  string
	svc      *demo.Service
	ids      []string
	obs      *nats.Conn
	js       jetstream.JetStream
	sockets  *socketWatch

	mu sync.Mutex
	ns *fleet.Server // nil while shut down
}

func newRig(t *testing.T, meetings int) *rig {
	t.Helper()
	dir := t.TempDir()
	r := &rig{t: t, dir: dir, natsAddr: freeAddr(t), natsDir: filepath.Join(dir, "nats")}
	r.startNATS()
	t.Cleanup(r.stopNATS)
	svc, err := demo.NewService(demo.ServiceConfig{Meetings: meetings})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	r.svc, r.ids = svc, svc.ConferenceIDs()
	r.obs = r.connect("nats://" + r.natsAddr)
	if r.js, err = jetstream.New(r.obs); err != nil {
		t.Fatal(err)
	}
	r.sockets = watchSockets(svc)
	t.Cleanup(r.sockets.close)
	r.apply()
	return r
}

// freeAddr returns a loopback address with a port nobody listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func (r *rig) startNATS() {
	r.t.Helper()
	ns, err := fleet.StartServer(fleet.ServerConfig{Listen: r.natsAddr, DataDir: r.natsDir})
	if err != nil {
		r.t.Fatal(err)
	}
	r.mu.Lock()
	r.ns = ns
	r.mu.Unlock()
}

func (r *rig) stopNATS() {
	r.mu.Lock()
	ns := r.ns
	r.ns = nil
	r.mu.Unlock()
	if ns != nil {
		ns.Shutdown()
	}
}

// restartNATS shuts the server down, waits hold, and starts it again on
// the same port and data directory. It returns when the server went down
// and when it accepted clients again.
func (r *rig) restartNATS(hold time.Duration) (down, up time.Time) {
	r.t.Helper()
	r.stopNATS()
	down = time.Now()
	time.Sleep(hold)
	r.startNATS()
	return down, time.Now()
}

// connect opens a NATS connection with the options the CLI uses, and a
// silent handler for asynchronous errors (nats.go prints them to stderr
// by default; the faults here make many).
func (r *rig) connect(url string) *nats.Conn {
	r.t.Helper()
	nc, err := nats.Connect(url, nats.ReconnectBufSize(-1), nats.MaxReconnects(-1), nats.ReconnectWait(250*time.Millisecond),
		nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(nc.Close)
	return nc
}

// apply writes every meeting, with a password file each, to the desired
// set.
func (r *rig) apply() {
	r.t.Helper()
	ms := make([]fleet.Meeting, 0, len(r.ids))
	for _, id := range r.ids {
		f := filepath.Join(r.dir, id+".pw")
		if err := os.WriteFile(f, []byte(r.svc.HostPassword(id)+"\n"), 0o600); err != nil {
			r.t.Fatal(err)
		}
		ms = append(ms, fleet.Meeting{Conference: id, PasswordFile: f})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := fleet.Apply(ctx, r.js, ms); err != nil {
		r.t.Fatal(err)
	}
}

// worker is one running fleet.Worker with its own NATS connection.
type worker struct {
	w      *fleet.Worker
	nc     *nats.Conn
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

// start runs a worker whose NATS connection goes to url: the server, or
// a proxy in front of it.
func (r *rig) start(name, url string) *worker {
	r.t.Helper()
	nc := r.connect(url)
	api, err := token.New(token.Config{BaseURL: r.svc.URL()})
	if err != nil {
		r.t.Fatal(err)
	}
	fw, err := fleet.New(fleet.Config{
		Conn: nc, API: api, Name: name, Lease: lease, StateInterval: 200 * time.Millisecond,
		Session: connector.Config{Backoff: connector.Backoff{Initial: 50 * time.Millisecond, Max: 500 * time.Millisecond}, AllowPlainText: true},
		Logger:  testLogger(r.t, name),
	})
	if err != nil {
		r.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &worker{w: fw, nc: nc, cancel: cancel, done: make(chan error, 1)}
	go func() { w.done <- fw.Run(ctx) }()
	r.t.Cleanup(func() { w.stop(r.t) })
	return w
}

// stop stops the worker as SIGTERM does and waits for Run; it may be
// called more than once.
func (w *worker) stop(t *testing.T) {
	t.Helper()
	w.once.Do(func() {
		w.cancel()
		if err := <-w.done; err != nil {
			t.Errorf("worker %s: Run = %v", w.w.ID(), err)
		}
	})
}

func testLogger(t *testing.T, name string) *slog.Logger {
	if os.Getenv("FLEET_TEST_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("test", t.Name(), "w", name)
}

// waitFor polls cond every 10 ms until it holds; past d the test fails
// with what. It returns how long it waited.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > d {
			t.Fatalf("after %v: still waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}

// allSubscribed reports whether every meeting has exactly one socket,
// subscribed.
func (r *rig) allSubscribed() bool {
	c := r.svc.Counters()
	for _, id := range r.ids {
		if m := c.Meetings[id]; m.Subscribed != 1 || m.LiveSockets != 1 {
			return false
		}
	}
	return true
}

// checkFake fails the test unless the fake never saw two live sockets of
// a meeting at once nor a ws token presented twice.
func (r *rig) checkFake() {
	r.t.Helper()
	c := r.svc.Counters()
	r.t.Logf("fake: %d ws tokens issued, %d reused, %d sockets opened, per-meeting live-socket high-water %d",
		c.TokensIssued, c.TokenReuse, c.Sockets, c.MaxLiveSockets)
	if c.MaxLiveSockets > 1 || c.TokenReuse != 0 {
		for id, m := range c.Meetings {
			if m.MaxLiveSockets > 1 {
				r.t.Errorf("meeting %s had %d live sockets at once", id, m.MaxLiveSockets)
			}
		}
		r.t.Errorf("fake counters: high-water %d, ws-token reuse %d: want at most 1 and 0", c.MaxLiveSockets, c.TokenReuse)
	}
}

// newProxy starts an in-process toxiproxy proxy in front of the NATS
// server. Its links are armed for resets: toxiproxy sets SO_LINGER 0 on
// both sockets of a link whose chain holds a reset_peer toxic when the
// link starts, so a toxicity-0 reset_peer, harmless itself, makes a later
// reset_peer close a real RST (see integration/chaos).
func (r *rig) newProxy() *toxiproxy.Proxy {
	r.t.Helper()
	tox := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zerolog.Nop())
	p := toxiproxy.NewProxy(tox, "nats", "127.0.0.1:0", r.natsAddr)
	if err := p.Start(); err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(p.Stop)
	addToxic(r.t, p, `{"name":"arm_rst","type":"reset_peer","stream":"upstream","toxicity":0,"attributes":{"timeout":0}}`)
	return p
}

func addToxic(t *testing.T, p *toxiproxy.Proxy, spec string) string {
	t.Helper()
	tw, err := p.Toxics.AddToxicJson(strings.NewReader(spec))
	if err != nil {
		t.Fatalf("adding toxic %s: %v", spec, err)
	}
	return tw.Name
}

func removeToxic(t *testing.T, p *toxiproxy.Proxy, name string) {
	t.Helper()
	if err := p.Toxics.RemoveToxic(context.Background(), name); err != nil {
		t.Fatalf("removing toxic %s: %v", name, err)
	}
}

// heartbeatSince reports whether the worker's heartbeat was written after
// t, by the server's clock.
func (r *rig) heartbeatSince(id string, t time.Time) bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	kv, err := r.js.KeyValue(ctx, fleet.BucketWorkers)
	if err != nil {
		return false
	}
	e, err := kv.Get(ctx, id)
	return err == nil && e.Created().After(t)
}
