package meeting_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
)

// TestNewFromSnapshot: a State seeded with another State's snapshot, as a
// fleet's new owner seeds it from the stored JSON, reports the same
// inferred changes and ends with the same picture as the one State that
// lived through the outage.
func TestNewFromSnapshot(t *testing.T) {
	sc := newScript()
	before := []events.Event{
		&events.Subscribed{At: t0},
		sc.full(dyn("Created", 0, 0)),
		sc.full(parts(join("A", "Ann", 1), join("B", "Bob", 2, "HAND", "1"), join("C", "Cai", 3))),
		sc.full(speakers("A", 50)),
		sc.delta(parts(set("C", "MUTE", "1")), 7),
	}
	sc.at = sc.at.Add(time.Minute)
	after := []events.Event{
		sc.full(dyn("Created", 1, 1)),
		sc.full(parts(join("A", "Ann Li", 1), join("B", "Bob", 2), join("D", "Dan", 4))),
		sc.full(speakers("D", 70)),
	}
	want := []string{
		"MeetingLocked inferred",
		"RecordingStarted inferred",
		"ParticipantRenamed A Ann->Ann Li inferred",
		"HandLowered B inferred",
		"ParticipantLeft C inferred",
		"ParticipantJoined D inferred",
		"SpeakersChanged [D] inferred",
	}

	// One State through the outage.
	oneRec := &recorder{}
	one := meeting.New(meeting.Config{OnChange: oneRec.on})
	apply(one, before...)
	stored, err := json.Marshal(one.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	oneRec.take()
	lost := sc.at
	apply(one, &events.Disconnected{At: lost}, &events.Resubscribed{BlindFrom: lost, BlindTo: lost.Add(time.Second)})
	apply(one, after...)
	eq(t, "one State's changes", brief(oneRec.take()), want)

	// A new State seeded from the stored JSON, then a new session.
	var snap meeting.Snapshot
	if err := json.Unmarshal(stored, &snap); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	seeded := meeting.NewFromSnapshot(meeting.Config{OnChange: rec.on}, &snap)
	s := seeded.Snapshot()
	eq(t, "seeded connected", s.Connected, false)
	eq(t, "seeded roster", roster(s), []string{"A=Ann/ordinary/T", "B=Bob/ordinary/H", "C=Cai/ordinary/M"})
	eq(t, "seeded conference", s.ConferenceID, confID)
	apply(seeded, &events.Subscribed{At: lost.Add(time.Second)})
	eq(t, "waiting for fresh snapshots", seeded.Snapshot().Resyncing,
		[]string{events.ActionConfDynamicInfo, events.ActionParticipants, events.ActionSpeakerChange})
	apply(seeded, after...)
	eq(t, "seeded State's changes", brief(rec.take()), want)

	got, _ := json.Marshal(seeded.Snapshot())
	exp, _ := json.Marshal(one.Snapshot())
	if string(got) != string(exp) {
		t.Errorf("final pictures differ:\nseeded %s\none    %s", got, exp)
	}

	// Later pushes are live again.
	apply(seeded, sc.delta(parts(leave("D")), 1))
	eq(t, "live after the takeover", brief(rec.take()), []string{"ParticipantLeft D"})
}

func TestNewFromSnapshotNil(t *testing.T) {
	rec := &recorder{}
	st := meeting.NewFromSnapshot(meeting.Config{OnChange: rec.on}, nil)
	sc := newScript()
	apply(st, &events.Subscribed{At: t0}, sc.full(parts(join("A", "Ann", 1))))
	eq(t, "first picture reports nothing", len(rec.take()), 0)
}

// TestContinue: a State continued from another's stored picture at any
// point of the stream, then given the rest of the stream (and the last
// push before the cut again), ends with the same picture and the same
// changes as the State that saw the whole stream.
func TestContinue(t *testing.T) {
	sc := newScript()
	stream := []events.Event{
		&events.Subscribed{At: t0},
		sc.full(dyn("Created", 0, 0)),
		sc.full(parts(join("A", "Ann", 1), join("B", "Bob", 2))),
		sc.full(speakers("A", 50)),
		sc.delta(parts(set("B", "HAND", "1")), 4),
		&events.Disconnected{At: t0.Add(3 * time.Minute)},
		&events.Resubscribed{BlindFrom: t0.Add(3 * time.Minute), BlindTo: t0.Add(4 * time.Minute)},
	}
	sc.at = t0.Add(4 * time.Minute)
	stream = append(stream,
		sc.full(dyn("Created", 1, 0)),
		sc.full(parts(join("A", "Ann", 1), join("B", "Bob", 2, "HAND", "1"), join("C", "Cai", 3))),
		sc.full(speakers("C", 60)),
		sc.delta(parts(set("A", "MUTE", "1")), 1),
		sc.delta(parts(leave("B")), 2),
	)
	for cut := 1; cut < len(stream); cut++ {
		oneRec := &recorder{}
		one := meeting.New(meeting.Config{OnChange: oneRec.on})
		apply(one, stream[:cut]...)
		stored, err := json.Marshal(one.Snapshot())
		if err != nil {
			t.Fatal(err)
		}
		oneRec.take()
		apply(one, stream[cut:]...)

		var snap meeting.Snapshot
		if err := json.Unmarshal(stored, &snap); err != nil {
			t.Fatal(err)
		}
		rec := &recorder{}
		cont := meeting.Continue(meeting.Config{OnChange: rec.on}, &snap)
		eq(t, "continued picture", string(mustJSON(t, cont.Snapshot())), string(stored))
		replay := stream[cut:]
		if p, ok := stream[cut-1].(*events.Push); ok {
			replay = append([]events.Event{p}, replay...) // already held: dropped or a no-op
		}
		apply(cont, replay...)
		eq(t, "changes after the cut", brief(rec.take()), brief(oneRec.take()))
		if got, want := string(mustJSON(t, cont.Snapshot())), string(mustJSON(t, one.Snapshot())); got != want {
			t.Errorf("cut %d: final pictures differ:\ncontinued %s\none       %s", cut, got, want)
		}
	}
}

func TestContinueNil(t *testing.T) {
	st := meeting.Continue(meeting.Config{}, nil)
	eq(t, "empty", st.Snapshot().Participants.Len(), 0)
}
