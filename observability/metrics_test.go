package observability_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/goleak"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/observability"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// setup returns Metrics on an SDK provider with a manual reader.
func setup(t *testing.T, perConference bool) (*observability.Metrics, *sdkmetric.ManualReader) {
	t.Helper()
	r := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	m, err := observability.New(observability.Config{MeterProvider: mp, PerConference: perConference})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m, r
}

// collected is one collection, by instrument name.
type collected map[string]metricdata.Aggregation

func collect(t *testing.T, r *sdkmetric.ManualReader) collected {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	c := collected{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			c[m.Name] = m.Data
		}
	}
	return c
}

// has reports whether attrs includes every key=value of kv.
func has(attrs attribute.Set, kv []attribute.KeyValue) bool {
	for _, want := range kv {
		if v, ok := attrs.Value(want.Key); !ok || v.String() != want.Value.String() {
			return false
		}
	}
	return true
}

// int returns the sum of the points of a counter or up-down counter that
// carry kv (-1 when the instrument has no point at all).
func (c collected) int(name string, kv ...attribute.KeyValue) int64 {
	s, ok := c[name].(metricdata.Sum[int64])
	if !ok {
		return -1
	}
	var n int64
	for _, p := range s.DataPoints {
		if has(p.Attributes, kv) {
			n += p.Value
		}
	}
	return n
}

// hist returns the count and sum of a histogram's points that carry kv.
func (c collected) hist(name string, kv ...attribute.KeyValue) (uint64, float64) {
	h, _ := c[name].(metricdata.Histogram[float64])
	var n uint64
	var sum float64
	for _, p := range h.DataPoints {
		if has(p.Attributes, kv) {
			n += p.Count
			sum += p.Sum
		}
	}
	return n, sum
}

var (
	stateIs = func(s string) attribute.KeyValue { return attribute.String("confwatch.state", s) }
	action  = func(s string) attribute.KeyValue { return attribute.String("confwatch.action", s) }
)

// TestObserverRecordsWhatTheSessionReports drives an Observer's callbacks
// as a session would and reads every instrument back.
func TestObserverRecordsWhatTheSessionReports(t *testing.T) {
	m, r := setup(t, false)
	a, b := m.Observer("111"), m.Observer("222")
	c := collect(t, r)
	if got := c.int("confwatch.session.state", stateIs("connecting")); got != 2 {
		t.Errorf("connecting sessions = %d, want 2", got)
	}
	a.StateChanged(connector.StateConnecting, connector.StateSubscribed)
	a.WSTokenFetched(nil, false)
	a.WSTokenFetched(nil, true)
	a.WSTokenFetched(errors.New("refused"), false)
	now := time.Now()
	a.PushReceived(&events.Push{Action: events.ActionParticipants, CreateTime: now}, 40*time.Millisecond)
	a.PushReceived(&events.Push{Action: "InventedNotify", CreateTime: now}, -time.Second)
	a.PushReceived(&events.Push{Action: events.ActionSpeakerChange}, time.Hour) // no createTime: no lag
	a.Dropped(events.ActionParticipants)
	a.Resyncing("version gap")
	a.Resubscribed(1500*time.Millisecond, true)
	a.StateChanged(connector.StateSubscribed, connector.StateReconnecting)
	a.Retrying(connector.Failure{Stage: connector.StageLive, Class: connector.ClassRetry}, 250*time.Millisecond)
	a.Resubscribed(2*time.Second, false)
	b.StateChanged(connector.StateConnecting, connector.StateStopped)

	c = collect(t, r)
	for _, ck := range []struct {
		what      string
		got, want int64
	}{
		{"reconnecting sessions", c.int("confwatch.session.state", stateIs("reconnecting")), 1},
		{"connecting sessions (b stopped and left)", c.int("confwatch.session.state", stateIs("connecting")), 0},
		{"reconnects retry/live", c.int("confwatch.session.reconnects", attribute.String("confwatch.class", "retry"), attribute.String("confwatch.stage", "live")), 1},
		{"ws tokens ok", c.int("confwatch.wstoken.fetches", attribute.String("confwatch.outcome", "ok")), 1},
		{"ws tokens discarded", c.int("confwatch.wstoken.fetches", attribute.String("confwatch.outcome", "discarded")), 1},
		{"ws tokens error", c.int("confwatch.wstoken.fetches", attribute.String("confwatch.outcome", "error")), 1},
		{"ParticipantsNotify received", c.int("confwatch.events.received", action(events.ActionParticipants)), 1},
		{"an invented action counts as other", c.int("confwatch.events.received", action("other")), 1},
		{"received in all", c.int("confwatch.events.received"), 3},
		{"dropped", c.int("confwatch.events.dropped", action(events.ActionParticipants)), 1},
		{"resyncs", c.int("confwatch.resyncs"), 1},
	} {
		if ck.got != ck.want {
			t.Errorf("%s = %d, want %d", ck.what, ck.got, ck.want)
		}
	}
	if n, sum := c.hist("confwatch.event.lag"); n != 2 || sum < 0.039 || sum > 0.041 {
		t.Errorf("lag: %d samples summing %vs, want 2 summing 0.04 (negative lag counts as 0, none without createTime)", n, sum)
	}
	if n, sum := c.hist("confwatch.outage.blind", attribute.String("confwatch.resync", "true")); n != 1 || sum != 1.5 {
		t.Errorf("blind on resync: %d summing %v, want 1 of 1.5s", n, sum)
	}
	if n, _ := c.hist("confwatch.outage.blind", attribute.String("confwatch.resync", "false")); n != 1 {
		t.Errorf("blind after a failure: %d samples, want 1", n)
	}
	if n, sum := c.hist("confwatch.session.reconnect.delay", attribute.String("confwatch.class", "retry")); n != 1 || sum != 0.25 {
		t.Errorf("retry delay: %d summing %v, want 1 of 0.25s", n, sum)
	}
	for name, agg := range c {
		if hasConference(agg) {
			t.Errorf("%s carries a meeting ID without PerConference", name)
		}
	}
}

// hasConference reports whether any point of agg carries
// confwatch.conference.id.
func hasConference(agg metricdata.Aggregation) bool {
	var sets []attribute.Set
	switch a := agg.(type) {
	case metricdata.Sum[int64]:
		for _, p := range a.DataPoints {
			sets = append(sets, p.Attributes)
		}
	case metricdata.Histogram[float64]:
		for _, p := range a.DataPoints {
			sets = append(sets, p.Attributes)
		}
	}
	for _, s := range sets {
		if _, ok := s.Value("confwatch.conference.id"); ok {
			return true
		}
	}
	return false
}

// TestReady: not ready with no session, nor while any is not subscribed;
// a stopped session leaves.
func TestReady(t *testing.T) {
	m, _ := setup(t, false)
	var a, b *connector.Observer
	type step struct {
		do   func()
		want bool
	}
	for i, s := range []step{
		{func() {}, false},
		{func() { a = m.Observer("1") }, false},
		{func() { a.StateChanged(connector.StateConnecting, connector.StateSubscribed) }, true},
		{func() { b = m.Observer("2") }, false},
		{func() { b.StateChanged(connector.StateConnecting, connector.StateSubscribed) }, true},
		{func() { a.StateChanged(connector.StateSubscribed, connector.StateReconnecting) }, false},
		{func() { a.StateChanged(connector.StateReconnecting, connector.StateStopped) }, true},
		{func() { b.StateChanged(connector.StateSubscribed, connector.StateStopped) }, false},
	} {
		s.do()
		if got := m.Ready(); got != s.want {
			t.Errorf("step %d: Ready() = %t, want %t", i, got, s.want)
		}
	}
}

// TestPerConference: with the option, session and fleet measurements
// carry the meeting ID, and the state instrument has a series per
// session.
func TestPerConference(t *testing.T) {
	m, r := setup(t, true)
	a := m.Observer("986112045")
	m.Observer("986112046")
	a.StateChanged(connector.StateConnecting, connector.StateSubscribed)
	a.PushReceived(&events.Push{Action: events.ActionParticipants, CreateTime: time.Now()}, time.Millisecond)
	m.Fenced("986112045")
	c := collect(t, r)
	conf := attribute.String("confwatch.conference.id", "986112045")
	if got := c.int("confwatch.session.state", conf, stateIs("subscribed")); got != 1 {
		t.Errorf("subscribed series of the meeting = %d, want 1", got)
	}
	if got := c.int("confwatch.session.state", conf, stateIs("connecting")); got != 0 {
		t.Errorf("connecting series of the meeting = %d, want 0", got)
	}
	if got := c.int("confwatch.session.state", stateIs("connecting")); got != 1 {
		t.Errorf("connecting sessions = %d, want the other one", got)
	}
	if got := c.int("confwatch.events.received", conf, action(events.ActionParticipants)); got != 1 {
		t.Errorf("received with the meeting ID = %d, want 1", got)
	}
	if n, _ := c.hist("confwatch.event.lag", conf); n != 1 {
		t.Errorf("lag with the meeting ID: %d samples, want 1", n)
	}
	if got := c.int("confwatch.fleet.fences", conf); got != 1 {
		t.Errorf("fences with the meeting ID = %d, want 1", got)
	}
}

// TestFleet: the fleet instruments appear once the fleet reports.
func TestFleet(t *testing.T) {
	m, r := setup(t, false)
	c := collect(t, r)
	for _, name := range []string{"confwatch.fleet.owned", "confwatch.fleet.lease.renew_failures", "confwatch.fleet.fences", "confwatch.fleet.failovers"} {
		if got := c.int(name); got != -1 {
			t.Errorf("%s = %d before any fleet report, want absent", name, got)
		}
	}
	m.SetOwned(3)
	m.LeaseRenewFailed("1")
	m.LeaseRenewFailed("2")
	m.Fenced("1")
	m.FailedOver("3")
	c = collect(t, r)
	for _, ck := range []struct {
		name string
		want int64
	}{{"confwatch.fleet.owned", 3}, {"confwatch.fleet.lease.renew_failures", 2}, {"confwatch.fleet.fences", 1}, {"confwatch.fleet.failovers", 1}} {
		if got := c.int(ck.name); got != ck.want {
			t.Errorf("%s = %d, want %d", ck.name, got, ck.want)
		}
	}
	m.SetOwned(1)
	if got := collect(t, r).int("confwatch.fleet.owned"); got != 1 {
		t.Errorf("owned after SetOwned(1) = %d", got)
	}
}

// TestPushReceivedAllocatesNothing: the per-push callback, on the socket
// reader's path, allocates nothing with the SDK behind it.
func TestPushReceivedAllocatesNothing(t *testing.T) {
	for _, per := range []bool{false, true} {
		m, _ := setup(t, per)
		o := m.Observer("986112045")
		e := &events.Push{Action: events.ActionParticipants, CreateTime: time.Now()}
		o.PushReceived(e, time.Millisecond) // the first point of a series allocates it
		if n := testing.AllocsPerRun(1000, func() { o.PushReceived(e, time.Millisecond) }); n != 0 {
			t.Errorf("PerConference %t: %v allocations per push, want 0", per, n)
		}
	}
}

// TestLagIsSampledInAFlood: pushes closer together than 100 ms give one
// lag sample, while every push is counted; a later push is sampled again.
func TestLagIsSampledInAFlood(t *testing.T) {
	m, r := setup(t, false)
	o := m.Observer("1")
	t0 := time.Date(2026, 1, 6, 9, 0, 0, 0, time.UTC)
	for i := range 1000 {
		created := t0.Add(time.Duration(i) * 50 * time.Microsecond) // 20,000 pushes/s for 50 ms
		o.PushReceived(&events.Push{Action: events.ActionParticipants, CreateTime: created}, 2*time.Millisecond)
	}
	o.PushReceived(&events.Push{Action: events.ActionParticipants, CreateTime: t0.Add(time.Second)}, 7*time.Millisecond)
	c := collect(t, r)
	if got := c.int("confwatch.events.received", action(events.ActionParticipants)); got != 1001 {
		t.Errorf("received = %d, want every push (1001)", got)
	}
	if n, sum := c.hist("confwatch.event.lag"); n != 2 || sum < 0.0089 || sum > 0.0091 {
		t.Errorf("lag: %d samples summing %v, want 2 (the flood's first push, then the late one) summing 0.009", n, sum)
	}
}
