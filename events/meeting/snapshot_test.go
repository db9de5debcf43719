package meeting_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
)

// busyMeeting returns a sequence touching every part of the state.
func busyMeeting(sc *script, rounds int) []events.Event {
	evs := []events.Event{
		&events.Subscribed{At: t0},
		sc.full(&events.ConfBasicInfoNotify{Title: "Busy", DisplayID: confID}),
		sc.full(dyn("Created", 0, 0)),
		sc.full(parts(join("A", "Ann", 1), join("B", "Bob", 2), join("C", "Cai", 3))),
		sc.full(&events.AttendeesNotify{Attendees: []events.Attendee{{UserUUID: "u1", Name: "Ann"}}}),
		sc.full(&events.WaitingListNotify{}),
		sc.full(&events.NetConditionNotify{}),
		sc.full(speakers()),
	}
	for i := range rounds {
		pid := "P" + strconv.Itoa(i)
		v := int64(100 + 2*i)
		evs = append(evs,
			sc.delta(parts(join(pid, "Guest "+pid, 10+i), set("A", "HAND", strconv.Itoa(i%2))), v),
			sc.delta(parts(set("B", "NAME", "Bob "+pid), set("C", "MUTE", strconv.Itoa(i%2))), v+1),
			sc.full(speakers(pid, 10+i, "A", 5)),
			sc.full(dyn("Created", i%2, 0)),
			sc.delta(&events.WaitingListNotify{Members: []events.Participant{{PID: "W" + pid, Info: events.PInfo{"NAME": pid}}}}, int64(1+i)),
			sc.delta(&events.NetConditionNotify{Conditions: []events.NetCondition{{ParticipantID: "A", NetInfo: "n" + pid}}}, int64(1+i)),
			sc.delta(&events.AttendeesNotify{Attendees: []events.Attendee{{UserUUID: "u1", Name: "Ann " + pid}}}, int64(1+i)),
			sc.full(&events.InviteResultNotify{Results: []events.InviteResult{{CallNumber: pid, Code: "0"}}}),
			sc.delta(caption("A", "c"+pid, "said "+pid), int64(1+i)),
			sc.full(groups(events.InterpreterGroup{GroupID: "g" + pid, GroupName: pid})),
		)
		if i%5 == 4 {
			evs = append(evs, sc.delta(parts(leave(pid)), v+1))
		}
	}
	return evs
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSnapshotImmutable(t *testing.T) {
	sc := newScript()
	evs := busyMeeting(sc, 20)
	st := meeting.New(meeting.Config{})
	apply(st, evs[:len(evs)/2]...)
	before := st.Snapshot()
	frozen := mustJSON(t, before)
	a, _ := before.Participant("A")

	apply(st, evs[len(evs)/2:]...)
	apply(st,
		sc.full(parts(join("Z", "Zoe", 1))),
		&events.Disconnected{At: sc.at},
		&events.Resubscribed{BlindFrom: sc.at, BlindTo: sc.at},
	)
	after := st.Snapshot()
	if got := mustJSON(t, before); !bytes.Equal(got, frozen) {
		t.Errorf("earlier snapshot changed:\nbefore %s\nafter  %s", frozen, got)
	}
	if err := consistent(before); err != nil {
		t.Errorf("earlier snapshot's index changed: %v", err)
	}
	if got, _ := before.Participant("A"); !equalJSON(t, got, a) {
		t.Errorf("earlier snapshot's participant changed: %+v, was %+v", got, a)
	}
	if bytes.Equal(mustJSON(t, after), frozen) {
		t.Error("later snapshot equals the earlier one; the test applied nothing")
	}
	if st.Snapshot() != after {
		t.Error("Snapshot without an event in between returned a new value")
	}
}

func equalJSON(t *testing.T, a, b any) bool { return bytes.Equal(mustJSON(t, a), mustJSON(t, b)) }

// TestSnapshotConcurrentReaders reads and marshals snapshots from several
// goroutines while events are applied; -race checks the sharing, and each
// snapshot is checked for internal consistency.
func TestSnapshotConcurrentReaders(t *testing.T) {
	sc := newScript()
	evs := busyMeeting(sc, 60)
	st := meeting.New(meeting.Config{})
	done := make(chan struct{})
	errs := make(chan error, 4)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			var last *meeting.Snapshot
			for {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				s := st.Snapshot()
				if s == last {
					continue
				}
				last = s
				if err := consistent(s); err != nil {
					errs <- err
					return
				}
				if _, err := json.Marshal(s); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	apply(st, evs...)
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if err := consistent(st.Snapshot()); err != nil {
		t.Error(err)
	}
}

// consistent checks invariants every snapshot must hold.
func consistent(s *meeting.Snapshot) error {
	if !slices.IsSortedFunc(list(s.Participants), func(a, b meeting.Participant) int {
		if c := a.JoinTime.Compare(b.JoinTime); c != 0 {
			return c
		}
		return compareStrings(a.PID, b.PID)
	}) {
		return fmt.Errorf("participants out of order: %v", roster(s))
	}
	if n := len(list(s.Participants)); n != s.Participants.Len() {
		return fmt.Errorf("roster yields %d participants, Len says %d", n, s.Participants.Len())
	}
	for _, p := range s.Participants.All() {
		q, ok := s.Participant(p.PID)
		if !ok || q.Name != p.Name || q.HandRaised != p.HandRaised {
			return fmt.Errorf("lookup of %s = %+v, %v; list has %+v", p.PID, q, ok, p)
		}
		if p.Speaking != slices.ContainsFunc(s.Speakers, func(sp meeting.Speaker) bool { return sp.PID == p.PID }) {
			return fmt.Errorf("%s speaking = %v, speakers %v", p.PID, p.Speaking, s.Speakers)
		}
	}
	return nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestStableJSON(t *testing.T) {
	build := func() *meeting.Snapshot {
		sc := newScript()
		st := meeting.New(meeting.Config{Clock: clockAt(t0)})
		apply(st, busyMeeting(sc, 15)...)
		apply(st, &events.Disconnected{At: sc.at.Add(time.Second)})
		return st.Snapshot()
	}
	s1, s2 := build(), build()
	a, b := mustJSON(t, s1), mustJSON(t, s1)
	if !bytes.Equal(a, b) {
		t.Error("marshaling one snapshot twice gave different bytes")
	}
	if c := mustJSON(t, s2); !bytes.Equal(a, c) {
		t.Errorf("two states fed the same events differ:\n%s\n%s", a, c)
	}
	var back meeting.Snapshot
	if err := json.Unmarshal(a, &back); err != nil {
		t.Fatal(err)
	}
	if c := mustJSON(t, &back); !bytes.Equal(a, c) {
		t.Errorf("JSON does not round-trip:\n%s\n%s", a, c)
	}
	if p, ok := back.Participant("A"); !ok || p.Name != "Ann" {
		t.Errorf("Participant on a decoded snapshot = %+v, %v", p, ok)
	}
}
