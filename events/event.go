package events

import (
	"context"
	"strconv"
	"time"
)

// Mode says whether a push is a full snapshot or a delta.
type Mode int

// Push modes, as sent in the envelope's msgMode.
const (
	// ModeFull is a full snapshot of the push type's state: it replaces
	// whatever the client held for that type. Its Version is a ms timestamp.
	ModeFull Mode = 0
	// ModeDelta is an incremental change. Its Version is a per-type counter
	// that grows by one per delta.
	ModeDelta Mode = 1
)

func (m Mode) String() string {
	switch m {
	case ModeFull:
		return "full"
	case ModeDelta:
		return "delta"
	}
	return "mode(" + strconv.Itoa(int(m)) + ")"
}

// Push is one server push (any "...Notify" action).
//
// A Push is immutable once decoded and may be shared between goroutines
// and handlers; handlers must not modify it, its Payload or Raw.
type Push struct {
	// Action is the push type, e.g. "ParticipantsNotify".
	Action string
	// Version is a ms timestamp for full snapshots and a per-type counter
	// for deltas; the two must never be compared with each other.
	Version int64
	// CreateTime is when the server made the push (sent as epoch ms).
	CreateTime time.Time
	// MsgID identifies the push; duplicates carry the same MsgID.
	MsgID string
	// Mode is ModeFull or ModeDelta.
	Mode Mode
	// ConfID is the meeting the push belongs to.
	ConfID string
	// Payload is the typed payload, a pointer to the struct named after the
	// action (*ParticipantsNotify for "ParticipantsNotify", ...), or nil for
	// an action this package does not know; Raw still holds such a frame.
	Payload Payload
	// Raw is the whole frame exactly as received, when kept: a
	// connector.Session keeps it for actions this package does not know,
	// and for every push with connector.Config.KeepRaw; otherwise it is
	// nil. A kept Raw is the push's own copy, never a buffer the session
	// reuses.
	Raw []byte

	// frameLen is the length of the frame Decode read, which Raw need not
	// keep: what the push counts against HandlerOptions.QueueBytes.
	frameLen int
}

// Event is one item of the ordered stream a session delivers to its
// handler: a *Push, or a lifecycle event (*Subscribed, *Disconnected,
// *Resubscribed).
type Event interface{ event() }

// Subscribed is delivered once, when the first Subscribe of a session is
// accepted. The server's full snapshots follow it.
type Subscribed struct {
	// At is when the Subscribe reply arrived.
	At time.Time
}

// Disconnected is delivered when a live (subscribed) link is lost. Pushes
// sent after Disconnected.At and before the next Resubscribed were missed;
// the snapshots after Resubscribed repair the state.
type Disconnected struct {
	// At is when the link was found lost.
	At time.Time
	// Err says why. It never contains a secret.
	Err error
	// Class is the failure class the session decided on (for example
	// "retry" or "reauth"); see connector.Class.
	Class string
}

// Resubscribed is delivered when a Subscribe is accepted again after a
// Disconnected or a resync. Fresh full snapshots of every subscribed type
// follow it; compare them with what was known before to learn what changed
// while blind.
type Resubscribed struct {
	// BlindFrom is when the previous link was lost (or the resync began).
	BlindFrom time.Time
	// BlindTo is when the new Subscribe was accepted.
	BlindTo time.Time
	// Resync is true when the session reconnected on purpose (a version
	// gap or a requested resync) rather than after a failure.
	Resync bool
}

// Blind returns how long no push could be received.
func (r *Resubscribed) Blind() time.Duration { return r.BlindTo.Sub(r.BlindFrom) }

func (*Push) event()         {}
func (*Subscribed) event()   {}
func (*Disconnected) event() {}
func (*Resubscribed) event() {}

// Handler receives a session's events in order. HandleEvent is called from
// one goroutine at a time. ctx is the session's context; a handler that
// blocks should give up when it is done.
type Handler interface {
	HandleEvent(ctx context.Context, e Event)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, e Event)

// HandleEvent calls f(ctx, e).
func (f HandlerFunc) HandleEvent(ctx context.Context, e Event) { f(ctx, e) }
