package connector

import (
	"sync"
	"sync/atomic"
	"time"
)

// State is where a session is in its lifecycle.
type State int32

// Session states.
const (
	// StateConnecting: the first link is being set up.
	StateConnecting State = iota
	// StateSubscribed: a link is live and its Subscribe was accepted.
	StateSubscribed
	// StateReconnecting: a link was lost (or never came up) and the session
	// is waiting or redialing.
	StateReconnecting
	// StateStopped: Run has returned or is returning.
	StateStopped
)

func (s State) String() string {
	switch s {
	case StateConnecting:
		return "connecting"
	case StateSubscribed:
		return "subscribed"
	case StateReconnecting:
		return "reconnecting"
	case StateStopped:
		return "stopped"
	}
	return "unknown"
}

// Stats are a session's counters. Read them with Session.Stats.
type Stats struct {
	State           State
	Dials           int64 // WebSocket dials started
	TokenFetches    int64 // ws tokens obtained
	TokensDiscarded int64 // ws tokens thrown away as too old to dial with
	Subscribes      int64 // Subscribe replies with returnCode 0
	// Reconnects counts lost links and failed attempts by Class name.
	Reconnects     map[string]int64
	Resyncs        int64 // links closed on purpose to get fresh snapshots
	ResyncsLimited int64 // resync requests refused by MinResyncInterval
	FramesIn       int64
	BytesIn        int64
	Malformed      int64 // frames that did not decode (skipped)
	Binary         int64 // binary frames (skipped)
	Oversize       int64 // frames over ReadLimit (link ended)
	Dropped        int64 // pushes dropped because the handler queue was full
	QueueDepth     int   // events waiting for the handler now
	QueueBytes     int64 // frame bytes of the pushes waiting for the handler now
	HeartbeatsSent int64
	HeartbeatsEcho int64
	LastError      string // never contains a secret
	LastClass      string
	ConnectedSince time.Time // zero when not subscribed
	NextRetryAt    time.Time // zero when no retry is scheduled
}

// counters are updated by the supervisor (Run's goroutine) and the reader.
type counters struct {
	dials, tokenFetches, tokensDiscarded, subscribes atomic.Int64
	resyncs, resyncsLimited                          atomic.Int64
	framesIn, bytesIn, malformed, binary, oversize   atomic.Int64
	dropped, heartbeatsSent, heartbeatsEcho          atomic.Int64

	mu             sync.Mutex // guards the fields below
	reconnects     map[string]int64
	lastError      string
	lastClass      string
	connectedSince time.Time
	nextRetryAt    time.Time
}

// watch broadcasts state transitions: each call to changed returns a
// channel that is closed at the next transition. set is called from Run's
// goroutine alone, so obs sees the transitions in order although it is
// called outside the lock.
type watch struct {
	mu    sync.Mutex
	state State
	next  chan struct{}
	obs   *Observer
}

func newWatch(obs *Observer) *watch { return &watch{next: make(chan struct{}), obs: obs} }

func (w *watch) get() (State, <-chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.state, w.next
}

func (w *watch) set(s State) {
	w.mu.Lock()
	from := w.state
	if from != s {
		w.state = s
		close(w.next)
		w.next = make(chan struct{})
	}
	w.mu.Unlock()
	if from != s {
		w.obs.stateChanged(from, s)
	}
}
