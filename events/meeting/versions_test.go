package meeting_test

import (
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
)

// TestVersions covers dropping stale, repeated and reordered pushes, and
// the rule that a delta after a full snapshot starts a new baseline.
func TestVersions(t *testing.T) {
	type want struct {
		roster []string
		stats  meeting.Stats
	}
	cases := []struct {
		name   string
		events func(sc *script) []events.Event
		want   want
	}{
		{
			name: "first delta after a snapshot is accepted whatever its version",
			events: func(sc *script) []events.Event {
				return []events.Event{
					sc.full(parts(join("A", "Ann", 1))),
					sc.delta(parts(set("A", "HAND", "1")), 9000),
				}
			},
			want: want{[]string{"A=Ann/ordinary/H"}, meeting.Stats{Applied: 2}},
		},
		{
			name: "same msgID twice",
			events: func(sc *script) []events.Event {
				p := sc.delta(parts(set("A", "HAND", "1")), 5)
				return []events.Event{sc.full(parts(join("A", "Ann", 1))), p, p}
			},
			want: want{[]string{"A=Ann/ordinary/H"}, meeting.Stats{Applied: 2, Duplicate: 1}},
		},
		{
			name: "same version, new msgID",
			events: func(sc *script) []events.Event {
				return []events.Event{
					sc.full(parts(join("A", "Ann", 1))),
					sc.delta(parts(set("A", "HAND", "1")), 5),
					sc.delta(parts(set("A", "HAND", "0")), 5),
				}
			},
			want: want{[]string{"A=Ann/ordinary/H"}, meeting.Stats{Applied: 2, Duplicate: 1}},
		},
		{
			name: "older delta is stale",
			events: func(sc *script) []events.Event {
				return []events.Event{
					sc.full(parts(join("A", "Ann", 1))),
					sc.delta(parts(set("A", "HAND", "1")), 5),
					sc.delta(parts(set("A", "MUTE", "1")), 6),
					sc.delta(parts(set("A", "HAND", "0")), 4),
				}
			},
			want: want{[]string{"A=Ann/ordinary/HM"}, meeting.Stats{Applied: 3, Stale: 1}},
		},
		{
			name: "reordered deltas: the late one is dropped, the early one is a gap",
			events: func(sc *script) []events.Event {
				return []events.Event{
					sc.full(parts(join("A", "Ann", 1))),
					sc.delta(parts(set("A", "HAND", "1")), 5),
					sc.delta(parts(set("A", "MUTE", "1")), 7),
					sc.delta(parts(set("A", "SHARE", "1")), 6),
				}
			},
			want: want{[]string{"A=Ann/ordinary/HM"}, meeting.Stats{Applied: 3, Stale: 1, Gaps: 1, ResyncsRequested: 1}},
		},
		{
			name: "older full snapshot is stale",
			events: func(sc *script) []events.Event {
				older := sc.full(parts(join("A", "Ann", 1)))
				newer := sc.full(parts(join("B", "Bob", 1)))
				return []events.Event{newer, older}
			},
			want: want{[]string{"B=Bob/ordinary/"}, meeting.Stats{Applied: 1, Stale: 1}},
		},
		{
			name: "a new snapshot resets the delta baseline",
			events: func(sc *script) []events.Event {
				return []events.Event{
					sc.full(parts(join("A", "Ann", 1))),
					sc.delta(parts(set("A", "HAND", "1")), 50),
					sc.full(parts(join("A", "Ann", 1))),
					sc.delta(parts(set("A", "MUTE", "1")), 3),
					sc.delta(parts(set("A", "SHARE", "1")), 4),
				}
			},
			want: want{[]string{"A=Ann/ordinary/MS"}, meeting.Stats{Applied: 5}},
		},
		{
			name: "a resubscribe resets the delta baseline",
			events: func(sc *script) []events.Event {
				return []events.Event{
					sc.full(parts(join("A", "Ann", 1))),
					sc.delta(parts(set("A", "HAND", "1")), 50),
					&events.Disconnected{At: sc.at},
					&events.Resubscribed{BlindFrom: sc.at, BlindTo: sc.at.Add(time.Second)},
					sc.delta(parts(set("A", "MUTE", "1")), 80),
				}
			},
			want: want{[]string{"A=Ann/ordinary/HM"}, meeting.Stats{Applied: 3}},
		},
		{
			name: "versions are per type",
			events: func(sc *script) []events.Event {
				return []events.Event{
					sc.full(parts(join("A", "Ann", 1))),
					sc.delta(parts(set("A", "HAND", "1")), 5),
					sc.delta(&events.WaitingListNotify{Members: []events.Participant{{PID: "W", Info: events.PInfo{"NAME": "Wu"}}}}, 2),
					sc.delta(parts(set("A", "MUTE", "1")), 6),
				}
			},
			want: want{[]string{"A=Ann/ordinary/HM"}, meeting.Stats{Applied: 4}},
		},
		{
			name: "whole-state types ignore gaps",
			events: func(sc *script) []events.Event {
				return []events.Event{
					sc.push(dyn("Created", 0, 0), events.ModeDelta, 3),
					sc.push(dyn("Created", 1, 0), events.ModeDelta, 9),
					sc.push(dyn("Created", 0, 0), events.ModeDelta, 8),
				}
			},
			want: want{[]string{}, meeting.Stats{Applied: 2, Stale: 1}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := meeting.New(meeting.Config{Resync: func(string) bool { return true }})
			apply(st, tc.events(newScript())...)
			eq(t, "roster", roster(st.Snapshot()), tc.want.roster)
			eq(t, "stats", st.Stats(), tc.want.stats)
		})
	}
}

// TestGapResync checks that every skipped version asks for a resync (the
// session rate-limits them, see connector's TestResyncIsRateLimited), that
// the gap delta itself is applied, and that consecutive deltas ask nothing.
func TestGapResync(t *testing.T) {
	fc := clockAt(t0)
	var reasons []string
	st := meeting.New(meeting.Config{Clock: fc, Resync: func(r string) bool { reasons = append(reasons, r); return true }})
	sc := newScript()
	apply(st,
		sc.full(parts(join("A", "Ann", 1), join("B", "Bob", 2))),
		sc.delta(parts(set("A", "HAND", "1")), 1),
		sc.delta(parts(set("B", "HAND", "1")), 3), // 2 is lost
	)
	eq(t, "calls after first gap", len(reasons), 1)
	if len(reasons) == 1 && !strings.Contains(reasons[0], "ParticipantsNotify delta version 3 after 1") {
		t.Errorf("reason = %q", reasons[0])
	}
	eq(t, "gap delta applied", roster(st.Snapshot()), []string{"A=Ann/ordinary/H", "B=Bob/ordinary/H"})

	apply(st, sc.delta(parts(set("A", "MUTE", "1")), 6))
	eq(t, "calls after second gap", len(reasons), 2)
	eq(t, "stats", st.Stats(), meeting.Stats{Applied: 4, Gaps: 2, ResyncsRequested: 2})

	// Consecutive deltas are no gap.
	apply(st, sc.delta(parts(set("B", "MUTE", "0")), 7))
	eq(t, "calls after a good delta", len(reasons), 2)
}

// TestGapResyncRefused: a request the session refuses (its rate limit) is
// counted as suppressed, and the next gap asks again.
func TestGapResyncRefused(t *testing.T) {
	calls, take := 0, false
	st := meeting.New(meeting.Config{Clock: clockAt(t0), Resync: func(string) bool { calls++; return take }})
	sc := newScript()
	apply(st, sc.full(parts(join("A", "Ann", 1))), sc.delta(parts(set("A", "HAND", "1")), 1))
	apply(st, sc.delta(parts(set("A", "HAND", "0")), 3))
	take = true
	apply(st, sc.delta(parts(set("A", "HAND", "1")), 5))
	apply(st, sc.delta(parts(set("A", "HAND", "0")), 7))
	eq(t, "calls", calls, 3)
	eq(t, "stats", st.Stats(), meeting.Stats{Applied: 5, Gaps: 3, ResyncsRequested: 2, ResyncsSuppressed: 1})
}
