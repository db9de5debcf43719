package connector

import (
	"time"

	"github.com/confwatch/confwatch/events"
)

// Observer is told what a session does as it happens, so that an adapter
// (metrics, traces, a log of its own) follows every transition, retry and
// push without polling Stats and without missing what happens between two
// polls. Set it as Config.Observer; a nil Observer, or a nil field, costs
// nothing: the session checks for nil and computes nothing for it.
//
// Every callback is optional and runs on one of the session's own
// goroutines: StateChanged, Retrying, WSTokenFetched and Resyncing on
// Run's (in the order things happen), PushReceived, Dropped and
// Resubscribed on the socket reader's. So a callback must return quickly
// (update a counter, set an atomic), must not block, and must not call
// Run; it may call Stats and State. Arguments are valid only during the
// call. None of them carries a secret: error text in a Failure has been
// scrubbed like Stats.LastError.
//
// A struct of functions rather than an interface, like
// net/http/httptrace.ClientTrace: an adapter sets what it needs, and a
// callback added here later breaks no implementation.
type Observer struct {
	// StateChanged reports a transition. The first state, StateConnecting,
	// is not reported: a session starts in it.
	StateChanged func(from, to State)
	// Retrying reports a failed attempt or a lost link that the session
	// will retry after delay (Failure.Class says why it waits, Stage
	// where it failed). A failure that stops the session is not reported
	// here: StateChanged to StateStopped follows, and Run returns it.
	Retrying func(f Failure, delay time.Duration)
	// WSTokenFetched reports each ws-token call of an attempt: err is the
	// token source's error, nil when a token came; discarded says that
	// the token came too old to dial with (Config.TokenMargin) and was
	// thrown away.
	WSTokenFetched func(err error, discarded bool)
	// PushReceived reports a push as the reader decoded it, before it is
	// queued for the handler. lag is when its last byte arrived (on the
	// session's clock) minus e.CreateTime: the server's clock against ours,
	// so it can be negative, and it is meaningless when e.CreateTime is zero
	// (the push carried none). e must not be modified or retained.
	PushReceived func(e *events.Push, lag time.Duration)
	// Dropped reports a push (action is its Action) dropped because the
	// handler's queue was full; a resync follows.
	Dropped func(action string)
	// Resyncing reports a live link closed on purpose to get fresh
	// snapshots; reason is the one given to Session.Resync.
	Resyncing func(reason string)
	// Resubscribed reports a Subscribe accepted after a lost link or a
	// resync: blind is how long no push could be received (as
	// events.Resubscribed.Blind), resync whether it was on purpose.
	Resubscribed func(blind time.Duration, resync bool)
}

// clone returns a copy of o, so that a caller changing its Observer after
// New does not race with the session's goroutines.
func (o *Observer) clone() *Observer {
	if o == nil {
		return nil
	}
	c := *o
	return &c
}

// The helpers below are what the session calls: each checks for nil, so a
// session without an observer pays one comparison per call site.

func (o *Observer) stateChanged(from, to State) {
	if o != nil && o.StateChanged != nil {
		o.StateChanged(from, to)
	}
}

func (o *Observer) retrying(f *Failure, delay time.Duration) {
	if o != nil && o.Retrying != nil {
		o.Retrying(*f, delay)
	}
}

func (o *Observer) wsTokenFetched(err error, discarded bool) {
	if o != nil && o.WSTokenFetched != nil {
		o.WSTokenFetched(err, discarded)
	}
}

// pushReceived reports p, whose last byte arrived at arrived (unix ns on
// the session's clock: the reader records it anyway, so the hot path reads
// no clock for the observer).
func (o *Observer) pushReceived(p *events.Push, arrived int64) {
	if o != nil && o.PushReceived != nil {
		o.PushReceived(p, time.Unix(0, arrived).Sub(p.CreateTime))
	}
}

func (o *Observer) dropped(p *events.Push) {
	if o != nil && o.Dropped != nil {
		o.Dropped(p.Action)
	}
}

func (o *Observer) resyncing(reason string) {
	if o != nil && o.Resyncing != nil {
		o.Resyncing(reason)
	}
}

// resubscribed reports an acceptance at at, announced as a; the first
// Subscribe (no blind window) is not reported.
func (o *Observer) resubscribed(a announcement, at time.Time) {
	if o != nil && o.Resubscribed != nil && !a.blindFrom.IsZero() {
		o.Resubscribed(at.Sub(a.blindFrom), a.resync)
	}
}
