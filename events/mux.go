package events

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
)

// defaultMuxQueue is the queue length used when HandlerOptions.Queue sets
// none.
const defaultMuxQueue = 256

// OverflowPolicy says what Mux.HandleEvent does with an event when a
// handler's queue is full.
type OverflowPolicy int

const (
	// Block makes HandleEvent wait for room in the handler's queue, which
	// slows the session down to the handler's pace (backpressure). When
	// HandleEvent's ctx is done first, the event is dropped for that
	// handler and counted in HandlerStats.Dropped. Block is the default.
	//
	// A handler that feeds its own Mux under Block must pass a ctx that
	// ends: once its queue is full, HandleEvent would wait for itself.
	Block OverflowPolicy = iota
	// DropOldest discards the oldest queued event to make room, counting
	// it in HandlerStats.Dropped. HandleEvent never waits.
	DropOldest
	// DropNewest discards the incoming event, counting it in
	// HandlerStats.Dropped. HandleEvent never waits.
	DropNewest
)

// String returns "block", "drop-oldest" or "drop-newest".
func (p OverflowPolicy) String() string {
	switch p {
	case Block:
		return "block"
	case DropOldest:
		return "drop-oldest"
	case DropNewest:
		return "drop-newest"
	}
	return "overflow(" + strconv.Itoa(int(p)) + ")"
}

// HandlerOptions configures one registration. The zero value is valid.
type HandlerOptions struct {
	// Name identifies the handler in log records, Close errors and stats.
	// Empty means the registered action, or "*" for HandleAll.
	Name string
	// Queue is the most events that may wait for the handler. Zero or
	// less means 256.
	Queue int
	// QueueBytes bounds the frame bytes of the pushes waiting (the frames
	// they were decoded from, whether or not Push.Raw kept them)
	// for the handler, with the same Overflow policy as Queue, so that a
	// slow handler behind large pushes cannot hold Queue × the frame size.
	// One push alone is always taken. Zero means 64 MiB; less than zero,
	// no byte bound.
	QueueBytes int64
	// Overflow is what HandleEvent does when the queue is full. The zero
	// value is Block; values other than the three policies act as Block.
	Overflow OverflowPolicy
}

// HandlerStats is a snapshot of one registration's counters. Every event
// offered to the handler ends up in exactly one of Delivered, Dropped or
// Abandoned, or is still Queued or being handled.
type HandlerStats struct {
	// Name is HandlerOptions.Name or its default.
	Name string
	// Action is the action given to Handle, or "" for a HandleAll or
	// HandleLifecycle registration.
	Action string
	// Overflow is the registration's overflow policy.
	Overflow OverflowPolicy
	// Queued is the number of events waiting now, not counting one the
	// handler is running on.
	Queued int
	// Capacity is the most events that may be queued.
	Capacity int
	// Delivered counts handler calls that have returned, including those
	// that panicked.
	Delivered uint64
	// Dropped counts events the handler will never see because of the
	// overflow policy, because HandleEvent's ctx ended while waiting under
	// Block, or because they arrived while the registration was closing.
	Dropped uint64
	// Abandoned counts queued events discarded because Close's ctx ended
	// before the handler got to them.
	Abandoned uint64
	// Panics counts handler calls that panicked.
	Panics uint64
}

// Mux is an events.Handler that fans each event out to the handlers
// registered for its action. Each registration has its own bounded queue
// and its own goroutine, so a handler sees its events in the order
// HandleEvent received them, and a slow handler holds up HandleEvent only
// under the Block policy.
//
// Pushes go to the handlers registered with Handle or On for their action
// and to every HandleAll handler; lifecycle events go to the handlers
// registered with HandleLifecycle and to every HandleAll handler.
//
// Handlers are called with a context of their own, not HandleEvent's (the
// call happens after HandleEvent has returned). That context is cancelled
// when Close or Registration.Close gives up waiting, so a handler that
// honours it lets Close finish promptly.
//
// Several sessions may share one Mux: every method is safe for concurrent
// use, and each session's events keep their order per handler. Create a
// Mux with NewMux; the zero Mux is not usable. Close it to stop its
// goroutines.
type Mux struct {
	log *slog.Logger

	// table is the immutable route table HandleEvent reads without
	// locking; registration changes replace it under mu.
	table atomic.Pointer[muxTable]
	// closed is set once Close begins; HandleEvent ignores events after.
	closed atomic.Bool

	unrouted atomic.Uint64

	mu     sync.Mutex      // guards routes and writes of table and closed
	routes []*Registration // live registrations, in registration order
}

var _ Handler = (*Mux)(nil)

// muxTable maps an action to its registrations. It is never modified once
// published, so the hot path shares it without copying or locking.
type muxTable struct {
	byAction  map[string][]*Registration
	lifecycle []*Registration
	all       []*Registration
}

// NewMux returns a Mux with no registrations. log receives handler panics
// (Error, with the stack) and events abandoned at Close (Warn); nil
// discards them.
func NewMux(log *slog.Logger) *Mux {
	m := &Mux{log: log}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	m.table.Store(&muxTable{})
	return m
}

// HandleEvent queues e for every handler that wants it and returns. Under
// the Block policy it waits for room in a full queue, giving up for that
// handler when ctx is done; ctx is used for nothing else. After Close has
// begun, HandleEvent discards e. HandleEvent does not allocate.
func (m *Mux) HandleEvent(ctx context.Context, e Event) {
	if m.closed.Load() {
		return
	}
	t := m.table.Load()
	var routes []*Registration
	switch ev := e.(type) {
	case nil:
		return
	case *Push:
		if ev == nil {
			return
		}
		routes = t.byAction[ev.Action]
	default:
		routes = t.lifecycle
	}
	if len(routes) == 0 && len(t.all) == 0 {
		m.unrouted.Add(1)
		return
	}
	for _, r := range routes {
		r.offer(ctx, e)
	}
	for _, r := range t.all {
		r.offer(ctx, e)
	}
}

// Handle registers h for the pushes whose Action is action and starts its
// goroutine. Several handlers may share an action; each gets every event.
//
// Handle may be called before or while events flow; h receives the events
// HandleEvent accepts from then on. On a closed Mux it returns a
// Registration that is already closed and never receives anything.
// Handle panics if action is empty or h is nil, as those are programming
// errors.
func (m *Mux) Handle(action string, h Handler, opts HandlerOptions) *Registration {
	if action == "" {
		panic("events: handle: empty action (use HandleAll for every event)")
	}
	return m.register(action, h, opts)
}

// HandleLifecycle registers h for the lifecycle events (*Subscribed,
// *Disconnected, *Resubscribed) and nothing else. Otherwise it behaves as
// Handle.
//
// A handler that needs lifecycle events in order with pushes registers
// with HandleAll: each registration has one queue, so only a single
// registration sees both kinds in the order the session produced them.
func (m *Mux) HandleLifecycle(h Handler, opts HandlerOptions) *Registration {
	return m.register(routeLifecycle, h, opts)
}

// routeLifecycle is the route of HandleLifecycle's registrations. No push
// reaches it, whatever its action: pushes are routed through byAction.
const routeLifecycle = "\x00lifecycle"

// HandleAll registers h for every event: all pushes, whatever their
// action, and the lifecycle events, in the order HandleEvent received
// them. Otherwise it behaves as Handle.
func (m *Mux) HandleAll(h Handler, opts HandlerOptions) *Registration {
	return m.register("", h, opts)
}

func (m *Mux) register(action string, h Handler, opts HandlerOptions) *Registration {
	if h == nil {
		panic("events: handle: nil handler")
	}
	r := &Registration{
		mux:      m,
		name:     opts.Name,
		action:   action,
		h:        h,
		policy:   opts.Overflow,
		stopping: make(chan struct{}),
		wake:     make(chan struct{}, 1),
		space:    make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
	if r.name == "" {
		switch action {
		case "":
			r.name = "*"
		case routeLifecycle:
			r.name = "lifecycle"
		default:
			r.name = action
		}
	}
	size := opts.Queue
	if size <= 0 {
		size = defaultMuxQueue
	}
	r.q = newMuxRing(size, opts.QueueBytes)
	r.ctx, r.cancel = context.WithCancel(context.Background())

	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed.Load() {
		// The Mux will never start or join a goroutine again, so the
		// registration is born closed.
		r.closing = true
		close(r.stopping)
		close(r.done)
		r.cancel()
		return r
	}
	m.routes = append(m.routes, r)
	m.publishLocked()
	go r.run()
	return r
}

// publishLocked rebuilds the route table from m.routes. m.mu must be held.
func (m *Mux) publishLocked() {
	t := &muxTable{byAction: make(map[string][]*Registration)}
	for _, r := range m.routes {
		switch r.action {
		case "":
			t.all = append(t.all, r)
		case routeLifecycle:
			t.lifecycle = append(t.lifecycle, r)
		default:
			t.byAction[r.action] = append(t.byAction[r.action], r)
		}
	}
	m.table.Store(t)
}

// remove unlinks r so that HandleEvent stops offering it events.
func (m *Mux) remove(r *Registration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if i := slices.Index(m.routes, r); i >= 0 {
		m.routes = slices.Delete(m.routes, i, i+1)
		m.publishLocked()
	}
}

// Close stops accepting events, lets every handler work through its queue
// and waits for the handler goroutines to exit, or for ctx to be done.
//
// When ctx ends first, Close discards the events still queued (counted in
// HandlerStats.Abandoned), cancels the handlers' context, joins every
// goroutine that is not inside its handler, and returns an error wrapping
// ctx.Err() (context.DeadlineExceeded for a deadline) that gives the
// number of abandoned events and the names of the handlers still running.
// The goroutine of such a handler exits as soon as the handler returns;
// call Close again to wait for it. Close returns nil once every goroutine
// has exited with nothing abandoned by this call.
//
// Close is safe to call concurrently with every other method and more
// than once. A handler that calls Close waits for its own goroutine, so
// that call returns only when ctx ends.
func (m *Mux) Close(ctx context.Context) error {
	m.mu.Lock()
	m.closed.Store(true)
	routes := slices.Clone(m.routes)
	m.mu.Unlock()

	// Stop every registration before waiting for any, so that all of them
	// drain at the same time within the one deadline.
	for _, r := range routes {
		r.stop()
	}
	var abandoned int
	var stuck []string
	for _, r := range routes {
		a, s := r.wait(ctx)
		abandoned += a
		if s {
			stuck = append(stuck, r.name)
		}
	}
	return m.closeErr(ctx, "close", abandoned, stuck)
}

// closeErr builds the error of a Close that gave up; it returns nil when
// nothing was abandoned and no handler is left running.
func (m *Mux) closeErr(ctx context.Context, op string, abandoned int, stuck []string) error {
	if abandoned == 0 && len(stuck) == 0 {
		return nil
	}
	m.log.Warn("events: mux closed before its handlers finished",
		"abandoned", abandoned, "running", stuck)
	return fmt.Errorf("events: %s: %d queued event(s) abandoned, handler(s) still running: %q: %w",
		op, abandoned, stuck, ctx.Err())
}

// Stats returns a snapshot of every live registration's counters (not
// those removed with Registration.Close), in registration order.
func (m *Mux) Stats() []HandlerStats {
	m.mu.Lock()
	routes := slices.Clone(m.routes)
	m.mu.Unlock()
	s := make([]HandlerStats, 0, len(routes))
	for _, r := range routes {
		s = append(s, r.Stats())
	}
	return s
}

// Unrouted counts the events HandleEvent accepted that no registration
// wanted.
func (m *Mux) Unrouted() uint64 { return m.unrouted.Load() }

// On registers fn for the pushes whose payload is a T, with Handle and the
// action T is decoded from (ActionParticipants for *ParticipantsNotify,
// and so on). fn receives the push and its decoded payload. A push of that
// action whose Payload is not a T (nil, or a Push built by hand with
// another payload) is logged at Warn and skipped; it still counts as
// delivered.
//
// On panics if fn is nil, as Handle does for a nil handler.
func On[T Payload](m *Mux, fn func(ctx context.Context, p *Push, payload T), opts HandlerOptions) *Registration {
	if fn == nil {
		panic("events: on: nil func")
	}
	var zero T
	h := HandlerFunc(func(ctx context.Context, e Event) {
		// Handle routes only pushes of the action here, so e is a *Push.
		p := e.(*Push)
		v, ok := p.Payload.(T)
		if !ok {
			m.log.Warn("events: push payload does not match its action; skipped",
				"action", p.Action, "msg_id", p.MsgID, "payload", fmt.Sprintf("%T", p.Payload))
			return
		}
		fn(ctx, p, v)
	})
	return m.Handle(zero.action(), h, opts)
}
