package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/events/meeting"
)

// TestMessageCaptionsAndStatus: the page gets the last few sentences of
// everyone, oldest first, named from the roster (else as logged, else by
// pid), and the status fields its cards show.
func TestMessageCaptionsAndStatus(t *testing.T) {
	t0 := time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)
	s := &meeting.Snapshot{
		Status:       meeting.Status{State: "Created", WaitingRoom: true, CallInRestriction: 3, AudienceCount: 360, Paused: true},
		Participants: meeting.NewRoster(meeting.Participant{PID: "a", Name: "Ann Li"}),
		Captions: map[string][]meeting.Caption{
			"a":    {{Name: "Ann", Text: "a1", At: t0.Add(1 * time.Second)}, {Name: "Ann", Text: "a2", At: t0.Add(4 * time.Second)}},
			"gone": {{Name: "Bob", Text: "b1", At: t0.Add(2 * time.Second)}},
			"anon": {{Text: "?", At: t0.Add(3 * time.Second)}},
		},
	}
	for i := range maxCaptions {
		s.Captions["old"] = append(s.Captions["old"], meeting.Caption{Name: "Old", Text: fmt.Sprint(i), At: t0.Add(-time.Hour)})
	}
	m := newMessage(1, s, connection{State: connLive})
	var got []string
	for _, c := range m.Captions {
		got = append(got, c.Name+": "+c.Text)
	}
	want := []string{"Old: 4", "Old: 5", "Old: 6", "Old: 7", "Ann Li: a1", "Bob: b1", "anon: ?", "Ann Li: a2"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("captions %q, want %q", got, want)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"waitingRoom":true`, `"callInRestriction":3`, `"audienceCount":360`, `"paused":true`, `"captions":[{`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("message lacks %s: %s", key, b)
		}
	}
	if empty, _ := json.Marshal(newMessage(1, nil, connection{})); !strings.Contains(string(empty), `"captions":[]`) {
		t.Errorf("empty message: %s", empty)
	}
}
