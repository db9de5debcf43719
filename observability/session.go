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

// otherAction is confwatch.action for a push whose action package events
// does not know: a server cannot add series by inventing actions.
const otherAction = "other"

// actionOptions are the measurement options of each known action, built
// once so that counting a push allocates nothing.
type actionOptions struct {
	known map[string][]metric.AddOption
	other []metric.AddOption
}

func newActionOptions(base attribute.Set) actionOptions {
	with := func(action string) []metric.AddOption {
		kv := append(base.ToSlice(), keyAction.String(action))
		return []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(kv...))}
	}
	a := actionOptions{known: map[string][]metric.AddOption{}, other: with(otherAction)}
	for _, act := range events.KnownActions() {
		a.known[act] = with(act)
	}
	return a
}

func (a *actionOptions) of(action string) []metric.AddOption {
	if o, ok := a.known[action]; ok {
		return o
	}
	return a.other
}

// session is what Metrics knows of one session: its state, for the state
// instrument and Ready, and its precomputed measurement options.
type session struct {
	m          *Metrics
	conference string
	state      atomic.Int32 // a connector.State

	actions actionOptions
	base    []metric.AddOption    // the conference attribute, or none
	record  []metric.RecordOption // the same, for histograms
}

// Observer returns the callbacks that record one session's measurements;
// set it as the session's connector.Config.Observer. conferenceID is the
// session's meeting, recorded only with Config.PerConference. The session
// counts as connecting from this call until it stops; use one Observer per
// session.
func (m *Metrics) Observer(conferenceID string) *connector.Observer {
	base := m.conferenceSet(conferenceID)
	s := &session{
		m: m, conference: conferenceID, actions: m.actions,
		base:   []metric.AddOption{metric.WithAttributeSet(base)},
		record: []metric.RecordOption{metric.WithAttributeSet(base)},
	}
	if m.perConference {
		s.actions = newActionOptions(base)
	}
	s.state.Store(int32(connector.StateConnecting))
	m.mu.Lock()
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

// pushReceived is on the socket reader's path: it allocates nothing.
func (s *session) pushReceived(e *events.Envelope, lag time.Duration) {
	ctx := context.Background()
	s.m.received.Add(ctx, 1, s.actions.of(e.Action)...)
	if !e.CreateTime.IsZero() {
		s.m.lag.Record(ctx, max(lag, 0).Seconds(), s.record...)
	}
}

func (s *session) droppedPush(action string) {
	s.m.dropped.Add(context.Background(), 1, s.actions.of(action)...)
}

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
