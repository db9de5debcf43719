package fleetchaos_test

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/confwatch/confwatch/fleet"
	"github.com/confwatch/confwatch/internal/demo"
)

// sampleEvery is how often the socket sampler reads the fake's counters:
// the resolution of every socket time the tests report.
const sampleEvery = 5 * time.Millisecond

// gap is a stretch during which a meeting, once subscribed, had no
// subscribed socket. to is zero while it lasts.
type gap struct {
	id       string
	from, to time.Time
}

// socketWatch samples the fake's per-meeting sockets on its own goroutine
// and keeps, for each meeting, when its sockets last went to none and
// every gap without a subscribed socket.
type socketWatch struct {
	svc  *demo.Service
	stop chan struct{}
	done chan struct{}

	mu        sync.Mutex
	seen      map[string]bool      // subscribed at least once
	open      map[string]time.Time // meeting → start of its current gap
	lastClose map[string]time.Time // meeting → last time its live sockets went to 0
	live      map[string]int64
	gaps      []gap
}

func watchSockets(svc *demo.Service) *socketWatch {
	w := &socketWatch{svc: svc, stop: make(chan struct{}), done: make(chan struct{}),
		seen: map[string]bool{}, open: map[string]time.Time{}, lastClose: map[string]time.Time{}, live: map[string]int64{}}
	go w.run()
	return w
}

func (w *socketWatch) run() {
	defer close(w.done)
	t := time.NewTicker(sampleEvery)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
		}
		w.sample(time.Now(), w.svc.Counters())
	}
}

func (w *socketWatch) sample(now time.Time, c demo.Counters) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for id, m := range c.Meetings {
		if w.live[id] > 0 && m.LiveSockets == 0 {
			w.lastClose[id] = now
		}
		w.live[id] = m.LiveSockets
		from, inGap := w.open[id]
		switch {
		case m.Subscribed > 0 && inGap:
			w.gaps = append(w.gaps, gap{id: id, from: from, to: now})
			delete(w.open, id)
		case m.Subscribed > 0:
			w.seen[id] = true
		case w.seen[id] && !inGap:
			w.open[id] = now
		}
	}
}

func (w *socketWatch) close() {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
}

// closedAt returns when the meeting's sockets last went to none.
func (w *socketWatch) closedAt(id string) time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lastClose[id]
}

// gapsSince returns every gap that lasted past since, the ones still open
// ending at now.
func (w *socketWatch) gapsSince(since, now time.Time) []gap {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []gap
	for _, g := range w.gaps {
		if g.to.After(since) {
			out = append(out, g)
		}
	}
	for id, from := range w.open {
		out = append(out, gap{id: id, from: from, to: now})
	}
	return out
}

// leaseWatch follows the lease bucket from the observer connection and
// keeps, per meeting, the server's time stamp of the last write of each
// worker: that write's expiry is the stamp plus the lease.
type leaseWatch struct {
	cancel context.CancelFunc
	done   chan struct{}

	mu   sync.Mutex
	last map[string]map[string]time.Time // meeting → worker → stamp of its last put
}

func watchLeases(ctx context.Context, js jetstream.JetStream) (*leaseWatch, error) {
	kv, err := js.KeyValue(ctx, fleet.BucketLeases)
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithCancel(context.Background())
	kw, err := kv.WatchAll(wctx)
	if err != nil {
		cancel()
		return nil, err
	}
	lw := &leaseWatch{cancel: cancel, done: make(chan struct{}), last: map[string]map[string]time.Time{}}
	go func() {
		defer close(lw.done)
		defer kw.Stop()
		for {
			select {
			case <-wctx.Done():
				return
			case e, ok := <-kw.Updates():
				if !ok {
					return
				}
				lw.record(e)
			}
		}
	}()
	return lw, nil
}

func (lw *leaseWatch) record(e jetstream.KeyValueEntry) {
	if e == nil || e.Operation() != jetstream.KeyValuePut {
		return
	}
	var l fleet.Lease
	if json.Unmarshal(e.Value(), &l) != nil {
		return
	}
	lw.mu.Lock()
	defer lw.mu.Unlock()
	if lw.last[e.Key()] == nil {
		lw.last[e.Key()] = map[string]time.Time{}
	}
	lw.last[e.Key()][l.Worker] = e.Created()
}

// lastWrite returns the server's stamp of worker's last write on the
// meeting's lease.
func (lw *leaseWatch) lastWrite(id, worker string) time.Time {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return lw.last[id][worker]
}

func (lw *leaseWatch) close() {
	lw.cancel()
	<-lw.done
}
