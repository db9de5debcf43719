package events

// muxRing is the bounded FIFO behind one Mux registration. Its buffer is
// allocated once, at registration, so that queueing an event never
// allocates.
//
// muxRing is not safe for concurrent use; the owning Registration guards it
// with its mutex.
type muxRing struct {
	buf      []Event
	head     int   // index of the oldest event
	n        int   // number of queued events
	bytes    int64 // frame bytes of the queued pushes
	maxBytes int64 // 0: no byte bound
}

// defaultQueueBytes is HandlerOptions.QueueBytes' default.
const defaultQueueBytes = 64 << 20

// newMuxRing returns an empty ring holding at most size events (size must
// be at least 1) and, unless maxBytes < 0, at most maxBytes frame bytes
// (0 means defaultQueueBytes).
func newMuxRing(size int, maxBytes int64) muxRing {
	switch {
	case maxBytes == 0:
		maxBytes = defaultQueueBytes
	case maxBytes < 0:
		maxBytes = 0
	}
	return muxRing{buf: make([]Event, size), maxBytes: maxBytes}
}

// frameBytes is what e counts against the byte bound: the frame it was
// decoded from, whether or not Raw kept it.
func frameBytes(e Event) int64 {
	if p, ok := e.(*Push); ok {
		return int64(max(len(p.Raw), p.frameLen))
	}
	return 0
}

// len returns the number of queued events.
func (q *muxRing) len() int { return q.n }

// push appends e and reports whether there was room for it.
func (q *muxRing) push(e Event) bool {
	size := frameBytes(e)
	if q.n == len(q.buf) || (q.maxBytes > 0 && q.n > 0 && q.bytes+size > q.maxBytes) {
		return false
	}
	q.bytes += size
	i := q.head + q.n
	if i >= len(q.buf) {
		i -= len(q.buf)
	}
	q.buf[i] = e
	q.n++
	return true
}

// pop removes and returns the oldest event, or nil when the ring is empty.
func (q *muxRing) pop() Event {
	if q.n == 0 {
		return nil
	}
	e := q.buf[q.head]
	q.bytes -= frameBytes(e)
	// Clear the slot so that a delivered event can be collected even while
	// the ring stays idle for a long time.
	q.buf[q.head] = nil
	q.head++
	if q.head == len(q.buf) {
		q.head = 0
	}
	q.n--
	return e
}

// clear discards every queued event and returns how many there were.
func (q *muxRing) clear() int {
	n := q.n
	for q.n > 0 {
		q.pop()
	}
	q.head = 0
	return n
}
