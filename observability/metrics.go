package observability

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/token"
)

// ScopeName is the instrumentation scope of every instrument: the meter's
// name.
const ScopeName = "github.com/confwatch/confwatch/observability"

// Attribute keys.
const (
	keyState      = attribute.Key("confwatch.state")
	keyClass      = attribute.Key("confwatch.class")
	keyStage      = attribute.Key("confwatch.stage")
	keyOutcome    = attribute.Key("confwatch.outcome")
	keyAction     = attribute.Key("confwatch.action")
	keyResync     = attribute.Key("confwatch.resync")
	keyConference = attribute.Key("confwatch.conference.id")
)

// Bucket boundaries, in seconds. Lag is the server's clock against ours
// plus the network: milliseconds when both keep time, seconds when one does
// not. Blind windows run from a fast redial (tens of ms) to a long outage.
var (
	lagBuckets   = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}
	blindBuckets = []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900}
	delayBuckets = []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}
)

// Config configures Metrics. The zero value uses the global MeterProvider
// and puts no meeting ID on any measurement.
type Config struct {
	// MeterProvider makes the instruments. Nil means otel.GetMeterProvider()
	// as New is called.
	MeterProvider metric.MeterProvider
	// PerConference adds the meeting ID (confwatch.conference.id) to every
	// session and fleet measurement. Off by default: a fleet of many
	// meetings would multiply its series by the number of meetings.
	PerConference bool
}

// Metrics records what sessions and a fleet do as OpenTelemetry
// measurements. Create it with New; it is safe for concurrent use.
type Metrics struct {
	perConference bool

	reconnects metric.Int64Counter
	delay      metric.Float64Histogram
	wsTokens   metric.Int64Counter
	resyncs    metric.Int64Counter
	lag        metric.Float64Histogram
	blind      metric.Float64Histogram

	renewFailures metric.Int64Counter
	fences        metric.Int64Counter
	failovers     metric.Int64Counter
	owned         atomic.Int64 // -1 until SetOwned is first called

	reg metric.Registration

	mu       sync.Mutex // guards the fields below
	sessions map[*session]struct{}
	// counts are the push counts of the process, or with PerConference
	// of each meeting seen (kept after its session stops, as a cumulative
	// SDK counter keeps its series).
	counts map[string]*meetingCounts
}

// New creates the instruments on cfg.MeterProvider's meter named
// ScopeName.
func New(cfg Config) (*Metrics, error) {
	mp := cfg.MeterProvider
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	meter := mp.Meter(ScopeName, metric.WithInstrumentationVersion(token.Version))
	m := &Metrics{perConference: cfg.PerConference, sessions: map[*session]struct{}{}, counts: map[string]*meetingCounts{}}
	m.owned.Store(-1)
	if err := m.instruments(meter); err != nil {
		return nil, fmt.Errorf("observability: new: %w", err)
	}
	return m, nil
}

// countsOf returns the push counts a session of meeting id adds to; m.mu
// is held.
func (m *Metrics) countsOf(id string) *meetingCounts {
	if !m.perConference {
		id = ""
	}
	c := m.counts[id]
	if c == nil {
		c = newMeetingCounts()
		m.counts[id] = c
	}
	return c
}

// instruments creates every instrument and the callback of the
// asynchronous ones.
func (m *Metrics) instruments(meter metric.Meter) error {
	var errs [14]error
	m.reconnects, errs[0] = meter.Int64Counter("confwatch.session.reconnects", metric.WithUnit("{reconnect}"),
		metric.WithDescription("Retries scheduled after a failed attempt or a lost link, by failure class and stage."))
	m.delay, errs[1] = meter.Float64Histogram("confwatch.session.reconnect.delay", metric.WithUnit("s"),
		metric.WithDescription("Backoff waited before each retry."), metric.WithExplicitBucketBoundaries(delayBuckets...))
	m.wsTokens, errs[2] = meter.Int64Counter("confwatch.wstoken.fetches", metric.WithUnit("{fetch}"),
		metric.WithDescription("Single-use ws-token calls, by outcome: ok, discarded (came too old to dial with) or error."))
	var received, dropped metric.Int64ObservableCounter
	received, errs[3] = meter.Int64ObservableCounter("confwatch.events.received", metric.WithUnit("{event}"),
		metric.WithDescription("Pushes received, by action."))
	dropped, errs[4] = meter.Int64ObservableCounter("confwatch.events.dropped", metric.WithUnit("{event}"),
		metric.WithDescription("Pushes dropped because the handler queue was full (a resync repairs the loss), by action."))
	m.resyncs, errs[5] = meter.Int64Counter("confwatch.resyncs", metric.WithUnit("{resync}"),
		metric.WithDescription("Live links closed on purpose to get fresh snapshots."))
	m.lag, errs[6] = meter.Float64Histogram("confwatch.event.lag", metric.WithUnit("s"),
		metric.WithDescription("Receive time minus the push's createTime (server clock against ours; negative lag counts as 0), at most one push per session every 100 ms."),
		metric.WithExplicitBucketBoundaries(lagBuckets...))
	m.blind, errs[7] = meter.Float64Histogram("confwatch.outage.blind", metric.WithUnit("s"),
		metric.WithDescription("How long no push could be received, per lost link or resync."),
		metric.WithExplicitBucketBoundaries(blindBuckets...))
	m.renewFailures, errs[8] = meter.Int64Counter("confwatch.fleet.lease.renew_failures", metric.WithUnit("{failure}"),
		metric.WithDescription("Lease renewals that failed."))
	m.fences, errs[9] = meter.Int64Counter("confwatch.fleet.fences", metric.WithUnit("{fence}"),
		metric.WithDescription("Sessions stopped by their own process because their lease could not be kept."))
	m.failovers, errs[10] = meter.Int64Counter("confwatch.fleet.failovers", metric.WithUnit("{failover}"),
		metric.WithDescription("Meetings taken over from another process."))
	var state, owned metric.Int64ObservableUpDownCounter
	state, errs[11] = meter.Int64ObservableUpDownCounter("confwatch.session.state", metric.WithUnit("{session}"),
		metric.WithDescription("Sessions in each state: connecting, subscribed or reconnecting (stopped sessions leave)."))
	owned, errs[12] = meter.Int64ObservableUpDownCounter("confwatch.fleet.owned", metric.WithUnit("{meeting}"),
		metric.WithDescription("Meetings whose lease this process holds."))
	if err := errors.Join(errs[:]...); err != nil {
		return err
	}
	m.reg, errs[13] = meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		m.observeStates(o, state)
		m.observeCounts(o, received, dropped)
		if n := m.owned.Load(); n >= 0 {
			o.ObserveInt64(owned, n)
		}
		return nil
	}, state, owned, received, dropped)
	return errs[13]
}

// observeCounts reports the push counts, per process or per meeting.
func (m *Metrics) observeCounts(o metric.Observer, received, dropped metric.Int64ObservableCounter) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, c := range m.counts {
		var base []attribute.KeyValue
		if m.perConference {
			base = []attribute.KeyValue{keyConference.String(id)}
		}
		c.received.observe(o, received, base)
		c.dropped.observe(o, dropped, base)
	}
}

// states are the states a session counts in; a stopped session has left.
var states = [...]connector.State{connector.StateConnecting, connector.StateSubscribed, connector.StateReconnecting}

// observeStates reports the sessions in each state: per process, or with
// PerConference one series per session and state (1 for its state, 0 for
// the others).
func (m *Metrics) observeStates(o metric.Observer, inst metric.Int64ObservableUpDownCounter) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.perConference {
		for s := range m.sessions {
			cur := connector.State(s.state.Load())
			for _, st := range states {
				o.ObserveInt64(inst, b2i(cur == st), metric.WithAttributes(keyConference.String(s.conference), keyState.String(st.String())))
			}
		}
		return
	}
	var n [len(states)]int64
	for s := range m.sessions {
		for i, st := range states {
			if connector.State(s.state.Load()) == st {
				n[i]++
			}
		}
	}
	for i, st := range states {
		o.ObserveInt64(inst, n[i], metric.WithAttributes(keyState.String(st.String())))
	}
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// Ready reports whether at least one session is observed and every
// observed session that has not stopped is subscribed: what /readyz
// answers for a process that watches its meetings itself.
func (m *Metrics) Ready() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for s := range m.sessions {
		if connector.State(s.state.Load()) != connector.StateSubscribed {
			return false
		}
	}
	return len(m.sessions) > 0
}

// Close unregisters the asynchronous instruments' callback; the
// instruments stay with the MeterProvider, which the caller shuts down.
func (m *Metrics) Close() error {
	if err := m.reg.Unregister(); err != nil {
		return fmt.Errorf("observability: close: %w", err)
	}
	return nil
}

// conferenceSet is the attribute set every measurement about meeting id
// carries: the meeting ID with PerConference, else none.
func (m *Metrics) conferenceSet(id string) attribute.Set {
	if m.perConference {
		return attribute.NewSet(keyConference.String(id))
	}
	return attribute.NewSet()
}

// add counts one on c for meeting id, with extra attributes. It is for
// the rare events (retries, fleet events); the per-push path uses
// precomputed options.
func (m *Metrics) add(c metric.Int64Counter, id string, extra ...attribute.KeyValue) {
	if m.perConference {
		extra = append(extra, keyConference.String(id))
	}
	c.Add(context.Background(), 1, metric.WithAttributes(extra...))
}
