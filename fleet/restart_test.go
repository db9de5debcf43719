package fleet_test

import (
	"context"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/confwatch/confwatch/fleet"
	"github.com/confwatch/confwatch/integration/fakemeeting"
)

// TestWatchersRebuiltAfterServerRestart: NATS is shut down for longer
// than the lease, so the worker fences every session and every lease
// expires meanwhile, then started again on the same port and data
// directory. The KV watchers of the worker do not survive that (the
// server forgot their consumers), so the worker must watch the buckets
// afresh: it claims and subscribes every meeting again within the lease
// plus 2 s of the server being back.
func TestWatchersRebuiltAfterServerRestart(t *testing.T) {
	const n = 4
	r := newRig(t, n, fakemeeting.Config{})
	r.apply(r.meetings(r.ids...))
	a := r.start("a", r.ns.ClientURL(), nil)
	allSubscribed := func() bool {
		c := r.svc.Counters()
		for _, id := range r.ids {
			if c.Meetings[id].Subscribed != 1 {
				return false
			}
		}
		return true
	}
	waitFor(t, 10*time.Second, "every meeting subscribed", allSubscribed)

	u, err := url.Parse(r.ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	r.ns.Shutdown()
	waitFor(t, testLease, "every session fenced", func() bool { return len(a.w.Owned()) == 0 })
	time.Sleep(testLease) // every lease expires meanwhile
	ns, err := fleet.StartServer(fleet.ServerConfig{Listen: u.Host, DataDir: filepath.Join(r.dir, "nats")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	took := waitFor(t, testLease+2*time.Second, "every meeting claimed and subscribed again", func() bool {
		return len(a.w.Owned()) == n && allSubscribed()
	})
	t.Logf("NATS back → %d meetings claimed and subscribed again in %v", n, took)
	if c := r.svc.Counters(); c.MaxLiveSockets != 1 || c.TokenReuse != 0 {
		t.Errorf("fake counters %+v: want never two sockets, no ws-token reuse", c)
	}
}

// TestWatchersRebuiltWhenTheirConsumersVanish: the server forgets the
// consumers behind a worker's KV watchers while the worker stays
// connected (as when the node holding them restarts in a cluster). The
// worker notices that its own heartbeats no longer come back through the
// workers bucket and watches every bucket afresh, so a meeting added to
// the desired set meanwhile is subscribed within the lease plus 2 s
// (nats.go alone notices after 10 s of missed consumer heartbeats).
func TestWatchersRebuiltWhenTheirConsumersVanish(t *testing.T) {
	r := newRig(t, 2, fakemeeting.Config{})
	r.apply(r.meetings(r.ids[0]))
	a := r.start("a", r.ns.ClientURL(), nil)
	waitFor(t, 10*time.Second, "the first meeting subscribed", func() bool {
		return r.svc.Counters().Meetings[r.ids[0]].Subscribed == 1
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	deleted := 0
	for _, bucket := range []string{fleet.BucketDesired, fleet.BucketLeases, fleet.BucketWorkers} {
		s, err := r.js.Stream(ctx, "KV_"+bucket)
		if err != nil {
			t.Fatal(err)
		}
		for name := range s.ListConsumers(ctx).Info() {
			if err := s.DeleteConsumer(ctx, name.Name); err != nil {
				t.Fatal(err)
			}
			deleted++
		}
	}
	if deleted != 3 {
		t.Fatalf("deleted %d consumers, want the worker's three watchers", deleted)
	}
	r.apply(r.meetings(r.ids...))
	took := waitFor(t, testLease+2*time.Second, "the added meeting subscribed", func() bool {
		return r.svc.Counters().Meetings[r.ids[1]].Subscribed == 1
	})
	t.Logf("watchers' consumers deleted → added meeting subscribed in %v", took)
	if got := a.w.Owned(); len(got) != 2 {
		t.Errorf("a holds %v, want both meetings", got)
	}
}
