package main

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/confwatch/confwatch/events/meeting"
)

func TestFleetSourceOwnerChanges(t *testing.T) {
	for _, tc := range []struct {
		name   string
		owners []string // setOwner calls, in order
		want   []string // "from>to" of each owner change
		state  string   // the link state after them, with a picture
	}{
		{"first owner is no change", []string{"w1-a"}, nil, connLive},
		{"repeat", []string{"w1-a", "w1-a"}, nil, connLive},
		{"failover through a gap", []string{"w1-a", "", "w2-b"}, []string{"w1-a>w2-b"}, connLive},
		{"handover without a gap", []string{"w1-a", "w2-b"}, []string{"w1-a>w2-b"}, connLive},
		{"lease expired, not yet claimed", []string{"w1-a", ""}, nil, connUnowned},
		{"back to the same worker", []string{"w1-a", "", "w1-a"}, nil, connLive},
		{"none at first", []string{""}, nil, connUnowned},
		{"two moves", []string{"w1-a", "", "w2-b", "", "w3-c"}, []string{"w1-a>w2-b", "w2-b>w3-c"}, connLive},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at := time.Date(2026, 1, 6, 9, 0, 0, 0, time.UTC)
			f := newFleetSource(func() time.Time { at = at.Add(time.Second); return at }, nil)
			f.setState(&meeting.Snapshot{ConferenceID: "1"})
			for _, o := range tc.owners {
				f.setOwner(o)
			}
			var got []string
			for _, oc := range f.Fleet().OwnerChanges {
				got = append(got, oc.From+">"+oc.To)
				if oc.At.IsZero() {
					t.Errorf("owner change %+v has no time", oc)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("owner changes %q, want %q", got, tc.want)
			}
			if c := f.Connection(); c.State != tc.state {
				t.Errorf("link state %q, want %q", c.State, tc.state)
			}
		})
	}
}

func TestFleetSourceStates(t *testing.T) {
	down := false
	f := newFleetSource(nil, func() bool { return down })
	if c := f.Connection(); c.State != connConnecting {
		t.Errorf("before any picture: %q, want connecting", c.State)
	}
	f.setOwner("w1-a")
	f.setState(&meeting.Snapshot{ConferenceID: "1"})
	f.setState(nil) // a deleted key keeps the picture
	if f.Snapshot() == nil || f.Connection().State != connLive {
		t.Errorf("picture %v, state %q: want the picture kept, live", f.Snapshot(), f.Connection().State)
	}
	down = true
	if c := f.Connection(); c.State != connReconnecting {
		t.Errorf("NATS down: %q, want reconnecting", c.State)
	}
	down = false
	f.setState(&meeting.Snapshot{ConferenceID: "1", Status: meeting.Status{State: "Destroyed"}})
	if c := f.Connection(); c.State != connEnded {
		t.Errorf("meeting ended: %q, want ended", c.State)
	}
}

func TestFleetSourceKeepsTheLatestChanges(t *testing.T) {
	f := newFleetSource(nil, nil)
	for i := range maxChanges + 5 {
		f.addChange(meeting.Change{Kind: meeting.ParticipantJoined, PID: fmt.Sprint(i), Name: fmt.Sprint("P", i), Inferred: i%2 == 0})
	}
	got := f.Fleet().Changes
	if len(got) != maxChanges || got[0].Text != "P5 joined" || got[len(got)-1].Text != fmt.Sprintf("P%d joined (while disconnected)", maxChanges+4) || !got[len(got)-1].Inferred {
		t.Errorf("changes kept: %d, first %+v, last %+v", len(got), got[0], got[len(got)-1])
	}
	select {
	case <-f.Changed():
	default:
		t.Error("no change signalled")
	}
}
