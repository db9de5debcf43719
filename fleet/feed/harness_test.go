package feed_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
	"github.com/confwatch/confwatch/fleet"
	"github.com/confwatch/confwatch/fleet/feed"
	"github.com/confwatch/confwatch/integration/fakemeeting"
	"github.com/confwatch/confwatch/internal/demo"
	"github.com/confwatch/confwatch/internal/record"
	"github.com/confwatch/confwatch/token"
)

// rig is an embedded nats-server, a fake service of one demo meeting and
// the fleet's desired set holding it.
type rig struct {
	t   *testing.T
	ns  *fleet.Server
	svc *demo.Service
	js  jetstream.JetStream
	id  string
}

func newRig(t *testing.T) *rig { return newRigWith(t, demo.Config()) }

// newRigWith is newRig with fake as the meeting's configuration.
func newRigWith(t *testing.T, fake fakemeeting.Config) *rig {
	t.Helper()
	dir := t.TempDir()
	ns, err := fleet.StartServer(fleet.ServerConfig{Listen: "127.0.0.1:0", DataDir: filepath.Join(dir, "nats")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	svc, err := demo.NewService(demo.ServiceConfig{Meetings: 1, Fake: fake})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	r := &rig{t: t, ns: ns, svc: svc, id: svc.ConferenceIDs()[0]}
	r.js = r.jetstream()
	pw := filepath.Join(dir, r.id+".pw")
	if err := os.WriteFile(pw, []byte(svc.HostPassword(r.id)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := fleet.Apply(ctx, r.js, []fleet.Meeting{{Conference: r.id, PasswordFile: pw}}); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *rig) conn() *nats.Conn {
	r.t.Helper()
	nc, err := nats.Connect(r.ns.ClientURL(), nats.ReconnectBufSize(-1), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(nc.Close)
	return nc
}

func (r *rig) jetstream() jetstream.JetStream {
	r.t.Helper()
	js, err := jetstream.New(r.conn())
	if err != nil {
		r.t.Fatal(err)
	}
	return js
}

// worker is one running fleet.Worker.
type worker struct {
	w    *fleet.Worker
	stop func()
}

func (r *rig) worker(name string) *worker {
	r.t.Helper()
	api, err := token.New(token.Config{BaseURL: r.svc.URL()})
	if err != nil {
		r.t.Fatal(err)
	}
	fw, err := fleet.New(fleet.Config{
		Conn: r.conn(), API: api, Name: name, Lease: fleet.MinLease, StateInterval: 50 * time.Millisecond,
		Session: connector.Config{Backoff: connector.Backoff{Initial: 20 * time.Millisecond, Max: 200 * time.Millisecond}, AllowPlainText: true},
	})
	if err != nil {
		r.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fw.Run(ctx) }()
	var once sync.Once
	w := &worker{w: fw, stop: func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				r.t.Errorf("worker %s: %v", name, err)
			}
		})
	}}
	r.t.Cleanup(w.stop)
	return w
}

// play plays the demo script at speed; step is called before each step
// with its index.
func (r *rig) play(ctx context.Context, speed float64, step func(int)) error {
	m := r.svc.Meeting(r.id)
	if err := m.WaitSubscribed(ctx, 1); err != nil {
		return err
	}
	n := 0
	return demo.Play(ctx, m, speed, func(string) {
		if step != nil {
			step(n)
		}
		n++
	})
}

// stored is the meeting's stored Snapshot, nil when none.
func (r *rig) stored() *meeting.Snapshot {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	kv, err := r.js.KeyValue(ctx, fleet.BucketState)
	if err != nil {
		return nil
	}
	e, err := kv.Get(ctx, r.id)
	if err != nil {
		return nil
	}
	var s meeting.Snapshot
	if err := json.Unmarshal(e.Value(), &s); err != nil {
		r.t.Fatal(err)
	}
	return &s
}

// waitEnded waits for the stored Snapshot of the meeting's end.
func (r *rig) waitEnded() *meeting.Snapshot {
	r.t.Helper()
	var s *meeting.Snapshot
	waitFor(r.t, 20*time.Second, "the stored picture of the meeting's end", func() bool {
		s = r.stored()
		return s != nil && s.Status.State == "Destroyed"
	})
	return s
}

// waitFor polls cond every 10 ms until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > d {
			t.Fatalf("after %v: still waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// consumer is a Mux and a meeting.State fed by a Feed, as a dashboard
// written for a socket would be.
type consumer struct {
	feed    *feed.Feed
	mux     *events.Mux
	state   *meeting.State
	mu      sync.Mutex
	own     []string // the State's own changes
	owner   []string // the changes the owner published
	owners  []string
	done    chan error
	lifecyc []string
}

func (r *rig) consume(ctx context.Context, since time.Duration) *consumer {
	r.t.Helper()
	c := &consumer{done: make(chan error, 1)}
	f, err := feed.New(feed.Config{JetStream: r.jetstream(), Conference: r.id, Since: since,
		OnChange: func(ch meeting.Change) { c.add(&c.owner, ch.String()) },
		OnOwner:  func(o string) { c.add(&c.owners, o) },
	})
	if err != nil {
		r.t.Fatal(err)
	}
	c.feed = f
	c.state, err = f.NewState(ctx, meeting.Config{OnChange: func(ch meeting.Change) { c.add(&c.own, ch.String()) }})
	if err != nil {
		r.t.Fatal(err)
	}
	c.mux = events.NewMux(nil)
	c.mux.HandleAll(c.state, events.HandlerOptions{Name: "state", Queue: 4096})
	c.mux.HandleAll(events.HandlerFunc(func(_ context.Context, e events.Event) {
		if rec, ok := record.FromEvent(r.id, e); ok && rec.Kind == record.KindStatus {
			c.add(&c.lifecyc, rec.Status)
		}
	}), events.HandlerOptions{Name: "lifecycle", Queue: 4096})
	go func() { c.done <- f.Run(ctx, c.mux) }()
	return c
}

func (c *consumer) add(to *[]string, s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	*to = append(*to, s)
}

// wait waits for Run's end and drains the Mux.
func (c *consumer) wait(t *testing.T) error {
	t.Helper()
	var err error
	select {
	case err = <-c.done:
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not end")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if cerr := c.mux.Close(ctx); cerr != nil {
		t.Error(cerr)
	}
	return err
}

// redactedJSON is s as JSON with join links REDACTED, as the stream
// carries them.
func redactedJSON(t *testing.T, s *meeting.Snapshot) string {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(record.ScrubLinks(b))
}

func isEnded(err error) bool { return errors.Is(err, connector.ErrMeetingEnded) }
