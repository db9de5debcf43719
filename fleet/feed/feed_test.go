package feed_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/fleet"
	"github.com/confwatch/confwatch/fleet/feed"
)

// TestFeedReachesOwnersState: a Mux and a meeting.State fed from the
// stream reach exactly the picture the owner's State (fed by the
// meeting's socket) stored at the end of the scripted meeting, network
// drop included, whether they replay the meeting from its start or join
// it half-way from the stored Snapshot; the State's own changes are the
// ones the owner published; both runs end like a session at the end.
func TestFeedReachesOwnersState(t *testing.T) {
	r := newRig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r.worker("w1")
	full := r.consume(ctx, time.Hour)
	half := make(chan *consumer, 1)
	err := r.play(ctx, 20, func(step int) {
		if step == 10 { // after the waiting room, before the drop
			waitFor(t, 10*time.Second, "a stored picture", func() bool { return r.stored() != nil })
			half <- r.consume(ctx, 0)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	mid := <-half
	want := redactedJSON(t, r.waitEnded())
	for name, c := range map[string]*consumer{"from the start": full, "from the stored picture": mid} {
		if err := c.wait(t); !isEnded(err) {
			t.Errorf("%s: Run = %v, want the meeting's end", name, err)
		}
		if got := redactedJSON(t, c.state.Snapshot()); got != want {
			t.Errorf("%s: pictures differ:\nfeed  %s\nowner %s", name, got, want)
		}
		if st := c.feed.Stats(); st.Malformed != 0 {
			t.Errorf("%s: %+v", name, st)
		}
	}
	if !slices.Equal(full.own, full.owner) || len(full.own) < 15 {
		t.Errorf("the State's changes differ from the owner's:\nstate %q\nowner %q", full.own, full.owner)
	}
	if !slices.Contains(full.lifecyc, "disconnected") || !slices.Contains(full.lifecyc, "resubscribed") || full.lifecyc[0] != "subscribed" {
		t.Errorf("lifecycle %q: want subscribed, the drop and the resubscribe", full.lifecyc)
	}
	t.Logf("changes %d (half-way %d); lifecycle %q; stats %+v / %+v; owners %q", len(full.own), len(mid.own), full.lifecyc, full.feed.Stats(), mid.feed.Stats(), full.owners)
	if mid.feed.Stats().Skipped == 0 {
		t.Error("the half-way run skipped nothing: the stored picture's records were delivered again")
	}
	// The half-way run's changes are the owner's after the point it
	// joined: a suffix of them.
	if n := len(mid.own); n == 0 || n > len(full.owner) || !slices.Equal(mid.own, full.owner[len(full.owner)-n:]) {
		t.Errorf("half-way changes %q are not the end of the owner's %q", mid.own, full.owner)
	}
	if len(full.owners) == 0 || full.owners[0] == "" && len(full.owners) == 1 {
		t.Errorf("owners seen: %q", full.owners)
	}
}

// TestFeedNotWatched: a meeting the fleet does not watch ends Run at
// once, with an error that says so.
func TestFeedNotWatched(t *testing.T) {
	r := newRig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	f, err := feed.New(feed.Config{JetStream: r.js, Conference: "123"})
	if err != nil {
		t.Fatal(err)
	}
	err = f.Run(ctx, events.HandlerFunc(func(context.Context, events.Event) {}))
	if !errors.Is(err, feed.ErrNotWatched) {
		t.Errorf("Run = %v, want ErrNotWatched", err)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	for _, cfg := range []feed.Config{
		{},
		{Conference: "986112045"},
		{JetStream: nilJS(t), Conference: "98x"},
		{JetStream: nilJS(t), Conference: "1", Since: -time.Second},
	} {
		if _, err := feed.New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}

// nilJS is a JetStream that New accepts without a server: New does no I/O.
func nilJS(*testing.T) jetstream.JetStream { return struct{ jetstream.JetStream }{} }

// TestFeedFailover: when the owner stops half-way and another worker
// takes the meeting over, the reader sees a Disconnected and a
// Resubscribed, learns the new owner, and still ends with the picture the
// new owner stored, with the same changes it published.
func TestFeedFailover(t *testing.T) {
	r := newRig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	workers := map[string]*worker{}
	for _, n := range []string{"w1", "w2"} {
		w := r.worker(n)
		workers[w.w.ID()] = w
	}
	c := r.consume(ctx, time.Hour)
	var first, second string
	err := r.play(ctx, 10, func(step int) {
		if step != 5 {
			return
		}
		first = r.owner()
		workers[first].stop()
		waitFor(t, 20*time.Second, "the other worker's session", func() bool {
			second = r.owner()
			return second != "" && second != first && r.svc.Meeting(r.id).Stats().Subscribed > 0
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	want := redactedJSON(t, r.waitEnded())
	if err := c.wait(t); !isEnded(err) {
		t.Errorf("Run = %v, want the meeting's end", err)
	}
	if got := redactedJSON(t, c.state.Snapshot()); got != want {
		t.Errorf("pictures differ:\nfeed  %s\nowner %s", got, want)
	}
	if !slices.Equal(c.own, c.owner) {
		t.Errorf("the State's changes differ from the owners':\nstate %q\nowner %q", c.own, c.owner)
	}
	if !slices.Contains(c.lifecyc[1:], "disconnected") || !slices.Contains(c.lifecyc, "resubscribed") {
		t.Errorf("lifecycle %q: want the handover as a disconnect and a resubscribe", c.lifecyc)
	}
	if !slices.Contains(c.owners, first) || !slices.Contains(c.owners, second) {
		t.Errorf("owners seen %q, want %s then %s", c.owners, first, second)
	}
}

// owner is the worker holding the meeting's lease, "" for none.
func (r *rig) owner() string {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	kv, err := r.js.KeyValue(ctx, fleet.BucketLeases)
	if err != nil {
		return ""
	}
	e, err := kv.Get(ctx, r.id)
	if err != nil {
		return ""
	}
	var l fleet.Lease
	if json.Unmarshal(e.Value(), &l) != nil {
		return ""
	}
	return l.Worker
}

// TestWatchStateAndMeetings: WatchState gives the stored pictures until
// the one of the meeting's end, then returns the end; Meetings lists the
// meeting as ended, with its owner and last record.
func TestWatchStateAndMeetings(t *testing.T) {
	r := newRig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	w := r.worker("w1")
	var snaps []feed.Snapshot
	done := make(chan error, 1)
	go func() {
		done <- feed.WatchState(ctx, r.jetstream(), r.id, func(s feed.Snapshot) { snaps = append(snaps, s) })
	}()
	if err := r.play(ctx, 20, nil); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !isEnded(err) {
		t.Fatalf("WatchState = %v, want the meeting's end", err)
	}
	last := snaps[len(snaps)-1]
	if len(snaps) < 5 || last.Snapshot.Status.State != "Destroyed" || last.Owner != w.w.ID() || last.Conference != r.id || last.Updated.IsZero() {
		t.Errorf("%d snapshots, last %+v", len(snaps), last)
	}
	if got, want := redactedJSON(t, last.Snapshot), redactedJSON(t, r.waitEnded()); got != want {
		t.Errorf("last watched picture differs from the stored one")
	}

	ms, err := feed.Meetings(ctx, r.js)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 {
		t.Fatalf("Meetings = %+v", ms)
	}
	m := ms[0]
	if m.Conference != r.id || m.State != "ended" || m.Owner != w.w.ID() || m.Title != last.Snapshot.Title || m.Participants != last.Snapshot.Participants.Len() || m.LastEvent.IsZero() {
		t.Errorf("Meetings = %+v", m)
	}

	// With the records aged out of the stream, a reader starting from the
	// stored picture of the end still ends.
	s, err := r.js.Stream(ctx, fleet.StreamEvents)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Purge(ctx, jetstream.WithPurgeSubject(fleet.SubjectPrefix+"."+r.id+".>")); err != nil {
		t.Fatal(err)
	}
	c := r.consume(ctx, 0)
	if err := c.wait(t); !isEnded(err) {
		t.Errorf("Run from the stored end = %v, want the meeting's end", err)
	}
}

// TestFeedStopsWhenUnwatched: a meeting removed from the desired set
// ends Run with ErrNotWatched once its records are delivered, rather than
// waiting for ever for an owner that will not come.
func TestFeedStopsWhenUnwatched(t *testing.T) {
	r := newRig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r.worker("w1")
	c := r.consume(ctx, 0)
	waitFor(t, 10*time.Second, "the owner's first records delivered", func() bool { return c.feed.Stats().Delivered > 3 })
	if _, err := fleet.Apply(ctx, r.js, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.wait(t); !errors.Is(err, feed.ErrNotWatched) {
		t.Errorf("Run = %v, want ErrNotWatched", err)
	}
}
