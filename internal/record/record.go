// Package record builds the one JSON record per event that `confwatch tail`
// prints as a line of NDJSON and that the fleet publishes to JetStream, so
// that both produce byte-identical records from the same event.
//
//	r, ok := record.FromEvent(conference, ev) // a push or a status
//	line := r.Marshal()                       // JSON, no trailing newline
//
// The schema is stable: fields are only ever added. Building a record
// keeps no reference to anything but the event's own values; Marshal never
// fails (a value that cannot be encoded becomes a record of kind "error").
package record

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
)

// Record kinds.
const (
	KindPush     = "push"
	KindStatus   = "status"
	KindChange   = "change"
	KindSnapshot = "snapshot"
)

// Statuses of a KindStatus record. Ended or stopped is the last record of
// a run.
const (
	StatusSubscribed   = "subscribed"
	StatusDisconnected = "disconnected"
	StatusResubscribed = "resubscribed"
	StatusEnded        = "ended"
	StatusStopped      = "stopped"
)

// ParticipantPresent is the change kind of the records that say, after the
// first subscribe, who is already in the meeting (one per person).
const ParticipantPresent meeting.ChangeKind = "ParticipantPresent"

// Record is one event of a meeting as printed by tail and published by the
// fleet.
//
//	time        RFC 3339 with ms; the push's createTime, or when the event happened
//	conference  the meeting ID
//	kind        "push", "status", "change" or "snapshot"
//	action      push type (kind push)
//	mode        "full" or "delta" (kind push)
//	version     the push's version (kind push)
//	msgID       the push's message ID (kind push)
//	payload     the decoded payload (kind push); secrets and join links read REDACTED
//	status      "subscribed", "disconnected", "resubscribed"; last "ended" or "stopped" (kind status)
//	blindMs     how long no push could be received (status resubscribed)
//	reason      why the link was lost (disconnected) or the run stopped (stopped)
//	class       the failure class behind a stop: retry, reauth, wait or stop (stopped)
//	exitCode    the process's exit code (ended, stopped)
//	change      a semantic change (kind change), with the speakers' names
//	snapshot    the meeting's whole picture (kind snapshot); join links read REDACTED
type Record struct {
	Time       string          `json:"time"`
	Conference string          `json:"conference"`
	Kind       string          `json:"kind"`
	Action     string          `json:"action,omitempty"`
	Mode       string          `json:"mode,omitempty"`
	Version    int64           `json:"version,omitempty"`
	MsgID      string          `json:"msgID,omitempty"`
	Payload    any             `json:"payload,omitempty"`
	Status     string          `json:"status,omitempty"`
	BlindMs    int64           `json:"blindMs,omitempty"`
	Reason     string          `json:"reason,omitempty"`
	Class      string          `json:"class,omitempty"`
	ExitCode   *int            `json:"exitCode,omitempty"`
	Change     *NamedChange    `json:"change,omitempty"`
	Snapshot   json.RawMessage `json:"snapshot,omitempty"`
}

// NamedChange is a semantic change as recorded: the state's Change, and
// for SpeakersChanged the speakers' names beside their PIDs.
type NamedChange struct {
	meeting.Change
	SpeakerNames []string `json:"speakerNames,omitempty"`
}

// Stamp formats t as a record's time: RFC 3339, UTC, milliseconds.
func Stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// Push is the record of a push. An action events does not decode keeps
// its frame as received for payload. Join links in the payload read
// REDACTED (see ScrubLinks).
func Push(conference string, e *events.Push) Record {
	r := Record{Time: Stamp(e.CreateTime), Conference: conference, Kind: KindPush, Action: e.Action,
		Mode: e.Mode.String(), Version: e.Version, MsgID: e.MsgID}
	raw := json.RawMessage(e.Raw)
	if e.Payload != nil {
		b, err := json.Marshal(e.Payload)
		if err != nil {
			r.Payload = e.Payload // Marshal turns it into an error record
			return r
		}
		raw = b
	}
	r.Payload = json.RawMessage(ScrubLinks(raw))
	return r
}

// Status is the record of a lifecycle status. blind is rounded down to
// milliseconds.
func Status(conference string, at time.Time, status, reason string, blind time.Duration) Record {
	return Record{Time: Stamp(at), Conference: conference, Kind: KindStatus, Status: status,
		Reason: reason, BlindMs: blind.Milliseconds()}
}

// Change is the record of a semantic change; speakerNames, for
// SpeakersChanged, name c.Speakers in order.
func Change(conference string, c meeting.Change, speakerNames ...string) Record {
	return Record{Time: Stamp(c.At), Conference: conference, Kind: KindChange, Change: &NamedChange{Change: c, SpeakerNames: speakerNames}}
}

// Present is the record saying that p was in the meeting when it was first
// seen, at at.
func Present(conference string, at time.Time, p meeting.Participant) Record {
	return Change(conference, meeting.Change{Kind: ParticipantPresent, At: at, PID: p.PID, Name: p.Name})
}

// Snapshot is the record of the meeting's whole picture.
func Snapshot(conference string, s *meeting.Snapshot) Record {
	r := Record{Time: Stamp(s.UpdatedAt), Conference: conference, Kind: KindSnapshot}
	b, err := json.Marshal(s)
	if err != nil {
		return Record{Time: r.Time, Conference: conference, Kind: "error", Reason: err.Error()}
	}
	r.Snapshot = ScrubLinks(b)
	return r
}

// End is the last record of a run: StatusEnded when the meeting ended,
// else StatusStopped with why and the class of the failure behind it.
func End(conference string, at time.Time, status, reason, class string, exitCode int) Record {
	return Record{Time: Stamp(at), Conference: conference, Kind: KindStatus, Status: status,
		Reason: reason, Class: class, ExitCode: &exitCode}
}

// FromEvent is the record of one event of a session's stream: a push, or
// the status a lifecycle event stands for. It reports false for events
// that have no record.
func FromEvent(conference string, e events.Event) (Record, bool) {
	switch e := e.(type) {
	case *events.Push:
		return Push(conference, e), true
	case *events.Subscribed:
		return Status(conference, e.At, StatusSubscribed, "", 0), true
	case *events.Disconnected:
		return Status(conference, e.At, StatusDisconnected, fmt.Sprint(e.Err), 0), true
	case *events.Resubscribed:
		// At least 1 ms, so that blindMs is present even for a very short
		// outage.
		return Status(conference, e.BlindTo, StatusResubscribed, "", max(e.Blind(), time.Millisecond)), true
	}
	return Record{}, false
}

// Marshal encodes r as JSON without a trailing newline. A record whose
// payload cannot be encoded becomes a record of kind "error" that says why.
func (r Record) Marshal() []byte {
	b, err := json.Marshal(r)
	if err != nil {
		b, _ = json.Marshal(Record{Time: r.Time, Conference: r.Conference, Kind: "error", Reason: err.Error()})
	}
	return b
}
