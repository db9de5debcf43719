package connector

import (
	"context"
	"sync"

	"github.com/confwatch/confwatch/events"
)

// queue carries events from the socket reader (and the supervisor) to the
// dispatcher goroutine. Pushes are bounded: put never waits, so the reader
// never waits on user code. Lifecycle events bypass the bound because
// losing one would leave a handler with a wrong picture of the link.
type queue struct {
	mu     sync.Mutex
	items  []events.Event
	limit  int
	closed bool
	ready  chan struct{} // capacity 1: "items or closed changed"
}

func newQueue(limit int) *queue {
	return &queue{limit: limit, ready: make(chan struct{}, 1)}
}

// put appends e. A push is refused (false) when limit pushes are waiting
// or the queue is closed.
func (q *queue) put(e events.Event, force bool) bool {
	q.mu.Lock()
	if q.closed || (!force && len(q.items) >= q.limit) {
		q.mu.Unlock()
		return false
	}
	q.items = append(q.items, e)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return true
}

// close stops further puts; take returns the remaining items, then done.
func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// len returns how many events wait.
func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// take returns the waiting events, handing buf (emptied) to the queue for
// reuse, or reports done when the queue is closed and empty.
func (q *queue) take(buf []events.Event) ([]events.Event, bool) {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			out := q.items
			q.items = buf[:0]
			q.mu.Unlock()
			return out, true
		}
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return buf[:0], false
		}
		<-q.ready
	}
}

// dispatch calls h for every event of q, in order, until q is closed and
// drained. It is the only goroutine that runs user code.
func dispatch(ctx context.Context, q *queue, h events.Handler) {
	var buf []events.Event
	for {
		var ok bool
		buf, ok = q.take(buf)
		if !ok {
			return
		}
		for i, e := range buf {
			h.HandleEvent(ctx, e)
			buf[i] = nil
		}
	}
}
