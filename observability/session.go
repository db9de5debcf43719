package observability

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/events"
)

// session is what Metrics knows of one session: its state, for the state
// instrument and Ready, and its precomputed measurement options.
type session struct {
	m          *Metrics
	conference string
	state      atomic.Int32 // a connector.State

	counts *meetingCounts        // the process's, or the meeting's with PerConference
	base   []metric.AddOption    // the conference attribute, or none
	record []metric.RecordOption // the same, for histograms
	// lastLag is the session clock's time, unix ns, of the latest lag
	// sample: see lagSampleInterval. Written by the socket reader only.
	lastLag atomic.Int64
}

// lagSampleInterval is the least time between two lag samples of one
// session. An SDK histogram sample costs 100–300 ns, a tenth of what the
// session spends on a push in a flood (BENCHMARKS.md, observability), so a
// flood is sampled ten times a second while a meeting's usual pace (a few
// pushes a second) is recorded push by push.
const lagSampleInterval = 100 * time.Millisecond

// Observer returns the callbacks that record one session's measurements;
// set it as the session's connector.Config.Observer. conferenceID is the
// session's meeting, recorded only with Config.PerConference. The session
// counts as connecting from this call until it stops; use one Observer per
// session.
func (m *Metrics) Observer(conferenceID string) *connector.Observer {
	base := m.conferenceSet(conferenceID)
	s := &session{
		m: m, conference: conferenceID,
		base:   []metric.AddOption{metric.WithAttributeSet(base)},
		record: []metric.RecordOption{metric.WithAttributeSet(base)},
	}
	s.state.Store(int32(connector.StateConnecting))
	m.mu.Lock()
	s.counts = m.countsOf(conferenceID)
	m.sessions[s] = struct{}{}
	m.mu.Unlock()
	return &connector.Observer{
		StateChanged:   s.stateChanged,
		Retrying:       s.retrying,
		WSTokenFetched: s.wsTokenFetched,
		PushReceived:   s.pushReceived,
		Dropped:        s.droppedPush,
		Resyncing:      s.resyncing,
		Resubscribed:   s.resubscribed,
	}
}

func (s *session) stateChanged(_, to connector.State) {
	s.state.Store(int32(to))
	if to == connector.StateStopped {
		s.m.mu.Lock()
		delete(s.m.sessions, s)
		s.m.mu.Unlock()
	}
}

func (s *session) retrying(f connector.Failure, delay time.Duration) {
	class := keyClass.String(f.Class.String())
	s.m.add(s.m.reconnects, s.conference, class, keyStage.String(string(f.Stage)))
	attrs := []attribute.KeyValue{class}
	if s.m.perConference {
		attrs = append(attrs, keyConference.String(s.conference))
	}
	s.m.delay.Record(context.Background(), delay.Seconds(), metric.WithAttributes(attrs...))
}

func (s *session) wsTokenFetched(err error, discarded bool) {
	outcome := "ok"
	switch {
	case err != nil:
		outcome = "error"
	case discarded:
		outcome = "discarded"
	}
	s.m.add(s.m.wsTokens, s.conference, keyOutcome.String(outcome))
}

// pushReceived is on the socket reader's path: an atomic add per push,
// a lag sample at most every lagSampleInterval, no allocation.
func (s *session) pushReceived(e *events.Push, lag time.Duration) {
	s.counts.received.add(e.Action)
	if e.CreateTime.IsZero() {
		return
	}
	now := e.CreateTime.Add(lag).UnixNano() // the session clock's, as lag is
	if last := s.lastLag.Load(); last != 0 && now-last < int64(lagSampleInterval) && now >= last {
		return
	}
	s.lastLag.Store(now)
	s.m.lag.Record(context.Background(), max(lag, 0).Seconds(), s.record...)
}

func (s *session) droppedPush(action string) { s.counts.dropped.add(action) }

// resyncing counts the resync; its reason is free text and stays out.
func (s *session) resyncing(string) {
	s.m.resyncs.Add(context.Background(), 1, s.base...)
}

func (s *session) resubscribed(blind time.Duration, resync bool) {
	attrs := []attribute.KeyValue{keyResync.String(strconv.FormatBool(resync))}
	if s.m.perConference {
		attrs = append(attrs, keyConference.String(s.conference))
	}
	s.m.blind.Record(context.Background(), blind.Seconds(), metric.WithAttributes(attrs...))
}
