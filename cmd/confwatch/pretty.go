package main

import (
	"fmt"
	"strings"

	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
	"github.com/confwatch/confwatch/internal/record"
)

// The pretty format tells the meeting in words, one line per change. Every
// string here ends up in emitPretty, which passes it through terminal().

// describeChange is a change for people: names, not PIDs.
func describeChange(c record.NamedChange) string {
	switch c.Kind {
	case meeting.SpeakersChanged:
		if len(c.SpeakerNames) == 0 {
			return inferred("nobody is speaking", c.Inferred)
		}
		return inferred("speaking: "+strings.Join(c.SpeakerNames, ", "), c.Inferred)
	case meeting.ParticipantRenamed:
		return inferred(fmt.Sprintf("%s is now called %s", c.From, c.To), c.Inferred)
	case meeting.MeetingEnded:
		return "the meeting ended"
	}
	return c.Change.String() // names the person, and marks a change found after an outage
}

func inferred(s string, yes bool) string {
	if yes {
		return s + " (while disconnected)"
	}
	return s
}

// maxPresent is how many people the present line names.
const maxPresent = 12

// describePresent says who is in the meeting and how it stands.
func describePresent(s *meeting.Snapshot) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d in the meeting", s.Participants.Len())
	if s.Title != "" {
		fmt.Fprintf(&b, " %q", s.Title)
	}
	for i, p := range s.Participants.All() {
		if i == maxPresent {
			fmt.Fprintf(&b, ", and %d more", s.Participants.Len()-maxPresent)
			break
		}
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString(", ")
		}
		b.WriteString(describePerson(p))
	}
	if _, ok := s.Versions[events.ActionConfDynamicInfo]; ok {
		b.WriteString("; " + yesNo(s.Status.Locked, "locked", "unlocked") + ", " + yesNo(s.Status.Recording, "recording", "not recording"))
	}
	return b.String()
}

// describePerson is a name with what stands out about the person.
func describePerson(p meeting.Participant) string {
	var attrs []string
	if p.Role == "host" {
		attrs = append(attrs, "host")
	}
	for _, a := range []struct {
		on   bool
		what string
	}{{p.HandRaised, "hand up"}, {p.Muted, "muted"}, {p.Sharing, "sharing"}, {p.Speaking, "speaking"}} {
		if a.on {
			attrs = append(attrs, a.what)
		}
	}
	name := firstNonEmpty(p.Name, p.PID)
	if len(attrs) == 0 {
		return name
	}
	return name + " (" + strings.Join(attrs, ", ") + ")"
}

func yesNo(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

// pushNote is what a push says that the meeting's changes do not: the
// waiting room, invite results, captions. before is the picture before a
// waiting-room push, after gets the one after the push; "" means nothing
// to say.
func pushNote(e *events.Push, before *meeting.Snapshot, after func() *meeting.Snapshot) string {
	var parts []string
	switch p := e.Payload.(type) {
	case *events.WaitingListNotify:
		if e.Mode == events.ModeFull {
			return "" // the waiting room as it was; its changes follow
		}
		for _, m := range p.Members {
			parts = append(parts, waitingNote(m, before))
		}
	case *events.InviteResultNotify:
		if e.Mode == events.ModeFull {
			return ""
		}
		for _, r := range p.Results {
			parts = append(parts, fmt.Sprintf("invite to %s: result %s", r.CallNumber, r.Code))
		}
	case *events.RealTimeSubtitleNotify:
		for _, m := range p.Msgs {
			parts = append(parts, fmt.Sprintf("caption %s: %s", personName(after(), p.ParticipantID), m.Text))
		}
	}
	return strings.Join(parts, "; ")
}

func waitingNote(m events.Participant, before *meeting.Snapshot) string {
	var known *meeting.WaitingMember
	for i := range before.WaitingRoom {
		if before.WaitingRoom[i].PID == m.PID {
			known = &before.WaitingRoom[i]
		}
	}
	name := m.Info.Name()
	if name == "" && known != nil {
		name = known.Name
	}
	name = firstNonEmpty(name, m.PID)
	switch {
	case m.Removed():
		return name + " left the waiting room"
	case m.Info[events.KeyWaiting] == "1":
		return name + " was let in from the waiting room"
	case known == nil:
		return name + " is waiting in the waiting room"
	}
	return name + " is still waiting"
}

// personName names pid from the roster, else from the speakers, else
// gives the PID.
func personName(s *meeting.Snapshot, pid string) string {
	if p, ok := s.Participant(pid); ok && p.Name != "" {
		return p.Name
	}
	for _, sp := range s.Speakers {
		if sp.PID == pid && sp.Name != "" {
			return sp.Name
		}
	}
	return pid
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
