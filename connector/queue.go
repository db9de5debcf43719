package connector

import (
	"context"
	"sync"
	"sync/atomic"

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
	items      []item
	spare      []item // the drained batch's slice, for reuse
	limit      int
	bytesLimit int64
	// bytes counts the frame bytes of the pushes waiting. It is an atomic
	// so that the dispatcher takes no lock per event it hands on; put
	// reads it under mu, so a put may see a count one decrement late,
	// which errs on the side of the bound.
	bytes   atomic.Int64
	closed  bool
	running bool
	wg      sync.WaitGroup // the running dispatcher, if any
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

// item is one waiting event and the frame bytes it counts against
// bytesLimit (0 for lifecycle events). The size travels with the event
// because a decoded push need not keep its frame (Config.KeepRaw).
type item struct {
	e events.Event
	n int64
}

// itemSlices recycles the queues' slices across a process's sessions, so
// that an idle queue holds none and a busy one does not grow new ones for
// every burst. Slices that grew past maxPooledItems are left to the
// garbage collector.
var itemSlices sync.Pool

const maxPooledItems = 1024

func getItems() []item {
	if p, ok := itemSlices.Get().(*[]item); ok {
		return (*p)[:0]
	}
	return make([]item, 0, 16)
}

func putItems(s []item) {
	if s != nil && cap(s) <= maxPooledItems {
		s = s[:0]
		itemSlices.Put(&s)
	}
}

// put appends a push whose frame had n bytes. It is refused (false) when
// limit events, or bytesLimit bytes of pushes, are waiting (one push alone
// may exceed bytesLimit: a queue that waits for nothing takes it), or once
// the queue is closed.
func (q *queue) put(p *events.Push, n int64) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if held := q.bytes.Load(); q.closed || len(q.items) >= q.limit || (held > 0 && held+n > q.bytesLimit) {
		return false
	}
	q.bytes.Add(n)
	q.append(item{p, n})
	return true
}

// lifecycle appends a lifecycle event, which no bound refuses: losing one
// would leave the handler with a wrong picture of the link. Only a closed
// queue refuses it.
func (q *queue) lifecycle(e events.Event) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.closed {
		q.append(item{e, 0})
	}
}

// append adds it and starts a dispatcher when none runs. q.mu is held.
func (q *queue) append(it item) {
	if q.items == nil {
		q.items = getItems()
	}
	q.items = append(q.items, it)
	if !q.running {
		q.running = true
		q.wg.Add(1)
		go q.dispatch()
	}
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
func (q *queue) held() int64 { return q.bytes.Load() }

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
			// An idle session keeps no slices either: they go back to
			// the pool the process's queues share.
			q.running = false
			putItems(q.items)
			putItems(q.spare)
			q.items, q.spare = nil, nil
			q.mu.Unlock()
			return
		}
		q.items, q.spare = q.spare[:0], nil
		q.mu.Unlock()
		for i, it := range batch {
			q.h.HandleEvent(q.ctx, it.e)
			batch[i] = item{}
			if it.n > 0 {
				q.bytes.Add(-it.n)
			}
		}
		q.mu.Lock()
		if q.spare == nil {
			q.spare = batch[:0]
		}
		q.mu.Unlock()
	}
}
