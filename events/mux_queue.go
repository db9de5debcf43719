package events

// muxRing is the bounded FIFO behind one Mux registration. Its buffer is
// allocated once, at registration, so that queueing an event never
// allocates.
//
// muxRing is not safe for concurrent use; the owning Registration guards it
// with its mutex.
type muxRing struct {
	buf  []Event
	head int // index of the oldest event
	n    int // number of queued events
}

// newMuxRing returns an empty ring holding at most size events; size must
// be at least 1.
func newMuxRing(size int) muxRing {
	return muxRing{buf: make([]Event, size)}
}

// len returns the number of queued events.
func (q *muxRing) len() int { return q.n }

// push appends e and reports whether there was room for it.
func (q *muxRing) push(e Event) bool {
	if q.n == len(q.buf) {
		return false
	}
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
