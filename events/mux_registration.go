package events

import (
	"context"
	"fmt"
	"runtime/debug"
	"strconv"
	"sync"
)

// Registration is one handler registered with a Mux, with its queue and
// its goroutine. Its methods are safe for concurrent use.
type Registration struct {
	mux    *Mux
	name   string
	action string // "" for HandleAll, routeLifecycle for HandleLifecycle
	h      Handler
	policy OverflowPolicy

	// ctx is what the handler is called with; cancel ends it when a Close
	// gives up on the handler, and when the goroutine exits.
	ctx    context.Context
	cancel context.CancelFunc

	// stopping is closed when the registration stops accepting events; it
	// wakes blocked producers and the idle worker.
	stopping chan struct{}
	// wake carries one token to the worker when it is idle and an event
	// arrives. Buffered so that the producer never waits.
	wake chan struct{}
	// space carries one token to producers blocked on a full queue when
	// the worker takes an event. Buffered, and passed on by the producer
	// that used it, so that no wakeup is lost and none allocates.
	space chan struct{}
	// done is closed when the worker goroutine has exited.
	done chan struct{}

	mu        sync.Mutex // guards the fields below
	q         muxRing
	closing   bool // no longer accepting events
	idle      bool // the worker waits on wake
	busy      bool // the worker is inside h
	waiters   int  // producers waiting on space
	delivered uint64
	dropped   uint64
	abandoned uint64
	panics    uint64
}

// offer queues e according to the overflow policy; see OverflowPolicy.
func (r *Registration) offer(ctx context.Context, e Event) {
	r.mu.Lock()
	for {
		if r.closing {
			r.dropped++
			r.mu.Unlock()
			return
		}
		if r.q.push(e) {
			r.wakeLocked()
			if r.waiters > 0 && r.q.len() < len(r.q.buf) {
				// This producer may have consumed the only space token
				// while more than one slot was free: pass it on.
				r.signalSpaceLocked()
			}
			r.mu.Unlock()
			return
		}
		switch r.policy {
		case DropNewest:
			r.dropped++
			r.mu.Unlock()
			return
		case DropOldest:
			// Drop from the front until e fits (by count, one is enough;
			// by bytes, it may take more).
			for !r.q.push(e) && r.q.pop() != nil {
				r.dropped++
			}
			r.wakeLocked()
			r.mu.Unlock()
			return
		}
		r.waiters++
		r.mu.Unlock()
		select {
		case <-r.space:
		case <-r.stopping:
		case <-ctx.Done():
			r.mu.Lock()
			r.waiters--
			r.dropped++
			r.mu.Unlock()
			return
		}
		r.mu.Lock()
		r.waiters--
	}
}

// wakeLocked hands the idle worker a token. r.mu must be held.
func (r *Registration) wakeLocked() {
	if r.idle {
		r.idle = false
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}
}

// signalSpaceLocked tells one blocked producer that the queue has room.
// r.mu must be held.
func (r *Registration) signalSpaceLocked() {
	select {
	case r.space <- struct{}{}:
	default:
	}
}

// run is the registration's goroutine. It delivers queued events one at a
// time and exits once the registration is stopping and its queue is empty
// (drained, or cleared by a Close that gave up).
func (r *Registration) run() {
	defer close(r.done)
	defer r.cancel()
	defer r.exit()

	r.mu.Lock()
	for {
		for r.q.len() == 0 {
			if r.closing {
				r.mu.Unlock()
				return
			}
			r.idle = true
			r.mu.Unlock()
			select {
			case <-r.wake:
			case <-r.stopping:
			}
			r.mu.Lock()
			r.idle = false
		}
		e := r.q.pop()
		r.busy = true
		if r.waiters > 0 {
			r.signalSpaceLocked()
		}
		r.mu.Unlock()

		panicked := r.call(e)

		r.mu.Lock()
		r.busy = false
		r.delivered++
		if panicked {
			r.panics++
		}
	}
}

// exit leaves the registration stopped and empty. After a normal return it
// changes nothing; it matters when the handler ended the goroutine with
// runtime.Goexit, so that producers under Block are not left waiting and no
// event stays queued for a goroutine that is gone.
func (r *Registration) exit() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.closing {
		r.closing = true
		close(r.stopping)
	}
	if r.busy {
		// Only runtime.Goexit leaves the handler without clearing busy.
		r.busy = false
		r.delivered++
		r.mux.log.Error("events: handler ended its goroutine; it receives no more events",
			"handler", r.name)
	}
	r.abandoned += uint64(r.q.clear())
}

// call runs the handler on e, recovering a panic so that the handler keeps
// receiving the next events.
func (r *Registration) call(e Event) (panicked bool) {
	defer func() {
		if v := recover(); v != nil {
			panicked = true
			r.mux.log.Error("events: handler panicked",
				"handler", r.name, "event", muxEventName(e),
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		}
	}()
	r.h.HandleEvent(r.ctx, e)
	return false
}

// muxEventName names e for log records: its action, or its lifecycle type.
func muxEventName(e Event) string {
	switch ev := e.(type) {
	case *Push:
		return ev.Action
	case *Subscribed:
		return "Subscribed"
	case *Disconnected:
		return "Disconnected"
	case *Resubscribed:
		return "Resubscribed"
	}
	return fmt.Sprintf("%T", e)
}

// stop makes the registration refuse new events and wakes its waiters.
func (r *Registration) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.closing {
		r.closing = true
		close(r.stopping)
	}
}

// wait waits for the worker to exit or for ctx to be done. When ctx ends
// first it clears the queue, cancels the handler's context and, unless the
// worker is inside the handler, waits for it to exit, which is then
// immediate. It returns the number of events it discarded and whether the
// worker is still running.
func (r *Registration) wait(ctx context.Context) (abandoned int, running bool) {
	select {
	case <-r.done:
		return 0, false
	case <-ctx.Done():
	}
	r.mu.Lock()
	abandoned = r.q.clear()
	r.abandoned += uint64(abandoned)
	busy := r.busy
	r.mu.Unlock()
	r.cancel()
	if busy {
		return abandoned, true
	}
	<-r.done
	return abandoned, false
}

// Close removes the registration from its Mux: HandleEvent stops offering
// it events, and the handler works through the events already queued.
// Close waits for that as Mux.Close does, with the same treatment of ctx
// and the same errors, and may likewise be called again.
func (r *Registration) Close(ctx context.Context) error {
	r.mux.remove(r)
	r.stop()
	abandoned, running := r.wait(ctx)
	var stuck []string
	if running {
		stuck = []string{r.name}
	}
	return r.mux.closeErr(ctx, "close handler "+strconv.Quote(r.name), abandoned, stuck)
}

// Stats returns a snapshot of the registration's counters.
func (r *Registration) Stats() HandlerStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	action := r.action
	if action == routeLifecycle {
		action = ""
	}
	return HandlerStats{
		Name:      r.name,
		Action:    action,
		Overflow:  r.policy,
		Queued:    r.q.len(),
		Capacity:  len(r.q.buf),
		Delivered: r.delivered,
		Dropped:   r.dropped,
		Abandoned: r.abandoned,
		Panics:    r.panics,
	}
}
