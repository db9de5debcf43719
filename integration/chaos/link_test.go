package chaos_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/integration/fakemeeting"
)

// TestLatencyAndJitter delays every byte both ways on the token API and
// the socket by 50–150 ms, so a heartbeat's round trip (100–300 ms) is a
// large share of the heartbeat interval. Pass: the session never takes a
// delayed echo for a dead link (the only Disconnected is the drop the
// test makes itself), a redial under latency works, and the state
// converges.
func TestLatencyAndJitter(t *testing.T) {
	r := newRig(t, rigOpts{})
	r.waitSubscribed(1)
	r.converge()
	for _, p := range []*toxiproxy.Proxy{r.api, r.ws} {
		r.toxic(p, `{"name":"lat_down","type":"latency","stream":"downstream","attributes":{"latency":100,"jitter":50}}`)
		r.toxic(p, `{"name":"lat_up","type":"latency","stream":"upstream","attributes":{"latency":100,"jitter":50}}`)
	}
	echoes := r.w.Session.Stats().HeartbeatsEcho
	r.eventually("four heartbeat round trips under latency", func() bool {
		r.churn(1)
		return r.w.Session.Stats().HeartbeatsEcho >= echoes+4
	})
	// A redial pays the latency on the ws token call, the handshake and
	// the Subscribe reply.
	r.fake.Faults().DropAll()
	r.waitSubscribed(2)
	r.churn(20)
	r.settle()
	if disc, _ := r.w.Count(); disc != 1 {
		t.Fatalf("%d disconnects, want exactly the one drop: a delayed echo was taken for a dead link\n%v", disc, lifecycle(r))
	}
}

// TestBandwidthLargeSnapshot caps the socket's downstream so that the
// first snapshot of a 2,000-participant meeting takes several read
// timeouts to arrive. Bytes keep flowing the whole time, so the link is
// not silent. Pass: one Subscribe and no disconnect (the read timeout and
// the missed-heartbeat count must only count silence), then the state
// holds every participant.
func TestBandwidthLargeSnapshot(t *testing.T) {
	r := newRig(t, rigOpts{fake: fakemeeting.Config{Participants: people(2000)}, noStart: true})
	// In place before the first dial, so the snapshot burst is throttled.
	// 2,000 participants are about 1.5 MB: 300 KB/s makes it ~5 s, more
	// than three read timeouts.
	r.toxic(r.ws, `{"name":"bw","type":"bandwidth","stream":"downstream","attributes":{"rate":300}}`)
	r.start()
	r.waitSubscribed(1)
	r.eventually("the 2,000-participant snapshot", func() bool {
		return r.w.State.Snapshot().Participants.Len() == 2000
	})
	r.untoxic(r.ws, "bw")
	r.settle()
	if st := r.w.Session.Stats(); st.Subscribes != 1 {
		t.Fatalf("%d Subscribes, want 1: a link that kept receiving bytes was declared dead (last error %q)\n%v",
			st.Subscribes, st.LastError, lifecycle(r))
	}
}

// TestResetMidFrame sends a TCP RST to the client while a large
// ParticipantsNotify is half delivered. Pass: the torn frame is not
// applied (the state never holds the half-delivered joiners before the
// reset), the link is classified as a retry, redials fail while every
// new socket is reset too, and once the resets stop the session
// resubscribes and converges, with a fresh ws token for every dial.
func TestResetMidFrame(t *testing.T) {
	r := newRig(t, rigOpts{armReset: true, session: func(c *connector.Config) {
		// Long enough that the throttled frame cannot trip the dead-link
		// checks before the reset does.
		c.HeartbeatInterval = 5 * time.Second
		c.ReadTimeout = 7500 * time.Millisecond
	}})
	r.waitSubscribed(1)
	r.converge()
	before := len(r.fake.Meeting().View().Order)

	// 800 joiners in one frame of ~600 KB at 100 KB/s: ~6 s in flight.
	r.toxic(r.ws, `{"name":"bw","type":"bandwidth","stream":"downstream","attributes":{"rate":100}}`)
	if _, err := r.fake.Meeting().Join(people(800)...); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // let the frame start flowing
	r.toxic(r.ws, `{"name":"rst","type":"reset_peer","stream":"downstream","attributes":{"timeout":0}}`)
	r.eventually("the reset to end the link", func() bool { disc, _ := r.w.Count(); return disc >= 1 })
	if n := r.w.State.Snapshot().Participants.Len(); n != before {
		t.Fatalf("state holds %d participants after the reset, want %d: part of the torn frame was applied", n, before)
	}
	d := firstDisconnect(r)
	if d.Class != connector.ClassRetry.String() || !strings.Contains(d.Err.Error(), "reset by peer") {
		t.Fatalf("disconnect %q class %s, want a retry on a connection reset", d.Err, d.Class)
	}
	dials := r.w.Session.Stats().Dials
	r.eventually("redials against resetting sockets", func() bool { return r.w.Session.Stats().Dials >= dials+2 })
	r.untoxic(r.ws, "rst", "bw")
	r.settle()
}

// TestHalfOpen makes the WS proxy swallow everything both ways while
// keeping both TCP connections open: no FIN, no RST, just silence, as
// behind a NAT that forgot the flow. Pass: the session declares the link
// dead (ErrDeadLink, from its own timers, since the socket never errors),
// keeps retrying while the hole lasts, then resubscribes and learns what
// changed while it was blind.
func TestHalfOpen(t *testing.T) {
	r := newRig(t, rigOpts{})
	r.waitSubscribed(1)
	r.converge()
	r.toxic(r.ws, `{"name":"hole_down","type":"timeout","stream":"downstream","attributes":{"timeout":0}}`)
	r.toxic(r.ws, `{"name":"hole_up","type":"timeout","stream":"upstream","attributes":{"timeout":0}}`)
	r.churn(10) // blind changes
	r.eventually("the dead link to be detected", func() bool { disc, _ := r.w.Count(); return disc >= 1 })
	d := firstDisconnect(r)
	if !errors.Is(d.Err, connector.ErrDeadLink) {
		t.Fatalf("disconnect %q, want ErrDeadLink", d.Err)
	}
	r.untoxic(r.ws, "hole_down", "hole_up")
	r.settle()
}

// TestSlicer cuts every frame into pieces of a few bytes (downstream
// 16±8, upstream 4±2) with a pause between pieces. Pass: no frame is
// counted malformed, nothing disconnects but the drop the test makes to
// push a whole snapshot burst through the slicer, and the state
// converges.
func TestSlicer(t *testing.T) {
	r := newRig(t, rigOpts{})
	r.waitSubscribed(1)
	r.toxic(r.ws, `{"name":"slice_down","type":"slicer","stream":"downstream","attributes":{"average_size":16,"size_variation":8,"delay":20}}`)
	r.toxic(r.ws, `{"name":"slice_up","type":"slicer","stream":"upstream","attributes":{"average_size":4,"size_variation":2,"delay":20}}`)
	r.fake.Faults().DropAll()
	r.waitSubscribed(2)
	r.churn(30)
	r.settle()
	st := r.w.Session.Stats()
	if st.Malformed != 0 || st.Binary != 0 {
		t.Fatalf("sliced frames decoded wrong: %d malformed, %d binary", st.Malformed, st.Binary)
	}
	if disc, _ := r.w.Count(); disc != 1 {
		t.Fatalf("%d disconnects, want only the drop\n%v", disc, lifecycle(r))
	}
}

func firstDisconnect(r *rig) *events.Disconnected {
	for _, e := range r.w.Lifecycle() {
		if d, ok := e.(*events.Disconnected); ok {
			return d
		}
	}
	r.t.Fatal("no Disconnected event")
	return nil
}

// lifecycle renders the lifecycle events for a failure message.
func lifecycle(r *rig) string {
	var b strings.Builder
	for _, e := range r.w.Lifecycle() {
		switch e := e.(type) {
		case *events.Disconnected:
			fmt.Fprintf(&b, "  disconnected (%s): %v\n", e.Class, e.Err)
		case *events.Resubscribed:
			fmt.Fprintf(&b, "  resubscribed after %v (resync %t)\n", e.Blind(), e.Resync)
		case *events.Subscribed:
			b.WriteString("  subscribed\n")
		}
	}
	return b.String()
}
