package soak_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/confwatch/confwatch/clock"
	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/integration/fakemeeting"
	"github.com/confwatch/confwatch/integration/internal/pipeline"
)

// step is how far the fake clock moves per iteration: small against every
// timer that matters (heartbeat 60 s, read timeout 90 s, Subscribe timeout
// 10 s, idle timeout 180 s, ws token life 60 s), so no timer is jumped
// over by much.
const step = 5 * time.Second

// settleWait bounds how long, in real time, the driver waits for the
// system to go idle before it moves the clock anyway. Reaching it is not a
// failure: at worst a timer fires early relative to real work (a
// Subscribe timeout, a discarded ws token), which is one more fault the
// session must survive.
const settleWait = 2 * time.Second

// rearmWait bounds the real-time wait for fired timers to be re-armed. A
// timer that is not re-armed at all (a backoff sleep that ended, a socket
// closed for idleness) costs this much once.
const rearmWait = 20 * time.Millisecond

// sample is one reading of the process, taken while the session is
// subscribed and idle.
type sample struct {
	at         time.Duration // fake time since the start
	heap       uint64        // runtime HeapAlloc after a GC
	goroutines int
	roster     int // participants online
}

// driver plays the meeting and the faults on the fake clock.
type driver struct {
	t    *testing.T
	clk  *clock.Fake
	fake *fakemeeting.Server
	w    *pipeline.Watcher
	rng  *rand.Rand
	logs *tailBuffer

	start    time.Time
	pids     []string // online participants, kept in step with the fake
	waiting  []string // waiting-room members
	stalled  bool
	stallEnd time.Time

	// linkSubs and beatGap track heartbeats per link: the session's
	// counters are cumulative, and echoes lost with a dropped link would
	// otherwise look outstanding for ever.
	linkSubs int64
	beatGap  int64

	faults map[string]int
	deck   []int // kinds still to inject once, in order
	// resubAfter is the session's Subscribes count when the last
	// link-ending fault was injected (see fault).
	resubAfter int64
	authFaults int // faults that must cost one re-authentication each
	samples    []sample
}

// idle reports whether the system is waiting for the fake clock: either
// subscribed with no heartbeat echo outstanding and every event handled,
// or sleeping in backoff. An attempt in flight (token call, dial,
// Subscribe) is real-time work to wait for.
func (d *driver) idle() bool {
	st := d.w.Session.Stats()
	switch st.State {
	case connector.StateSubscribed:
		if st.Subscribes != d.linkSubs {
			// A new link: nothing was sent on it yet (the first beat comes
			// a heartbeat interval after the Subscribe), so whatever is
			// unanswered now was lost with an old link.
			d.linkSubs, d.beatGap = st.Subscribes, st.HeartbeatsSent-st.HeartbeatsEcho
		}
		return st.HeartbeatsSent-st.HeartbeatsEcho <= d.beatGap && d.w.Idle()
	case connector.StateStopped:
		return true
	}
	return !st.NextRetryAt.IsZero()
}

// settle waits (real time) until idle, at most settleWait. While the fake
// is stalled nothing can settle, so it does not wait.
func (d *driver) settle() {
	if d.stalled {
		return
	}
	deadline := time.Now().Add(settleWait)
	for !d.idle() && time.Now().Before(deadline) {
		time.Sleep(200 * time.Microsecond)
	}
}

// advance settles, moves the clock, and then gives the owners of the
// timers that fired a moment (rearmWait at most) to act and re-arm them,
// so the fake time cannot run away from the goroutines that live by it: a
// writer that has not yet sent its heartbeat when the clock moves on
// again would make the fake's idle timeout, or the session's watchdog,
// fire on a healthy link.
func (d *driver) advance(by time.Duration) {
	d.settle()
	armed := d.clk.Timers()
	d.clk.Advance(by)
	deadline := time.Now().Add(rearmWait)
	for d.clk.Timers() < armed && time.Now().Before(deadline) {
		time.Sleep(50 * time.Microsecond)
	}
}

func (d *driver) elapsed() time.Duration { return d.clk.Now().Sub(d.start) }

func (d *driver) pick() string { return d.pids[d.rng.IntN(len(d.pids))] }

// Roster bounds: the roster random-walks between them, so that neither the
// fake's view nor the client's picture has a reason to grow.
const (
	rosterLow  = 250
	rosterHigh = 350
)

// churn makes one random change.
func (d *driver) churn() {
	var err error
	switch op := d.rng.IntN(20); {
	case op < 6 && (len(d.pids) < rosterLow || len(d.pids) < rosterHigh && op < 3):
		var pid string
		pid, err = d.fake.Meeting().JoinOne(fakemeeting.Person{Name: fmt.Sprintf("Soak %d", d.rng.IntN(1e9)), Video: d.rng.IntN(2) == 0})
		d.pids = append(d.pids, pid)
	case op < 6:
		i := d.rng.IntN(len(d.pids))
		err = d.fake.Meeting().Leave(d.pids[i])
		d.pids = append(d.pids[:i], d.pids[i+1:]...)
	case op < 9:
		err = d.fake.Meeting().RaiseHand(d.pick(), d.rng.IntN(2) == 0)
	case op < 12:
		err = d.fake.Meeting().Mute(d.pick(), d.rng.IntN(2) == 0)
	case op < 14:
		a, b := d.pick(), d.pick()
		if a == b {
			err = d.fake.Meeting().Speakers(a)
		} else {
			err = d.fake.Meeting().Speakers(a, b)
		}
	case op == 14:
		err = d.fake.Meeting().Rename(d.pick(), fmt.Sprintf("Renamed %d", d.rng.IntN(1e9)))
	case op == 15:
		err = d.fake.Meeting().Share(d.pick(), d.rng.IntN(2) == 0)
	case op == 16:
		err = d.fake.Meeting().Speakers()
	case op == 17 && len(d.waiting) < 5:
		var pid string
		pid, err = d.fake.Meeting().WaitingRoomJoin(fakemeeting.Person{Name: fmt.Sprintf("Guest %d", d.rng.IntN(1e9))})
		d.waiting = append(d.waiting, pid)
	case op == 17 && len(d.pids) < rosterHigh: // admitted: a join by another path
		pid := d.waiting[0]
		d.waiting = d.waiting[1:]
		err = d.fake.Meeting().WaitingRoomAdmit(pid)
		d.pids = append(d.pids, pid)
	case op == 17:
		err = d.fake.Meeting().WaitingRoomRemove(d.waiting[0])
		d.waiting = d.waiting[1:]
	case op == 18:
		err = d.fake.Meeting().Lock(d.rng.IntN(2) == 0)
	default:
		err = d.fake.Meeting().Record(d.rng.IntN(2) == 0)
	}
	if err != nil {
		d.t.Fatalf("churn at +%v: %v", d.elapsed(), err)
	}
}

// faultKind is one kind of fault the soak injects.
type faultKind struct {
	name   string
	weight int
	// keepsLink: the fault does not end the link for sure, so the next
	// fault need not wait for a resubscribe.
	keepsLink bool
	do        func()
}

// fault injects one fault: every kind once, in random order, then kinds
// chosen with weights that keep the re-authenticating ones rare (a fresh
// login restarts the control token's 25-minute keep-alive clock, and
// keep-alives are under test too). It waits (returns without injecting)
// until the session has resubscribed after the last link-ending fault, so
// that the refusals one fault queues are consumed before the next fault
// queues more: two authentication refusals in a row after a fresh login
// rightly stop a session.
func (d *driver) fault() {
	subs := d.w.Session.Stats().Subscribes
	if subs <= d.resubAfter {
		return
	}
	kinds := []faultKind{
		{name: "drop", weight: 4, do: func() { d.fake.Faults().DropAll() }},
		{name: "stall", weight: 2, do: func() {
			d.fake.Faults().Stall(true)
			d.stalled = true
			d.stallEnd = d.clk.Now().Add(time.Duration(3+d.rng.IntN(3)) * time.Minute)
		}},
		{name: "ws token refused (5xx)", weight: 2, do: func() {
			d.fake.Faults().RefuseWSToken(1+d.rng.IntN(3), fakemeeting.Refusal{Status: 500 + d.rng.IntN(4)})
			d.fake.Faults().DropAll()
		}},
		{name: "ws token rate limited", weight: 1, do: func() {
			d.fake.Faults().RefuseWSToken(1, fakemeeting.Refusal{Status: 429, Code: fakemeeting.CodeFlowControl, RetryAfter: 20 * time.Second})
			d.fake.Faults().DropAll()
		}},
		{name: "ws token refused (401)", weight: 1, do: func() {
			d.fake.Faults().RefuseWSToken(1, fakemeeting.Refusal{Status: 401, Code: fakemeeting.CodeAuthFailed})
			d.fake.Faults().DropAll()
			d.authFaults++
		}},
		{name: "subscribe refused", weight: 1, do: func() {
			d.fake.Faults().SubscribeReturnCode(111070004)
			d.fake.Faults().DropAll()
			d.authFaults++
		}},
		{name: "upgrade refused", weight: 1, do: func() {
			d.fake.Faults().RefuseUpgrades(1, 503)
			d.fake.Faults().DropAll()
		}},
		{name: "login refused (5xx)", weight: 1, keepsLink: true, do: func() { d.fake.Faults().RefuseLogin(1, fakemeeting.Refusal{Status: 503}) }},
		{name: "version gap", weight: 3, keepsLink: true, do: func() {
			d.fake.Faults().SkipVersion(fakemeeting.ParticipantsNotify)
			d.churnParticipants()
		}},
		{name: "duplicate", weight: 2, keepsLink: true, do: func() {
			d.fake.Faults().DuplicateNext(fakemeeting.ParticipantsNotify)
			d.churnParticipants()
		}},
	}
	var k faultKind
	if d.deck == nil && len(d.faults) == 0 {
		d.deck = d.rng.Perm(len(kinds))
	}
	if len(d.deck) > 0 {
		k, d.deck = kinds[d.deck[0]], d.deck[1:]
	} else {
		total := 0
		for _, k := range kinds {
			total += k.weight
		}
		n := d.rng.IntN(total)
		for _, k = range kinds {
			if n -= k.weight; n < 0 {
				break
			}
		}
	}
	k.do()
	d.faults[k.name]++
	if !k.keepsLink {
		d.resubAfter = subs
	}
}

// churnParticipants makes one ParticipantsNotify delta, for the one-shot
// push faults to act on.
func (d *driver) churnParticipants() {
	if err := d.fake.Meeting().RaiseHand(d.pick(), d.rng.IntN(2) == 0); err != nil {
		d.t.Fatal(err)
	}
}

// sample records heap and goroutines, when the session is subscribed and
// idle so that readings are comparable. It reports whether it sampled.
func (d *driver) sample() bool {
	d.settle()
	if !d.w.Subscribed() || !d.idle() {
		return false
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	d.samples = append(d.samples, sample{at: d.elapsed(), heap: ms.HeapAlloc, goroutines: runtime.NumGoroutine(), roster: len(d.pids)})
	return true
}

// quarters returns the first and the last quarter of the samples.
func quarters(s []sample) (first, last []sample) {
	if len(s) == 0 {
		return nil, nil
	}
	q := max(len(s)/4, 1)
	return s[:q], s[len(s)-q:]
}

func medianHeap(s []sample) uint64 {
	if len(s) == 0 {
		return 0
	}
	h := make([]uint64, len(s))
	for i, x := range s {
		h[i] = x.heap
	}
	sort.Slice(h, func(i, j int) bool { return h[i] < h[j] })
	return h[len(h)/2]
}

// medianGoroutines is the median goroutine count: a reading can catch a
// pooled HTTP connection or a just-closed socket's goroutines on their
// way out, a leak lifts every reading.
func medianGoroutines(s []sample) int {
	if len(s) == 0 {
		return 0
	}
	g := make([]int, len(s))
	for i, x := range s {
		g[i] = x.goroutines
	}
	sort.Ints(g)
	return g[len(g)/2]
}

// tailBuffer keeps the last limit bytes written to it: hours of logs do
// not fit in memory, and only the end matters when a soak fails.
type tailBuffer struct {
	mu    sync.Mutex
	limit int
	buf   []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.limit; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
