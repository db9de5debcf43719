package fleet_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/fleet"
	"github.com/confwatch/confwatch/integration/fakemeeting"
)

// reported is what a worker reported.
type reported struct {
	observers []string
	owned     []int
	fenced    []string
	failovers []string
	renewFail int
}

// recMetrics records what a worker reports.
type recMetrics struct {
	mu sync.Mutex
	reported
}

func (m *recMetrics) Observer(id string) *connector.Observer {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.observers = append(m.observers, id)
	return &connector.Observer{}
}
func (m *recMetrics) SetOwned(n int) { m.mu.Lock(); m.owned = append(m.owned, n); m.mu.Unlock() }
func (m *recMetrics) LeaseRenewFailed(string) {
	m.mu.Lock()
	m.renewFail++
	m.mu.Unlock()
}
func (m *recMetrics) Fenced(id string) { m.mu.Lock(); m.fenced = append(m.fenced, id); m.mu.Unlock() }
func (m *recMetrics) FailedOver(id string) {
	m.mu.Lock()
	m.failovers = append(m.failovers, id)
	m.mu.Unlock()
}

func (m *recMetrics) snapshot() reported {
	m.mu.Lock()
	defer m.mu.Unlock()
	return reported{observers: slices.Clone(m.observers), owned: slices.Clone(m.owned), fenced: slices.Clone(m.fenced), failovers: slices.Clone(m.failovers), renewFail: m.renewFail}
}

// TestWorkerReportsToMetrics: a worker cut off from NATS reports its
// fence and owning nothing; the worker that takes the meeting over reports
// the failover, owning it, and asks for the session's Observer.
func TestWorkerReportsToMetrics(t *testing.T) {
	r := newRig(t, 1, fakemeeting.Config{})
	id := r.ids[0]
	r.apply(r.meetings(id))
	ma, mb := &recMetrics{}, &recMetrics{}
	cut := newCutter(t, r.ns.ClientURL()[len("nats://"):])
	r.start("a", cut.url(), func(c *fleet.Config) { c.Metrics = ma })
	waitFor(t, 10*time.Second, "a subscribed", func() bool { return r.svc.Counters().Meetings[id].Subscribed == 1 })
	time.Sleep(testLease / 3)
	cut.setCut(true)
	b := r.start("b", r.ns.ClientURL(), func(c *fleet.Config) { c.Metrics = mb })
	waitFor(t, 2*testLease, "b holds the meeting", func() bool { return len(b.w.Owned()) == 1 })
	waitFor(t, 2*testLease, "a reports owning nothing", func() bool {
		s := ma.snapshot()
		return len(s.owned) > 0 && s.owned[len(s.owned)-1] == 0
	})
	// b reports the failover and asks for the Observer right after it
	// holds the lease, on its own goroutine: wait for them, not for Owned.
	waitFor(t, 2*testLease, "b reports the failover and its session", func() bool {
		s := mb.snapshot()
		return len(s.failovers) > 0 && slices.Contains(s.observers, id)
	})
	a, bb := ma.snapshot(), mb.snapshot()
	if !slices.Equal(a.fenced, []string{id}) || !slices.Contains(a.observers, id) || a.owned[0] != 1 {
		t.Errorf("a reported %+v: want its session's Observer, owned 1 then 0, one fence of %s", a, id)
	}
	if !slices.Contains(bb.observers, id) || !slices.Equal(bb.failovers, []string{id}) || bb.owned[len(bb.owned)-1] != 1 {
		t.Errorf("b reported %+v: want the Observer, one failover of %s, owned 1", bb, id)
	}
}
