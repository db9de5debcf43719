// Package fleettest runs a confwatch fleet for the examples' tests: an
// embedded nats-server, a fake service of several meetings with canary
// secrets, and fleet workers as processes of their own, so that a test
// can kill one with SIGKILL in the middle of a meeting.
//
//	func TestMain(m *testing.M) {
//		fleettest.RunWorkerIfAsked() // a worker process never returns from here
//		goleak.VerifyTestMain(m)
//	}
//
//	r := fleettest.New(t, 3)
//	w1 := r.StartWorker("w1")
//	r.WaitOwned(3)
//	w1.Kill()
//
// A worker process is the test binary itself, re-executed with the
// worker's settings in its environment; RunWorkerIfAsked runs the worker
// in it. Everything listens on 127.0.0.1, and everything stops in the
// test's cleanup.
package fleettest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/confwatch/confwatch/events/meeting"
	"github.com/confwatch/confwatch/fleet"
	"github.com/confwatch/confwatch/integration/fakemeeting"
	"github.com/confwatch/confwatch/internal/demo"
)

// Canary secrets of every rig's meetings: a consumer's pages, responses,
// logs and webhooks must never hold them. A meeting's host password is
// CanaryPassword followed by "-" and the meeting's index; every token
// the fake mints contains CanaryToken.
const (
	CanaryPassword = "canary-fleet-pw-4417"
	CanaryToken    = "canaryFleetTok9"
)

// Lease is the rig's fleet lease: the shortest the fleet allows, so that
// a killed worker's meetings move in seconds.
const Lease = fleet.MinLease

// Rig is a fleet's shared parts for one test.
type Rig struct {
	t   *testing.T
	ns  *fleet.Server
	Svc *demo.Service
	// URL is the NATS server's client URL.
	URL string
	JS  jetstream.JetStream
	dir string
}

// New starts the NATS server and a fake service of meetings meetings
// (the demo's opening roster), and puts them all in the desired set.
func New(t *testing.T, meetings int) *Rig {
	t.Helper()
	dir := t.TempDir()
	ns, err := fleet.StartServer(fleet.ServerConfig{Listen: "127.0.0.1:0", DataDir: filepath.Join(dir, "nats")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	svc, err := demo.NewService(demo.ServiceConfig{Meetings: meetings, Fake: fakemeeting.Config{
		HostPassword: CanaryPassword, TokenCanary: CanaryToken,
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	r := &Rig{t: t, ns: ns, Svc: svc, URL: ns.ClientURL(), JS: js, dir: dir}
	var ms []fleet.Meeting
	for _, id := range svc.ConferenceIDs() {
		pw := filepath.Join(dir, id+".pw")
		if err := os.WriteFile(pw, []byte(svc.HostPassword(id)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		ms = append(ms, fleet.Meeting{Conference: id, PasswordFile: pw})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := fleet.Apply(ctx, js, ms); err != nil {
		t.Fatal(err)
	}
	return r
}

// StopNATS shuts the NATS server down, cutting every worker and reader
// off.
func (r *Rig) StopNATS() { r.ns.Shutdown() }

// IDs lists the meetings, in creation order.
func (r *Rig) IDs() []string { return r.Svc.ConferenceIDs() }

// Meeting returns the fake of a meeting, for scripting.
func (r *Rig) Meeting(id string) *fakemeeting.Meeting { return r.Svc.Meeting(id).Meeting() }

// Owners maps each meeting to the worker ID on its lease now.
func (r *Rig) Owners() map[string]string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out := map[string]string{}
	kv, err := r.JS.KeyValue(ctx, fleet.BucketLeases)
	if err != nil {
		return out
	}
	for _, id := range r.IDs() {
		if e, err := kv.Get(ctx, id); err == nil {
			var l fleet.Lease
			if json.Unmarshal(e.Value(), &l) == nil {
				out[id] = l.Worker
			}
		}
	}
	return out
}

// WaitSubscribed waits until every meeting has a lease, exactly one
// subscribed socket, and its picture stored with the fake's roster: only
// then has its owner published what a reader starts from, so that killing
// the owner is a failover in the middle of a meeting, not before it.
func (r *Rig) WaitSubscribed(d time.Duration) {
	r.t.Helper()
	Poll(r.t, d, "every meeting held, subscribed once and stored", func() bool {
		c := r.Svc.Counters()
		for _, id := range r.IDs() {
			if c.Meetings[id].Subscribed != 1 || !r.stored(id) {
				return false
			}
		}
		return len(r.Owners()) == len(r.IDs())
	})
}

// stored reports whether the fleet stored a picture of meeting id with
// the fake's participants.
func (r *Rig) stored(id string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	kv, err := r.JS.KeyValue(ctx, fleet.BucketState)
	if err != nil {
		return false
	}
	e, err := kv.Get(ctx, id)
	if err != nil {
		return false
	}
	var s meeting.Snapshot
	if json.Unmarshal(e.Value(), &s) != nil || s.Participants.Len() != len(r.Meeting(id).View().Participants) {
		return false
	}
	for _, p := range s.Participants.All() {
		if _, ok := r.Meeting(id).View().Participants[p.PID]; !ok {
			return false
		}
	}
	return true
}

// Poll checks cond every 20 ms until it holds, failing t after d.
func Poll(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: still waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Worker is one fleet worker process.
type Worker struct {
	t    *testing.T
	cmd  *exec.Cmd
	done chan struct{}
	once sync.Once
	// Name is the name the worker was given; its ID (on leases) is the
	// name, "-" and a random suffix.
	Name string
	logs *syncBuffer
}

// StartWorker starts a worker process named name on the rig.
func (r *Rig) StartWorker(name string) *Worker {
	r.t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		envWorker+"=1", envNATS+"="+r.URL, envAPI+"="+r.Svc.URL(), envName+"="+name, envLease+"="+Lease.String())
	w := &Worker{t: r.t, cmd: cmd, done: make(chan struct{}), Name: name, logs: &syncBuffer{}}
	cmd.Stdout, cmd.Stderr = w.logs, w.logs
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	go func() {
		defer close(w.done)
		_ = cmd.Wait()
	}()
	r.t.Cleanup(w.Stop)
	return w
}

// Kill ends the worker with SIGKILL, as a crash would: its leases stay
// until they expire. It waits for the process to exit.
func (w *Worker) Kill() {
	w.once.Do(func() {
		_ = w.cmd.Process.Kill()
		<-w.done
	})
}

// Stop ends the worker with SIGTERM, which releases its leases, and
// waits for it; after 10 s it kills it.
func (w *Worker) Stop() {
	w.once.Do(func() {
		_ = w.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-w.done:
		case <-time.After(10 * time.Second):
			_ = w.cmd.Process.Kill()
			<-w.done
		}
	})
}

// Logs returns what the worker wrote so far.
func (w *Worker) Logs() string { return w.logs.String() }

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
