package meeting_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
)

// TestScriptedMeeting drives a meeting through joins, hand raises, mutes,
// renames, locks, speakers, shares, a leave and the end, checking the
// roster and the changes after every step.
func TestScriptedMeeting(t *testing.T) {
	sc := newScript()
	type step struct {
		name        string
		events      []events.Event
		wantRoster  []string
		wantChanges []string
		check       func(t *testing.T, s *meeting.Snapshot)
	}
	steps := []step{
		{
			name: "initial picture reports nothing",
			events: []events.Event{
				&events.Subscribed{At: t0},
				sc.full(&events.ConfBasicInfoNotify{Title: "Weekly", DisplayID: confID}),
				sc.full(dyn("Created", 0, 0)),
				sc.full(parts(join("A", "Ann", 1, events.KeyRole, "1"), join("B", "Bob", 2))),
				sc.full(speakers()),
			},
			wantRoster: []string{"A=Ann/host/", "B=Bob/ordinary/"},
			check: func(t *testing.T, s *meeting.Snapshot) {
				eq(t, "connected", s.Connected, true)
				eq(t, "title", s.Title, "Weekly")
			},
		},
		{
			name:        "someone joins",
			events:      []events.Event{sc.delta(parts(join("C", "Cai", 3)), 10)},
			wantRoster:  []string{"A=Ann/host/", "B=Bob/ordinary/", "C=Cai/ordinary/"},
			wantChanges: []string{"ParticipantJoined C"},
		},
		{
			name:        "hand up and mute in one delta, ordered by PID",
			events:      []events.Event{sc.delta(parts(set("B", "HAND", "1"), set("A", "MUTE", "1")), 11)},
			wantRoster:  []string{"A=Ann/host/M", "B=Bob/ordinary/H", "C=Cai/ordinary/"},
			wantChanges: []string{"Muted A", "HandRaised B"},
		},
		{
			name:       "restating a raised hand reports nothing",
			events:     []events.Event{sc.delta(parts(set("B", "HAND", "1")), 12)},
			wantRoster: []string{"A=Ann/host/M", "B=Bob/ordinary/H", "C=Cai/ordinary/"},
		},
		{
			name:        "lock and record",
			events:      []events.Event{sc.full(dyn("Created", 1, 1))},
			wantRoster:  []string{"A=Ann/host/M", "B=Bob/ordinary/H", "C=Cai/ordinary/"},
			wantChanges: []string{"MeetingLocked", "RecordingStarted"},
			check: func(t *testing.T, s *meeting.Snapshot) {
				eq(t, "locked", s.Status.Locked, true)
				eq(t, "recording", s.Status.Recording, true)
			},
		},
		{
			name:        "speakers, loudest first",
			events:      []events.Event{sc.full(speakers("A", 30, "C", 50))},
			wantRoster:  []string{"A=Ann/host/MT", "B=Bob/ordinary/H", "C=Cai/ordinary/T"},
			wantChanges: []string{"SpeakersChanged [C A]"},
		},
		{
			name:       "volume change alone reports nothing",
			events:     []events.Event{sc.push(speakers("C", 60, "A", 20), events.ModeDelta, 3)},
			wantRoster: []string{"A=Ann/host/MT", "B=Bob/ordinary/H", "C=Cai/ordinary/T"},
			check: func(t *testing.T, s *meeting.Snapshot) {
				eq(t, "volumes", s.Speakers, []meeting.Speaker{{PID: "C", Volume: 60}, {PID: "A", Volume: 20}})
			},
		},
		{
			name:        "rename and demote",
			events:      []events.Event{sc.delta(parts(set("A", "NAME", "Ann Li", "ROLE", "0")), 13)},
			wantRoster:  []string{"A=Ann Li/ordinary/MT", "B=Bob/ordinary/H", "C=Cai/ordinary/T"},
			wantChanges: []string{"ParticipantRenamed A Ann->Ann Li", "RoleChanged A host->ordinary"},
		},
		{
			name:        "share, lower hand, unmute",
			events:      []events.Event{sc.delta(parts(set("C", "SHARE", "1"), set("B", "HAND", "0"), set("A", "MUTE", "0")), 14)},
			wantRoster:  []string{"A=Ann Li/ordinary/T", "B=Bob/ordinary/", "C=Cai/ordinary/ST"},
			wantChanges: []string{"Unmuted A", "HandLowered B", "SharingStarted C"},
		},
		{
			name:        "a speaker leaves",
			events:      []events.Event{sc.delta(parts(leave("C")), 15), sc.full(speakers("A", 40))},
			wantRoster:  []string{"A=Ann Li/ordinary/T", "B=Bob/ordinary/"},
			wantChanges: []string{"ParticipantLeft C", "SpeakersChanged [A]"},
		},
		{
			name:        "the meeting ends",
			events:      []events.Event{sc.full(dyn("Destroyed", 0, 0))},
			wantRoster:  []string{"A=Ann Li/ordinary/T", "B=Bob/ordinary/"},
			wantChanges: []string{"MeetingUnlocked", "RecordingStopped", "MeetingEnded"},
		},
	}
	rec := &recorder{}
	st := meeting.New(meeting.Config{OnChange: rec.on})
	for _, s := range steps {
		apply(st, s.events...)
		snap := st.Snapshot()
		if got := roster(snap); !slices.Equal(got, s.wantRoster) {
			t.Errorf("%s: roster = %q, want %q", s.name, got, s.wantRoster)
		}
		if got := brief(rec.take()); !slices.Equal(got, s.wantChanges) {
			t.Errorf("%s: changes = %q, want %q", s.name, got, s.wantChanges)
		}
		if s.check != nil {
			s.check(t, snap)
		}
	}
	eq(t, "stats", st.Stats(), meeting.Stats{Applied: 15})
}

// TestChangeFields checks what a change carries besides its kind.
func TestChangeFields(t *testing.T) {
	sc := newScript()
	rec := &recorder{}
	now := t0.Add(time.Hour)
	st := meeting.New(meeting.Config{OnChange: rec.on, Clock: clockAt(now)})
	apply(st, sc.full(parts(join("A", "Ann", 1))))
	p := sc.delta(parts(leave("A")), 7)
	apply(st, p)
	got := rec.take()
	eq(t, "changes", got, []meeting.Change{{Kind: meeting.ParticipantLeft, At: p.CreateTime, PID: "A", Name: "Ann"}})

	// A push without createTime is dated by the clock.
	p = sc.delta(parts(join("B", "Bob", 2)), 8)
	p.CreateTime = time.Time{}
	apply(st, p)
	eq(t, "changes", rec.take(), []meeting.Change{{Kind: meeting.ParticipantJoined, At: now, PID: "B", Name: "Bob"}})
	eq(t, "updated", st.Snapshot().UpdatedAt, now)
}

func TestIgnored(t *testing.T) {
	sc := newScript()
	st := meeting.New(meeting.Config{})
	other := sc.full(parts(join("X", "Xu", 1)))
	other.ConfID = "111"
	apply(st,
		sc.full(parts(join("A", "Ann", 1))),
		other,
		sc.push(nil, events.ModeFull, 0),
		sc.push((*events.ParticipantsNotify)(nil), events.ModeFull, 0),
		sc.push((*events.RealTimeSubtitleNotify)(nil), events.ModeDelta, 1),
	)
	eq(t, "stats", st.Stats(), meeting.Stats{Applied: 1, Ignored: 4})
	eq(t, "roster", roster(st.Snapshot()), []string{"A=Ann/ordinary/"})
}

func TestEntryTypes(t *testing.T) {
	sc := newScript()
	st := meeting.New(meeting.Config{InviteResults: 3})
	waiting := func(mode int, pid string, kv ...string) events.Participant {
		return events.Participant{PID: pid, Mode: mode, Info: set(pid, kv...).Info}
	}
	net := func(mode int, pid, info string) events.NetCondition {
		return events.NetCondition{ParticipantID: pid, Mode: mode, NetInfo: info}
	}
	att := func(mode int, uuid, name string) events.Attendee {
		return events.Attendee{UserUUID: uuid, Mode: mode, Name: name}
	}
	invite := func(nums ...string) *events.InviteResultNotify {
		n := &events.InviteResultNotify{}
		for _, c := range nums {
			n.Results = append(n.Results, events.InviteResult{CallNumber: c, Code: "0"})
		}
		return n
	}
	apply(st,
		sc.full(&events.WaitingListNotify{Members: []events.Participant{waiting(0, "W1", "NAME", "Wu", "ADDTIME", "2"), waiting(0, "W2", "NAME", "Xi", "ADDTIME", "1")}}),
		sc.delta(&events.WaitingListNotify{Members: []events.Participant{waiting(0, "W1", "WAITINGSTATE", "1"), waiting(1, "W2")}}, 1),
		sc.full(&events.NetConditionNotify{Conditions: []events.NetCondition{net(0, "A", "good"), net(0, "B", "bad")}}),
		sc.delta(&events.NetConditionNotify{Conditions: []events.NetCondition{net(1, "A", ""), net(0, "B", "good")}}, 1),
		sc.full(&events.AttendeesNotify{Attendees: []events.Attendee{att(0, "u1", "Zed"), att(0, "u2", "Amy")}}),
		sc.delta(&events.AttendeesNotify{Attendees: []events.Attendee{att(1, "u1", ""), att(0, "u3", "Bea")}}, 1),
		sc.full(invite("1", "2")),
		sc.delta(invite("3"), 1),
		sc.delta(invite("4", "5", "6", "7"), 2),
	)
	s := st.Snapshot()
	eq(t, "waiting", len(s.WaitingRoom), 1)
	eq(t, "admitted", s.WaitingRoom[0].Admitted && s.WaitingRoom[0].Name == "Wu", true)
	eq(t, "net", s.NetConditions, map[string]meeting.NetCondition{"B": {NetInfo: "good"}})
	var names []string
	for _, a := range s.Attendees {
		names = append(names, a.Name)
	}
	eq(t, "attendees", names, []string{"Amy", "Bea"})
	var nums []string
	for _, r := range s.InviteResults {
		nums = append(nums, r.CallNumber)
	}
	eq(t, "invite results keep the last 3", nums, []string{"5", "6", "7"})
}

func TestConfig(t *testing.T) {
	bad := meeting.Config{InviteResults: -1, Captions: meeting.MaxCaptions + 1}
	err := bad.Validate()
	if err == nil || !strings.Contains(err.Error(), "InviteResults") || !strings.Contains(err.Error(), "Captions") {
		t.Errorf("Validate = %v, want both problems", err)
	}
	if err := (meeting.Config{Captions: -1}).Validate(); err == nil {
		t.Error("negative Captions accepted")
	}
	if err := (meeting.Config{Captions: meeting.MaxCaptions}).Validate(); err != nil {
		t.Errorf("Captions = MaxCaptions: %v", err)
	}
	if err := (meeting.Config{}).Validate(); err != nil {
		t.Errorf("zero Config: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("New accepted an invalid Config")
		}
	}()
	meeting.New(bad)
}

func TestChangeString(t *testing.T) {
	cases := []struct {
		c    meeting.Change
		want string
	}{
		{meeting.Change{Kind: meeting.ParticipantJoined, PID: "A", Name: "Ann"}, "Ann joined"},
		{meeting.Change{Kind: meeting.ParticipantLeft, PID: "A", Inferred: true}, "A left (while disconnected)"},
		{meeting.Change{Kind: meeting.ParticipantRenamed, From: "Ann", To: "Ann Li"}, `"Ann" renamed to "Ann Li"`},
		{meeting.Change{Kind: meeting.RoleChanged, Name: "Ann", From: "", To: "host"}, "Ann changed role from none to host"},
		{meeting.Change{Kind: meeting.HandRaised, Name: "Ann"}, "Ann raised a hand"},
		{meeting.Change{Kind: meeting.HandLowered, Name: "Ann"}, "Ann lowered a hand"},
		{meeting.Change{Kind: meeting.Muted, Name: "Ann"}, "Ann was muted"},
		{meeting.Change{Kind: meeting.Unmuted, Name: "Ann"}, "Ann was unmuted"},
		{meeting.Change{Kind: meeting.SharingStarted, Name: "Ann"}, "Ann started sharing"},
		{meeting.Change{Kind: meeting.SharingStopped, Name: "Ann"}, "Ann stopped sharing"},
		{meeting.Change{Kind: meeting.SpeakersChanged, Speakers: []string{"A", "B"}}, "speaking: A, B"},
		{meeting.Change{Kind: meeting.SpeakersChanged}, "nobody is speaking"},
		{meeting.Change{Kind: meeting.MeetingLocked}, "meeting locked"},
		{meeting.Change{Kind: meeting.MeetingUnlocked}, "meeting unlocked"},
		{meeting.Change{Kind: meeting.RecordingStarted}, "recording started"},
		{meeting.Change{Kind: meeting.RecordingStopped}, "recording stopped"},
		{meeting.Change{Kind: meeting.CaptionsStarted}, "live captions started"},
		{meeting.Change{Kind: meeting.CaptionsStopped}, "live captions stopped"},
		{meeting.Change{Kind: meeting.MeetingPaused}, "meeting paused"},
		{meeting.Change{Kind: meeting.MeetingResumed}, "meeting resumed"},
		{meeting.Change{Kind: meeting.WaitingRoomEnabled}, "waiting room on"},
		{meeting.Change{Kind: meeting.WaitingRoomDisabled}, "waiting room off"},
		{meeting.Change{Kind: meeting.MeetingEnded, Inferred: true}, "meeting ended (while disconnected)"},
		{meeting.Change{Kind: "Unheard", PID: "A"}, "Unheard A"},
	}
	for _, tc := range cases {
		eq(t, string(tc.c.Kind), tc.c.String(), tc.want)
	}
}
