package main

import (
	"cmp"
	"slices"
	"time"

	"github.com/confwatch/confwatch/events/meeting"
)

// message is what the page receives, whole, in every Server-Sent Event and
// from /state. It is built from a meeting.Snapshot but carries only what
// the page shows: an allowlist, so that pinfoMap keys (phone numbers,
// account IDs, whatever the vendor adds) never reach a browser.
type message struct {
	// Seq numbers the messages of one server, from 1.
	Seq          uint64         `json:"seq"`
	ConferenceID string         `json:"conferenceId"`
	Title        string         `json:"title"`
	Status       meeting.Status `json:"status"`
	Participants []participant  `json:"participants"`
	Speakers     []speaker      `json:"speakers"`
	WaitingRoom  []waiting      `json:"waitingRoom"`
	// Captions are the latest final live-caption sentences of everyone,
	// oldest first, at most maxCaptions.
	Captions []caption `json:"captions"`
	// Resyncing lists the push types still waiting for their fresh
	// snapshot after a reconnect: until it is empty, part of the picture
	// is from before the outage.
	Resyncing []string `json:"resyncing"`
	// UpdatedAt is the creation time of the last push applied.
	UpdatedAt  time.Time  `json:"updatedAt,omitzero"`
	Connection connection `json:"connection"`
	// Fleet is set when the meeting is read from a fleet (-nats).
	Fleet *fleetView `json:"fleet,omitempty"`
}

type participant struct {
	PID        string `json:"pid"`
	Name       string `json:"name"`
	Role       string `json:"role"`
	HandRaised bool   `json:"handRaised"`
	Muted      bool   `json:"muted"`
	Sharing    bool   `json:"sharing"`
	Video      bool   `json:"video"`
	Speaking   bool   `json:"speaking"`
	LoginType  string `json:"loginType,omitempty"`
}

type speaker struct {
	PID  string `json:"pid"`
	Name string `json:"name"`
}

// caption is one caption sentence as the page shows it: who, what, when.
type caption struct {
	Name string    `json:"name"`
	Text string    `json:"text"`
	At   time.Time `json:"at,omitzero"`
}

// maxCaptions is how many sentences the page shows.
const maxCaptions = 8

type waiting struct {
	PID      string `json:"pid"`
	Name     string `json:"name"`
	Admitted bool   `json:"admitted"`
}

// Connection states.
const (
	connConnecting   = "connecting"   // before the first subscribe
	connLive         = "live"         // subscribed
	connReconnecting = "reconnecting" // link lost; the picture may be stale
	connEnded        = "ended"        // the meeting ended; the picture is final
	connStopped      = "stopped"      // the session gave up (see the log)
	// connUnowned (fleetsource.go): no fleet worker holds the meeting.
)

// connection is the session's link as the page's banner shows it.
type connection struct {
	State string `json:"state"`
	// BlindMs is how long the last outage lasted, in ms, from the moment
	// the link was lost to the new Subscribe; 0 before any outage.
	BlindMs int64 `json:"blindMs"`
	// Since is when State began.
	Since time.Time `json:"since,omitzero"`
	// Outages counts the links lost (or resynced) so far.
	Outages int `json:"outages"`
}

// newMessage projects s and c into what the page shows. s may be nil
// (nothing received yet).
func newMessage(seq uint64, s *meeting.Snapshot, c connection) message {
	m := message{
		Seq: seq, Connection: c,
		Participants: []participant{}, Speakers: []speaker{}, WaitingRoom: []waiting{}, Resyncing: []string{},
		Captions: []caption{},
	}
	if s == nil {
		return m
	}
	m.ConferenceID, m.Title, m.Status, m.UpdatedAt = s.ConferenceID, s.Title, s.Status, s.UpdatedAt
	m.Resyncing = append(m.Resyncing, s.Resyncing...)
	for _, p := range s.Participants.All() {
		m.Participants = append(m.Participants, participant{
			PID: p.PID, Name: p.Name, Role: p.Role, HandRaised: p.HandRaised, Muted: p.Muted,
			Sharing: p.Sharing, Video: p.Video, Speaking: p.Speaking, LoginType: p.LoginType,
		})
	}
	for _, sp := range s.Speakers {
		name := sp.Name
		if p, ok := s.Participant(sp.PID); ok && p.Name != "" {
			name = p.Name
		}
		m.Speakers = append(m.Speakers, speaker{PID: sp.PID, Name: name})
	}
	for _, w := range s.WaitingRoom {
		m.WaitingRoom = append(m.WaitingRoom, waiting{PID: w.PID, Name: w.Name, Admitted: w.Admitted})
	}
	m.Captions = latestCaptions(s)
	return m
}

// latestCaptions merges every participant's last sentences into the page's
// few, oldest first (ties by name, then text, for a stable order).
func latestCaptions(s *meeting.Snapshot) []caption {
	out := []caption{}
	for pid, list := range s.Captions {
		for _, c := range list {
			name := c.Name
			if p, ok := s.Participant(pid); ok && p.Name != "" {
				name = p.Name
			}
			out = append(out, caption{Name: cmp.Or(name, pid), Text: c.Text, At: c.At})
		}
	}
	slices.SortFunc(out, func(a, b caption) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Text, b.Text))
	})
	return out[max(0, len(out)-maxCaptions):]
}
