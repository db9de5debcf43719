package meeting_test

import (
	"testing"
	"time"

	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
)

// TestResyncDiff: what changed while disconnected is reported once, as
// inferred, when the fresh snapshots arrive.
func TestResyncDiff(t *testing.T) {
	sc := newScript()
	rec := &recorder{}
	st := meeting.New(meeting.Config{OnChange: rec.on})
	apply(st,
		&events.Subscribed{At: t0},
		sc.full(dyn("Created", 0, 0)),
		sc.full(parts(join("A", "Ann", 1), join("B", "Bob", 2), join("C", "Cai", 3))),
		sc.delta(parts(set("B", "HAND", "1")), 20),
		sc.delta(parts(set("B", "HAND", "0")), 21),
	)
	eq(t, "live changes", brief(rec.take()), []string{"HandRaised B", "HandLowered B"})

	lost := sc.at.Add(time.Second)
	apply(st, &events.Disconnected{At: lost, Class: "retry"})
	s := st.Snapshot()
	eq(t, "connected", s.Connected, false)
	eq(t, "blind since", s.BlindSince, lost)

	apply(st, &events.Resubscribed{BlindFrom: lost, BlindTo: lost.Add(10 * time.Second)})
	s = st.Snapshot()
	eq(t, "connected", s.Connected, true)
	eq(t, "blind since", s.BlindSince, time.Time{})
	eq(t, "resyncing", s.Resyncing, []string{events.ActionConfDynamicInfo, events.ActionParticipants})
	eq(t, "roster kept while resyncing", roster(s), []string{"A=Ann/ordinary/", "B=Bob/ordinary/", "C=Cai/ordinary/"})

	apply(st,
		sc.full(dyn("Created", 1, 0)),
		sc.full(parts(join("A", "Ann Li", 1), join("C", "Cai", 3, "HAND", "1"), join("D", "Dan", 4))),
	)
	eq(t, "inferred changes", brief(rec.take()), []string{
		"MeetingLocked inferred",
		"ParticipantRenamed A Ann->Ann Li inferred",
		"ParticipantLeft B inferred",
		"HandRaised C inferred",
		"ParticipantJoined D inferred",
	})
	s = st.Snapshot()
	eq(t, "resynced", len(s.Resyncing), 0)
	eq(t, "roster", roster(s), []string{"A=Ann Li/ordinary/", "C=Cai/ordinary/H", "D=Dan/ordinary/"})

	// Later pushes of a resynced type are live again.
	apply(st, sc.delta(parts(leave("D")), 3))
	eq(t, "live after resync", brief(rec.take()), []string{"ParticipantLeft D"})
}

func TestResyncDiffCases(t *testing.T) {
	cases := []struct {
		name  string
		blind func(sc *script) []events.Event // between Resubscribed and the fresh snapshot
		fresh []events.Participant
		want  []string
	}{
		{
			name:  "identical snapshot reports nothing",
			fresh: []events.Participant{join("A", "Ann", 1), join("B", "Bob", 2)},
		},
		{
			name:  "only the participant who left",
			fresh: []events.Participant{join("A", "Ann", 1)},
			want:  []string{"ParticipantLeft B inferred"},
		},
		{
			name:  "a newcomer ahead of everyone and a leaver",
			fresh: []events.Participant{join("C", "Cai", 0), join("A", "Ann", 1)},
			want:  []string{"ParticipantLeft B inferred", "ParticipantJoined C inferred"},
		},
		{
			name:  "a rejoin moves a participant without changing them",
			fresh: []events.Participant{join("B", "Bob", 2), join("A", "Ann", 5)},
		},
		{
			name:  "an entry removed after it was listed is gone",
			fresh: []events.Participant{join("A", "Ann", 1), join("B", "Bob", 2), leave("B")},
			want:  []string{"ParticipantLeft B inferred"},
		},
		{
			name:  "of an entry listed twice the last counts",
			fresh: []events.Participant{join("A", "Ann", 1), join("B", "Bob", 2), leave("A"), join("A", "Ann", 1, "HAND", "1")},
			want:  []string{"HandRaised A inferred"},
		},
		{
			name: "a delta before the fresh snapshot is folded into the diff",
			blind: func(sc *script) []events.Event {
				return []events.Event{sc.delta(parts(leave("B")), 400)}
			},
			fresh: []events.Participant{join("A", "Ann", 1)},
			want:  []string{"ParticipantLeft B inferred"},
		},
		{
			name: "a second outage before the snapshot keeps the first baseline",
			blind: func(sc *script) []events.Event {
				return []events.Event{
					&events.Disconnected{At: sc.at},
					&events.Resubscribed{BlindFrom: sc.at, BlindTo: sc.at},
				}
			},
			fresh: []events.Participant{join("A", "Ann", 1, "MUTE", "1"), join("B", "Bob", 2)},
			want:  []string{"Muted A inferred"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sc := newScript()
			rec := &recorder{}
			st := meeting.New(meeting.Config{OnChange: rec.on})
			apply(st, &events.Subscribed{At: t0}, sc.full(parts(join("A", "Ann", 1), join("B", "Bob", 2))))
			apply(st, &events.Disconnected{At: sc.at}, &events.Resubscribed{BlindFrom: sc.at, BlindTo: sc.at})
			if tc.blind != nil {
				apply(st, tc.blind(sc)...)
			}
			apply(st, sc.full(parts(tc.fresh...)))
			eq(t, "changes", brief(rec.take()), append([]string{}, tc.want...))
		})
	}
}

// TestSubscribedAgain treats a second Subscribed (a State reused for a new
// session) like a resubscribe instead of a new initial picture.
func TestSubscribedAgain(t *testing.T) {
	sc := newScript()
	rec := &recorder{}
	st := meeting.New(meeting.Config{OnChange: rec.on})
	apply(st, &events.Subscribed{At: t0}, sc.full(parts(join("A", "Ann", 1))))
	apply(st, &events.Subscribed{At: sc.at}, sc.full(parts(join("B", "Bob", 2))))
	eq(t, "changes", brief(rec.take()), []string{"ParticipantLeft A inferred", "ParticipantJoined B inferred"})
}
