package connector

import (
	"context"
	"sync"

	"github.com/confwatch/confwatch/events"
)

// queue carries events from the socket reader (and the supervisor) to the
// handler. Pushes are bounded: put never waits, so the reader never waits
// on user code. Lifecycle events bypass the bound because losing one would
// leave a handler with a wrong picture of the link.
//
// The goroutine that calls the handler exists only while events wait: put
// starts it when it finds none running, and it exits once the queue is
// empty. One at a time keeps the order; an idle session then holds no
// dispatcher stack (BENCHMARKS.md, memory).
//
// What waits is bounded by count (limit) and by the bytes of the pushes'
// frames (bytesLimit): a slow handler behind large pushes must not hold
// Queue × ReadLimit bytes.
type queue struct {
	ctx context.Context // handed to the handler; set by start
	h   events.Handler

	mu         sync.Mutex
	items      []events.Event
	spare      []events.Event // the drained batch's slice, for reuse
	limit      int
	bytesLimit int64
	bytes      int64 // frame bytes of the pushes waiting
	closed     bool
	running    bool
	wg         sync.WaitGroup // the running dispatcher, if any
}

func newQueue(limit int, bytesLimit int64) *queue {
	return &queue{limit: limit, bytesLimit: bytesLimit}
}

// start sets the handler; put may be called only after it.
func (q *queue) start(ctx context.Context, h events.Handler) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.ctx, q.h = ctx, h
}

// size is what e counts against bytesLimit.
func size(e events.Event) int64 {
	if p, ok := e.(*events.Push); ok {
		return int64(len(p.Raw))
	}
	return 0
}

// put appends e. A push is refused (false) when limit events, or
// bytesLimit bytes of pushes, are waiting (one push alone may exceed
// bytesLimit: a queue that waits for nothing takes it); anything is
// refused once the queue is closed.
func (q *queue) put(e events.Event, force bool) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := size(e)
	if q.closed || (!force && (len(q.items) >= q.limit || (q.bytes > 0 && q.bytes+n > q.bytesLimit))) {
		return false
	}
	q.bytes += n
	q.items = append(q.items, e)
	if !q.running {
		q.running = true
		q.wg.Add(1)
		go q.dispatch()
	}
	return true
}

// close refuses further puts; the dispatcher still delivers what waits.
func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
}

// wait returns once no dispatcher runs (after close: once all is
// delivered).
func (q *queue) wait() { q.wg.Wait() }

// held returns how many bytes of pushes wait.
func (q *queue) held() int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.bytes
}

// len returns how many events wait.
func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// dispatch calls the handler for every waiting event, in order, and exits
// when none is left. It is the only goroutine that runs user code.
func (q *queue) dispatch() {
	defer q.wg.Done()
	for {
		q.mu.Lock()
		batch := q.items
		if len(batch) == 0 {
			q.running = false
			q.mu.Unlock()
			return
		}
		q.items, q.spare = q.spare[:0], nil
		q.mu.Unlock()
		for i, e := range batch {
			q.h.HandleEvent(q.ctx, e)
			batch[i] = nil
			if n := size(e); n > 0 {
				q.mu.Lock()
				q.bytes -= n
				q.mu.Unlock()
			}
		}
		q.mu.Lock()
		if q.spare == nil {
			q.spare = batch[:0]
		}
		q.mu.Unlock()
	}
}
