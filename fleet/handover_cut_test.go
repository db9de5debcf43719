package fleet_test

import (
	"context"
	"testing"
	"time"

	"github.com/confwatch/confwatch/fleet"
	"github.com/confwatch/confwatch/integration/fakemeeting"
)

// TestNoHandoverWhileCutOff: a worker that saw a peer join and is then
// cut off from NATS before the peer settled must not hand meetings over
// on its stale picture: the release cannot reach NATS, so each meeting
// would go unwatched until its lease expired, where a handover once NATS
// is back costs nothing. It keeps its sessions until its own fence.
func TestNoHandoverWhileCutOff(t *testing.T) {
	const n = 8 // the peer is the rendezvous owner of none with odds 1/256
	r := newRig(t, n, fakemeeting.Config{})
	r.apply(r.meetings(r.ids...))
	cut := newCutter(t, r.ns.ClientURL()[len("nats://"):])
	a := r.start("a", cut.url(), nil)
	waitFor(t, 10*time.Second, "a holds every meeting", func() bool { return len(a.w.Owned()) == n })
	b := r.start("b", r.ns.ClientURL(), nil)
	// a hears of b at once, and would hand b its share once b has been
	// seen for a heartbeat period (Lease/3).
	waitFor(t, 5*time.Second, "b's heartbeat", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		kv, err := r.js.KeyValue(ctx, fleet.BucketWorkers)
		if err != nil {
			return false
		}
		_, err = kv.Get(ctx, b.w.ID())
		return err == nil
	})
	time.Sleep(50 * time.Millisecond)
	cut.setCut(true)
	waitFor(t, 2*testLease, "a holds nothing", func() bool { return len(a.w.Owned()) == 0 })
	if st := a.w.Stats(); st.Handovers != 0 || st.Fences != n {
		t.Errorf("a's stats %+v: want no handover while cut off, %d fences", st, n)
	}
	if c := r.svc.Counters(); c.MaxLiveSockets != 1 || c.TokenReuse != 0 {
		t.Errorf("fake counters %+v: want never two sockets, no ws-token reuse", c)
	}
}
