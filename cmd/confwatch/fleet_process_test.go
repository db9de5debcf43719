package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/confwatch/confwatch/fleet"
	"github.com/confwatch/confwatch/integration/fakemeeting"
	"github.com/confwatch/confwatch/internal/demo"
)

// processLease is the lease of the process test: short, so that a kill
// -9 is recovered from in seconds, and long enough for a loaded machine.
const processLease = 4 * time.Second

// fleetRig is one nats-server and a fake service, in this process, and
// the confwatch processes under test.
type fleetRig struct {
	t   *testing.T
	ns  *fleet.Server
	svc *demo.Service
	nc  *nats.Conn
	js  jetstream.JetStream
	dir string
}

func newFleetRig(t *testing.T, meetings int) *fleetRig {
	t.Helper()
	dir := t.TempDir()
	ns, err := fleet.StartServer(fleet.ServerConfig{Listen: "127.0.0.1:0", DataDir: filepath.Join(dir, "nats")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	svc, err := demo.NewService(demo.ServiceConfig{Meetings: meetings})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, _ := jetstream.New(nc)
	return &fleetRig{t: t, ns: ns, svc: svc, nc: nc, js: js, dir: dir}
}

// meetingsFile writes the meetings file and the password files.
func (r *fleetRig) meetingsFile() string {
	var ms []fleet.Meeting
	for _, id := range r.svc.ConferenceIDs() {
		pw := filepath.Join(r.dir, id+".pw")
		os.WriteFile(pw, []byte(r.svc.HostPassword(id)+"\n"), 0o600)
		ms = append(ms, fleet.Meeting{Conference: id, PasswordFile: pw})
	}
	b, _ := json.Marshal(map[string]any{"meetings": ms})
	f := filepath.Join(r.dir, "meetings.json")
	os.WriteFile(f, b, 0o600)
	return f
}

func (r *fleetRig) worker(name string) *proc {
	return start(r.t, nil, "fleet", "--nats", r.ns.ClientURL(), "--api", r.svc.URL(), "--name", name,
		"--lease", processLease.String(), "--log-format", "json")
}

// owners maps each meeting to the worker ID on its lease.
func (r *fleetRig) owners() map[string]string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out := map[string]string{}
	kv, err := r.js.KeyValue(ctx, fleet.BucketLeases)
	if err != nil {
		return out
	}
	for _, id := range r.svc.ConferenceIDs() {
		if e, err := kv.Get(ctx, id); err == nil {
			var l fleet.Lease
			if json.Unmarshal(e.Value(), &l) == nil {
				out[id] = l.Worker
			}
		}
	}
	return out
}

// last returns the last record on a subject, with its worker and time.
func (r *fleetRig) last(subject string) (rec Line, worker string, at time.Time, ok bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := r.js.Stream(ctx, fleet.StreamEvents)
	if err != nil {
		return rec, "", at, false
	}
	m, err := s.GetLastMsgForSubject(ctx, subject)
	if err != nil || json.Unmarshal(m.Data, &rec) != nil {
		return rec, "", at, false
	}
	return rec, m.Header.Get(fleet.HeaderWorker), m.Time, true
}

func (r *fleetRig) state(id string) (map[string]any, bool) {
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

func poll(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: still waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// byWorker groups meetings by the name part of their owner's ID.
func byWorker(owners map[string]string) map[string][]string {
	out := map[string][]string{}
	for id, w := range owners {
		name := w[:strings.LastIndexByte(w, '-')]
		out[name] = append(out[name], id)
	}
	for _, ids := range out {
		slices.Sort(ids)
	}
	return out
}

// TestFleetProcesses: three confwatch fleet processes share 30 meetings.
// Each meeting is held exactly once; a kill -9 moves the dead worker's
// meetings within the lease plus 2 s, with what changed meanwhile
// published as inferred changes; a SIGTERM moves a worker's meetings
// within 2 s; the fake never sees two sockets of a meeting nor a ws token
// used twice, and each meeting's stored state ends equal to the fake's.
func TestFleetProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three workers")
	}
	const n = 30
	r := newFleetRig(t, n)
	ids := r.svc.ConferenceIDs()
	apply := start(t, nil, "fleet", "apply", "-f", r.meetingsFile(), "--nats", r.ns.ClientURL())
	if code := apply.exit(t); code != 0 {
		t.Fatalf("apply exited %d: %s", code, apply.stderr.String())
	}
	ws := map[string]*proc{"w1": r.worker("w1"), "w2": r.worker("w2"), "w3": r.worker("w3")}
	poll(t, 30*time.Second, "30 meetings subscribed, each once", func() bool {
		c := r.svc.Counters()
		for _, id := range ids {
			if c.Meetings[id].Subscribed != 1 {
				return false
			}
		}
		return len(r.owners()) == n
	})
	pids := map[string]string{}
	for _, id := range ids {
		pid, err := r.svc.Meeting(id).Meeting().JoinOne(fakemeeting.Person{Name: "Zhang Min"})
		if err != nil {
			t.Fatal(err)
		}
		pids[id] = pid
	}
	poll(t, 10*time.Second, "every join in the stored states", func() bool {
		for _, id := range ids {
			if s, ok := r.state(id); !ok || participantsOf(s)[pids[id]] == nil {
				return false
			}
		}
		return true
	})
	groups := byWorker(r.owners())
	t.Logf("placement: w1 %d, w2 %d, w3 %d meetings", len(groups["w1"]), len(groups["w2"]), len(groups["w3"]))
	for _, name := range []string{"w1", "w2", "w3"} {
		if len(groups[name]) == 0 {
			t.Fatalf("%s holds no meeting: %v", name, groups)
		}
	}

	// kill -9 w1; change its meetings while nobody watches them.
	victim := groups["w1"]
	killed := time.Now()
	ws["w1"].cmd.Process.Kill()
	ws["w1"].exit(t)
	for _, id := range victim {
		if err := r.svc.Meeting(id).Meeting().RaiseHand(pids[id], true); err != nil {
			t.Fatal(err)
		}
	}
	var took []time.Duration
	poll(t, processLease+10*time.Second, "w1's meetings resubscribed by another worker", func() bool {
		took = took[:0]
		for _, id := range victim {
			rec, w, at, ok := r.last(fleet.SubjectPrefix + "." + id + ".status")
			if !ok || rec.Status != "subscribed" || strings.HasPrefix(w, "w1-") || at.Before(killed) {
				return false
			}
			took = append(took, at.Sub(killed))
		}
		return true
	})
	p50, p99 := percentile(took, 50), percentile(took, 99)
	t.Logf("kill -9, lease %v: %d meetings resubscribed after p50 %v, p99 %v, max %v", processLease, len(took), p50, p99, slices.Max(took))
	if slices.Max(took) > processLease+2*time.Second {
		t.Errorf("a meeting took %v to move, want within the lease %v + 2s", slices.Max(took), processLease)
	}
	poll(t, 10*time.Second, "the hands raised while blind, published as inferred by the new owners", func() bool {
		for _, id := range victim {
			rec, w, _, ok := r.last(fleet.SubjectPrefix + "." + id + ".change.HandRaised")
			if !ok || rec.Change == nil || !rec.Change.Inferred || rec.Change.PID != pids[id] || strings.HasPrefix(w, "w1-") {
				return false
			}
		}
		return true
	})

	// SIGTERM w2: its meetings move at once.
	groups = byWorker(r.owners())
	moving := groups["w2"]
	termed := time.Now()
	ws["w2"].cmd.Process.Signal(syscall.SIGTERM)
	if code := ws["w2"].exit(t); code != 143 {
		t.Errorf("w2 exited %d after SIGTERM, want 143: %s", code, tail(ws["w2"].stderr.String()))
	}
	took = took[:0]
	poll(t, 10*time.Second, "w2's meetings resubscribed by w3", func() bool {
		took = took[:0]
		for _, id := range moving {
			rec, w, at, ok := r.last(fleet.SubjectPrefix + "." + id + ".status")
			if !ok || rec.Status != "subscribed" || !strings.HasPrefix(w, "w3-") || at.Before(termed) {
				return false
			}
			took = append(took, at.Sub(termed))
		}
		return true
	})
	t.Logf("SIGTERM: %d meetings resubscribed after p50 %v, p99 %v, max %v", len(took), percentile(took, 50), percentile(took, 99), slices.Max(took))
	if slices.Max(took) > 2*time.Second {
		t.Errorf("a meeting took %v to move after SIGTERM, want within 2s", slices.Max(took))
	}

	// Every meeting is w3's, its state equals the fake's, and the fake
	// never saw two sockets of a meeting or a ws token twice.
	poll(t, 10*time.Second, "every meeting held by w3", func() bool { return len(byWorker(r.owners())["w3"]) == n })
	poll(t, 10*time.Second, "every stored state equal to the fake's view", func() bool {
		for _, id := range ids {
			if s, ok := r.state(id); !ok || !sameAsFake(s, r.svc.Meeting(id).Meeting().View()) {
				return false
			}
		}
		return true
	})
	c := r.svc.Counters()
	t.Logf("fake: %d ws tokens issued, %d reused, %d sockets opened, high-water %d live sockets per meeting", c.TokensIssued, c.TokenReuse, c.Sockets, c.MaxLiveSockets)
	if c.MaxLiveSockets != 1 || c.TokenReuse != 0 {
		t.Errorf("fake counters %+v: want at most one live socket per meeting, no ws-token reuse", c)
	}
	ws["w3"].cmd.Process.Signal(syscall.SIGTERM)
	if code := ws["w3"].exit(t); code != 143 {
		t.Errorf("w3 exited %d after SIGTERM, want 143", code)
	}
	if o := r.owners(); len(o) != 0 {
		t.Errorf("leases left after the last worker's SIGTERM: %v", o)
	}
}

func percentile(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[max(0, min(len(s)-1, i-1))]
}

func tail(s string) string {
	if len(s) > 2000 {
		return s[len(s)-2000:]
	}
	return s
}

func participantsOf(s map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	list, _ := s["participants"].([]any)
	for _, p := range list {
		m, _ := p.(map[string]any)
		if pid, ok := m["pid"].(string); ok {
			out[pid] = m
		}
	}
	return out
}

// sameAsFake compares a stored Snapshot with the fake's own view: every
// participant's full pinfoMap, the lock, recording and speakers.
func sameAsFake(s map[string]any, v fakemeeting.View) bool {
	ps := participantsOf(s)
	if len(ps) != len(v.Participants) {
		return false
	}
	for pid, info := range v.Participants {
		got := map[string]string{}
		b, _ := json.Marshal(ps[pid]["info"])
		if json.Unmarshal(b, &got) != nil || !maps.Equal(got, info) {
			return false
		}
	}
	status, _ := s["status"].(map[string]any)
	speakers, _ := s["speakers"].([]any)
	return status["locked"] == v.Locked && status["recording"] == v.Recording && len(speakers) == len(v.Speakers) &&
		fmt.Sprint(status["state"]) == v.State
}
