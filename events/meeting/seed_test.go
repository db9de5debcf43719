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
