package fleetchaos_test

import (
	"context"
	"slices"
	"testing"
	"time"
)

// cutMeetings is how many meetings the cut-off worker holds.
const cutMeetings = 6

// TestCutOffWorkerFences cuts one worker off from NATS through toxiproxy
// while it holds every meeting, in two ways: every connection reset (a
// RST on the link, and on each reconnect as soon as the client speaks),
// and a silent blackhole (the timeout toxic with timeout 0: the TCP
// connection stays open, not a byte passes either way, so the NATS client
// notices nothing for minutes). A second worker, connected directly,
// starts once the first is cut off. Pass: the cut-off worker closes every
// socket before the server could expire its last acknowledged lease
// write; only then does the other worker claim, so the fake's per-meeting
// live-socket high-water mark stays 1 and no ws token is presented twice;
// once the path is healed the cut-off worker is back in the fleet
// (heartbeat written, views followed) and takes every meeting over when
// its peer stops.
func TestCutOffWorkerFences(t *testing.T) {
	for _, fault := range []struct {
		name   string
		toxics []string
	}{
		{"reset", []string{`{"name":"reset","type":"reset_peer","stream":"upstream","attributes":{"timeout":0}}`}},
		{"blackhole", []string{
			`{"name":"hole_up","type":"timeout","stream":"upstream","attributes":{"timeout":0}}`,
			`{"name":"hole_down","type":"timeout","stream":"downstream","attributes":{"timeout":0}}`,
		}},
	} {
		t.Run(fault.name, func(t *testing.T) { cutOff(t, fault.toxics) })
	}
}

func cutOff(t *testing.T, toxics []string) {
	r := newRig(t, cutMeetings)
	p := r.newProxy()
	a := r.start("a", "nats://"+p.Listen)
	waitFor(t, waitLong, "a holds and has subscribed every meeting", func() bool {
		return len(a.w.Owned()) == cutMeetings && r.allSubscribed()
	})
	// The lease bucket exists once a worker ran.
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	leases, err := watchLeases(ctx, r.js)
	if err != nil {
		t.Fatal(err)
	}
	defer leases.close()
	time.Sleep(lease / 2) // a renewal or two

	var names []string
	for _, spec := range toxics {
		names = append(names, addToxic(t, p, spec))
	}
	// b starts only once a is cut off: a live b could be the rendezvous
	// owner of some meetings, and a would hand them over before any fence.
	b := r.start("b", "nats://"+r.natsAddr)
	fenced := waitFor(t, 2*lease, "a's sockets all closed", func() bool {
		c := r.svc.Counters()
		for _, id := range r.ids {
			if c.Meetings[id].LiveSockets != 0 {
				return false
			}
		}
		return true
	})
	took := waitFor(t, waitLong, "b holds and has subscribed every meeting", func() bool {
		return len(b.w.Owned()) == cutMeetings && r.allSubscribed()
	}) + fenced

	// The fence came before the expiry of a's last acknowledged write on
	// each lease, by the server's clock (one machine: one clock).
	var margins []time.Duration
	for _, id := range r.ids {
		wrote := leases.lastWrite(id, a.w.ID())
		closed := r.sockets.closedAt(id)
		if wrote.IsZero() || closed.IsZero() {
			t.Fatalf("meeting %s: a's last lease write %v, socket closed %v: not observed", id, wrote, closed)
		}
		margin := wrote.Add(lease).Sub(closed)
		margins = append(margins, margin)
		if margin <= 0 {
			t.Errorf("meeting %s: a's socket closed at %v, %v after its lease (written %v) could expire",
				id, closed.Format("15:04:05.000"), -margin, wrote.Format("15:04:05.000"))
		}
	}
	slices.Sort(margins)
	t.Logf("lease %v: cut → all of a's %d sockets closed in %v (fence at 2/3 lease after the last acknowledged renewal); "+
		"closed before the lease could expire by %v to %v; b holds and has subscribed all in %v",
		lease, cutMeetings, fenced.Round(time.Millisecond), margins[0].Round(time.Millisecond),
		margins[len(margins)-1].Round(time.Millisecond), took.Round(time.Millisecond))
	if st := a.w.Stats(); st.Fences != cutMeetings {
		t.Errorf("a's stats %+v: want %d fences", st, cutMeetings)
	}
	r.checkFake()

	// Healed, a writes its heartbeat again and follows the buckets: when b
	// stops, a takes every meeting.
	healed := time.Now()
	for _, n := range names {
		removeToxic(t, p, n)
	}
	back := waitFor(t, waitLong, "a's heartbeat written after the heal", func() bool {
		return a.nc.IsConnected() && r.heartbeatSince(a.w.ID(), healed)
	})
	// b hands a its rendezvous share, one meeting per evaluation, once it
	// has seen a for a heartbeat period and no longer excludes a as the
	// last owner of each meeting whose lease expired (for a lease after
	// the expiry). How many are a's is up to the hash, so it is only
	// reported.
	time.Sleep(lease + time.Second)
	handed := len(a.w.Owned())
	b.stop(t)
	rejoined := waitFor(t, waitLong, "a holds and has subscribed every meeting again", func() bool {
		return len(a.w.Owned()) == cutMeetings && r.allSubscribed()
	})
	t.Logf("heal → a's heartbeat back in %v (NATS reconnects %d); %d meetings handed back by rendezvous; after b's stop a holds all in %v",
		back.Round(time.Millisecond), a.nc.Stats().Reconnects, handed, rejoined.Round(time.Millisecond))
	r.checkFake()
}
