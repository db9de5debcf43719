package fleet_test

import (
	"testing"
	"time"

	"github.com/confwatch/confwatch/fleet"
	"github.com/confwatch/confwatch/integration/fakemeeting"
	"github.com/confwatch/confwatch/internal/record"
)

// TestFenceBeforeExpiry: a worker cut off from NATS stops its session
// (socket closed) before its lease expires; only then does the other
// worker claim the meeting, and the fake never sees two sockets. When
// the cut worker is let back, it rejoins the fleet.
func TestFenceBeforeExpiry(t *testing.T) {
	r := newRig(t, 1, fakemeeting.Config{})
	id := r.ids[0]
	r.apply(r.meetings(id))
	cut := newCutter(t, r.ns.ClientURL()[len("nats://"):])
	a := r.start("a", cut.url(), nil)
	waitFor(t, 10*time.Second, "a subscribed", func() bool { return r.svc.Counters().Meetings[id].Subscribed == 1 })
	time.Sleep(testLease / 3) // a few renewals

	// b starts only once a is cut off: a live b could be the meeting's
	// rendezvous owner, and a would hand the meeting over to it.
	cut.setCut(true)
	b := r.start("b", r.ns.ClientURL(), nil)
	fenced := waitFor(t, testLease, "a's socket closed", func() bool { return r.svc.Counters().Meetings[id].LiveSockets == 0 })
	claimed := waitFor(t, 2*testLease, "b holds the meeting", func() bool { return len(b.w.Owned()) == 1 })
	claimed += fenced
	subscribed := waitFor(t, 2*testLease, "b subscribed", func() bool { return r.svc.Counters().Meetings[id].Subscribed == 1 })
	t.Logf("lease %v: cut → a fenced %v, b claimed %v, b subscribed %v", testLease, fenced, claimed, claimed+subscribed)
	if limit := testLease * 2 / 3; fenced > limit+500*time.Millisecond {
		t.Errorf("a fenced %v after the cut, want within 2/3 of the lease (%v) plus the close", fenced, limit)
	}
	if fenced >= claimed {
		t.Errorf("a fenced %v after the cut, b claimed at %v: the fence must come first", fenced, claimed)
	}

	if st := a.w.Stats(); st.Fences != 1 {
		t.Errorf("a's stats %+v: want one fence", st)
	}
	if c := r.svc.Counters(); c.MaxLiveSockets != 1 || c.TokenReuse != 0 {
		t.Errorf("fake counters %+v: want never two sockets, no ws-token reuse", c)
	}

	cut.setCut(false)
	waitFor(t, 3*testLease, "a's heartbeat back", func() bool {
		ownersNow := r.owners()
		return ownersNow[id] == b.w.ID() && a.nc.IsConnected()
	})
	b.stop(t)
	waitFor(t, 2*time.Second+testLease/3, "a takes the meeting back after b's graceful stop", func() bool { return len(a.w.Owned()) == 1 })
	waitFor(t, 5*time.Second, "a subscribed again", func() bool { return r.svc.Counters().Meetings[id].Subscribed == 1 })
	if c := r.svc.Counters(); c.MaxLiveSockets != 1 {
		t.Errorf("max live sockets %d", c.MaxLiveSockets)
	}
}

// TestFailoverInferredChanges: what changes while a meeting moves between
// workers is published by the new owner as inferred changes, and the
// stored state follows the fake.
func TestFailoverInferredChanges(t *testing.T) {
	r := newRig(t, 1, fakemeeting.Config{})
	id := r.ids[0]
	srv := r.svc.Meeting(id)
	r.apply(r.meetings(id))
	a := r.start("a", r.ns.ClientURL(), nil)
	waitFor(t, 10*time.Second, "a subscribed", func() bool { return r.svc.Counters().Meetings[id].Subscribed == 1 })
	pid, err := srv.Meeting().JoinOne(fakemeeting.Person{Name: "Zhang Min"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the join in the stored state", func() bool { return storedHas(r, id, pid) })
	waitFor(t, 5*time.Second, "the live join published", func() bool {
		return len(changes(r.records(fleet.SubjectPrefix+"."+id+".change.ParticipantJoined"), false)) == 1
	})

	// a stops (as on SIGTERM); while nobody watches, the meeting changes.
	a.stop(t)
	if err := srv.Meeting().RaiseHand(pid, true); err != nil {
		t.Fatal(err)
	}
	if err := srv.Meeting().Lock(true); err != nil {
		t.Fatal(err)
	}
	b := r.start("b", r.ns.ClientURL(), nil)
	waitFor(t, 10*time.Second, "b subscribed", func() bool { return r.svc.Counters().Meetings[id].Subscribed == 1 })
	waitFor(t, 5*time.Second, "inferred changes from b", func() bool {
		hand := changes(r.records(fleet.SubjectPrefix+"."+id+".change.HandRaised"), true)
		lock := changes(r.records(fleet.SubjectPrefix+"."+id+".change.MeetingLocked"), true)
		return len(hand) == 1 && len(lock) == 1 && hand[0].header.Get(fleet.HeaderWorker) == b.w.ID()
	})
	if joined := changes(r.records(fleet.SubjectPrefix+"."+id+".change.ParticipantJoined"), true); len(joined) != 0 {
		t.Errorf("the join a had already reported was reported again as inferred: %s", joined[0].data)
	}
	waitFor(t, 5*time.Second, "the stored state locked, hand up", func() bool {
		s, ok := r.storedState(id)
		return ok && s["status"].(map[string]any)["locked"] == true && handUp(s, pid)
	})
}

func changes(ps []published, inferred bool) []published {
	var out []published
	for _, p := range ps {
		if p.rec.Kind == record.KindChange && p.rec.Change != nil && p.rec.Change.Inferred == inferred {
			out = append(out, p)
		}
	}
	return out
}

func participants(s map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	list, _ := s["participants"].([]any)
	for _, p := range list {
		m, _ := p.(map[string]any)
		if pid, ok := m["pid"].(string); ok {
			out[pid] = m
		}
	}
	return out
}

func storedHas(r *rig, id, pid string) bool {
	s, ok := r.storedState(id)
	return ok && participants(s)[pid] != nil
}

func handUp(s map[string]any, pid string) bool {
	p := participants(s)[pid]
	return p != nil && p["handRaised"] == true
}
