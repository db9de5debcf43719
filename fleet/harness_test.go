package fleet_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/fleet"
	"github.com/confwatch/confwatch/integration/fakemeeting"
	"github.com/confwatch/confwatch/internal/demo"
	"github.com/confwatch/confwatch/internal/record"
	"github.com/confwatch/confwatch/token"
)

// testLease is the lease the tests use: the shortest allowed, so that
// expiry and fencing take seconds.
const testLease = fleet.MinLease

// rig is an embedded nats-server and a fake service of n meetings, with
// one password file per meeting.
type rig struct {
	t   *testing.T
	ns  *fleet.Server
	svc *demo.Service
	dir string
	js  jetstream.JetStream
	nc  *nats.Conn
	ids []string
}

func newRig(t *testing.T, meetings int, fake fakemeeting.Config) *rig {
	t.Helper()
	dir := t.TempDir()
	ns, err := fleet.StartServer(fleet.ServerConfig{Listen: "127.0.0.1:0", DataDir: filepath.Join(dir, "nats")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	svc, err := demo.NewService(demo.ServiceConfig{Meetings: meetings, Fake: fake})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	r := &rig{t: t, ns: ns, svc: svc, dir: dir, ids: svc.ConferenceIDs()}
	r.nc = r.connect(ns.ClientURL())
	r.js, err = jetstream.New(r.nc)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *rig) connect(url string) *nats.Conn {
	r.t.Helper()
	nc, err := nats.Connect(url, nats.ReconnectBufSize(-1), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(nc.Close)
	return nc
}

// meetings returns desired-set entries for ids, each with a password
// file.
func (r *rig) meetings(ids ...string) []fleet.Meeting {
	r.t.Helper()
	out := make([]fleet.Meeting, 0, len(ids))
	for _, id := range ids {
		f := filepath.Join(r.dir, id+".pw")
		if err := os.WriteFile(f, []byte(r.svc.HostPassword(id)+"\n"), 0o600); err != nil {
			r.t.Fatal(err)
		}
		out = append(out, fleet.Meeting{Conference: id, PasswordFile: f})
	}
	return out
}

func (r *rig) apply(ms []fleet.Meeting) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := fleet.Apply(ctx, r.js, ms); err != nil {
		r.t.Fatal(err)
	}
}

// worker is one running fleet.Worker.
type worker struct {
	w      *fleet.Worker
	nc     *nats.Conn
	cancel context.CancelFunc
	done   chan error
}

// stop stops the worker as SIGTERM does and waits for Run.
func (w *worker) stop(t *testing.T) {
	t.Helper()
	w.cancel()
	if err := <-w.done; err != nil {
		t.Errorf("worker %s: Run = %v", w.w.ID(), err)
	}
	w.done <- nil // stop is idempotent
}

// start runs a worker connected to url (the server, or a proxy to it).
func (r *rig) start(name, url string, tweak func(*fleet.Config)) *worker {
	r.t.Helper()
	nc := r.connect(url)
	api, err := token.New(token.Config{BaseURL: r.svc.URL()})
	if err != nil {
		r.t.Fatal(err)
	}
	cfg := fleet.Config{
		Conn: nc, API: api, Name: name, Lease: testLease, StateInterval: 100 * time.Millisecond,
		Session: connector.Config{Backoff: connector.Backoff{Initial: 50 * time.Millisecond, Max: 500 * time.Millisecond}, AllowPlainText: true},
		Logger:  testLogger(r.t, name),
	}
	if tweak != nil {
		tweak(&cfg)
	}
	fw, err := fleet.New(cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &worker{w: fw, nc: nc, cancel: cancel, done: make(chan error, 1)}
	go func() { w.done <- fw.Run(ctx) }()
	r.t.Cleanup(func() {
		cancel()
		<-w.done
	})
	return w
}

func testLogger(t *testing.T, name string) *slog.Logger {
	if os.Getenv("FLEET_TEST_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("test", t.Name(), "w", name)
}

// owners returns the worker holding each meeting's lease now.
func (r *rig) owners() map[string]string {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	kv, err := r.js.KeyValue(ctx, fleet.BucketLeases)
	if err != nil {
		return nil
	}
	out := map[string]string{}
	for _, id := range r.ids {
		e, err := kv.Get(ctx, id)
		if err != nil {
			continue
		}
		var l fleet.Lease
		if json.Unmarshal(e.Value(), &l) == nil {
			out[id] = l.Worker
		}
	}
	return out
}

// snapshot reads a meeting's stored state.
func (r *rig) storedState(id string) (map[string]any, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	kv, err := r.js.KeyValue(ctx, fleet.BucketState)
	if err != nil {
		return nil, false
	}
	e, err := kv.Get(ctx, id)
	if err != nil {
		return nil, false
	}
	var s map[string]any
	return s, json.Unmarshal(e.Value(), &s) == nil
}

// waitFor polls cond every 10 ms until it holds or d passes.
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

// records reads every record of the event stream published so far.
func (r *rig) records(subject string) []published {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := r.js.Stream(ctx, fleet.StreamEvents)
	if err != nil {
		r.t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		r.t.Fatal(err)
	}
	var out []published
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			continue
		}
		if subject != "" && !subjectMatch(subject, m.Subject) {
			continue
		}
		var rec record.Record
		if err := json.Unmarshal(m.Data, &rec); err != nil {
			r.t.Fatalf("record %d on %s is not JSON: %v", seq, m.Subject, err)
		}
		out = append(out, published{subject: m.Subject, data: m.Data, header: m.Header, rec: rec, at: m.Time})
	}
	return out
}

// natsMsg rebuilds the message a record was published as.
func natsMsg(p published) *nats.Msg {
	m := nats.NewMsg(p.subject)
	m.Data = p.data
	m.Header.Set(jetstream.MsgIDHeader, p.header.Get(jetstream.MsgIDHeader))
	return m
}

type published struct {
	subject string
	data    []byte
	header  nats.Header
	rec     record.Record
	at      time.Time
}

// subjectMatch matches a subject against a pattern with * and >.
func subjectMatch(pattern, subject string) bool {
	ps, ss := splitDots(pattern), splitDots(subject)
	for i, p := range ps {
		switch {
		case p == ">":
			return len(ss) > i
		case i >= len(ss):
			return false
		case p != "*" && p != ss[i]:
			return false
		}
	}
	return len(ps) == len(ss)
}

func splitDots(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// cutter is a TCP proxy between a worker and the NATS server that can cut
// the worker off (every connection dropped, new ones refused) and let it
// back.
type cutter struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cut    bool
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
}

func newCutter(t *testing.T, target string) *cutter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &cutter{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	c.wg.Add(1)
	go c.accept()
	t.Cleanup(c.close)
	return c
}

func (c *cutter) url() string { return "nats://" + c.ln.Addr().String() }

func (c *cutter) accept() {
	defer c.wg.Done()
	for {
		in, err := c.ln.Accept()
		if err != nil {
			return
		}
		c.mu.Lock()
		if c.cut {
			c.mu.Unlock()
			in.Close()
			continue
		}
		out, err := net.Dial("tcp", c.target)
		if err != nil {
			c.mu.Unlock()
			in.Close()
			continue
		}
		c.conns[in], c.conns[out] = struct{}{}, struct{}{}
		c.wg.Add(2)
		c.mu.Unlock()
		go c.pipe(in, out)
		go c.pipe(out, in)
	}
}

func (c *cutter) pipe(dst, src net.Conn) {
	defer c.wg.Done()
	_, _ = io.Copy(dst, src)
	dst.Close()
	src.Close()
	c.mu.Lock()
	delete(c.conns, dst)
	delete(c.conns, src)
	c.mu.Unlock()
}

// setCut drops every connection and refuses new ones (true), or lets
// connections through again (false).
func (c *cutter) setCut(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cut = on
	if on {
		for conn := range c.conns {
			conn.Close()
		}
	}
}

func (c *cutter) close() {
	c.ln.Close()
	c.setCut(true)
	c.wg.Wait()
}
