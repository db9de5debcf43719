package fleet_test

import (
	"slices"
	"testing"
	"time"

	"github.com/confwatch/confwatch/fleet"
	"github.com/confwatch/confwatch/integration/fakemeeting"
)

// TestOwnershipExactlyOnce: three workers share thirty meetings (with
// twelve, rendezvous hashing left one worker without any in about 2 %
// of runs, the worker IDs being random; with thirty, about 1 in 60,000); each is
// held by exactly one worker, its lease names that worker, the fake sees
// one socket per meeting at most, and no ws token is used twice.
func TestOwnershipExactlyOnce(t *testing.T) {
	r := newRig(t, 30, fakemeeting.Config{})
	r.apply(r.meetings(r.ids...))
	ws := []*worker{
		r.start("a", r.ns.ClientURL(), nil),
		r.start("b", r.ns.ClientURL(), nil),
		r.start("c", r.ns.ClientURL(), nil),
	}
	waitFor(t, 10*time.Second, "every meeting subscribed once", func() bool {
		c := r.svc.Counters()
		for _, id := range r.ids {
			if c.Meetings[id].Subscribed != 1 {
				return false
			}
		}
		return true
	})
	// Let a few renewals and state writes go by.
	time.Sleep(testLease / 2)
	owners := r.owners()
	held := map[string]string{}
	for _, w := range ws {
		for _, id := range w.w.Owned() {
			if other, dup := held[id]; dup {
				t.Errorf("meeting %s held by %s and %s", id, other, w.w.ID())
			}
			held[id] = w.w.ID()
		}
		if n := len(w.w.Owned()); n == 0 {
			t.Errorf("worker %s holds nothing: placement did not spread", w.w.ID())
		}
	}
	for _, id := range r.ids {
		if held[id] == "" || owners[id] != held[id] {
			t.Errorf("meeting %s: held by %q, lease names %q", id, held[id], owners[id])
		}
	}
	c := r.svc.Counters()
	if c.MaxLiveSockets != 1 || c.TokenReuse != 0 {
		t.Errorf("fake counters %+v: want at most one socket per meeting and no ws-token reuse", c)
	}
	for _, w := range ws {
		if st := w.w.Stats(); st.Renewals == 0 || st.Fences != 0 {
			t.Errorf("worker %s stats %+v: want renewals and no fence", w.w.ID(), st)
		}
	}
}

// TestDesiredSetChanges: a meeting added to the desired set is subscribed
// within 2 s, one removed has its socket closed within 2 s.
func TestDesiredSetChanges(t *testing.T) {
	r := newRig(t, 3, fakemeeting.Config{})
	r.apply(r.meetings(r.ids[:2]...))
	w := r.start("a", r.ns.ClientURL(), nil)
	waitFor(t, 10*time.Second, "the first two subscribed", func() bool {
		c := r.svc.Counters()
		return c.Meetings[r.ids[0]].Subscribed == 1 && c.Meetings[r.ids[1]].Subscribed == 1
	})

	r.apply(r.meetings(r.ids[1:]...))
	took := waitFor(t, 2*time.Second, "the added meeting subscribed", func() bool {
		return r.svc.Counters().Meetings[r.ids[2]].Subscribed == 1
	})
	t.Logf("added → subscribed in %v", took)
	took = waitFor(t, 2*time.Second, "the removed meeting's socket closed", func() bool {
		return r.svc.Counters().Meetings[r.ids[0]].LiveSockets == 0
	})
	t.Logf("removed → socket closed in %v", took)
	waitFor(t, 2*time.Second, "the removed meeting's lease released", func() bool {
		_, held := r.owners()[r.ids[0]]
		return !held
	})
	if got := w.w.Owned(); !slices.Equal(got, r.ids[1:]) {
		t.Errorf("owned %v, want %v", got, r.ids[1:])
	}
	w.stop(t)
	if o := r.owners(); len(o) != 0 {
		t.Errorf("leases after a graceful stop: %v", o)
	}
	if c := r.svc.Counters(); c.MaxLiveSockets != 1 {
		t.Errorf("max live sockets %d", c.MaxLiveSockets)
	}
	_ = fleet.BucketLeases
}
