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
	KindPush   = "push"
	KindStatus = "status"
	KindChange = "change"
)

// Statuses of a KindStatus record.
const (
	StatusSubscribed   = "subscribed"
	StatusDisconnected = "disconnected"
	StatusResubscribed = "resubscribed"
)

// Record is one event of a meeting as printed by tail and published by the
// fleet.
//
//	time        RFC 3339 with ms; the push's createTime, or when the event happened
//	conference  the meeting ID
//	kind        "push", "status" or "change"
//	action      push type (kind push)
//	mode        "full" or "delta" (kind push)
//	version     the push's version (kind push)
//	msgID       the push's message ID (kind push)
//	payload     the decoded payload (kind push); secrets read REDACTED
//	status      "subscribed", "disconnected" or "resubscribed" (kind status)
//	blindMs     how long no push could be received (status resubscribed)
//	reason      why the link was lost (status disconnected)
//	change      a semantic change (kind change)
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
	Change     *meeting.Change `json:"change,omitempty"`
}

// Stamp formats t as a record's time: RFC 3339, UTC, milliseconds.
func Stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// Push is the record of a push. An action events does not decode keeps
// its frame as received for payload.
func Push(conference string, e *events.Push) Record {
	r := Record{Time: Stamp(e.CreateTime), Conference: conference, Kind: KindPush, Action: e.Action,
		Mode: e.Mode.String(), Version: e.Version, MsgID: e.MsgID, Payload: e.Payload}
	if e.Payload == nil {
		r.Payload = json.RawMessage(e.Raw)
	}
	return r
}

// Status is the record of a lifecycle status. blind is rounded down to
// milliseconds.
func Status(conference string, at time.Time, status, reason string, blind time.Duration) Record {
	return Record{Time: Stamp(at), Conference: conference, Kind: KindStatus, Status: status,
		Reason: reason, BlindMs: blind.Milliseconds()}
}

// Change is the record of a semantic change.
func Change(conference string, c meeting.Change) Record {
	return Record{Time: Stamp(c.At), Conference: conference, Kind: KindChange, Change: &c}
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
