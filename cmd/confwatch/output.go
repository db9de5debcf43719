package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
	"github.com/confwatch/confwatch/internal/scrub"
)

// Line is one line of stdout in the json format. The schema is stable:
// fields are only ever added.
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
//	change      a semantic change (kind change, with --semantic)
type Line struct {
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

// printer writes lines to stdout, flushed per event. It is safe for
// concurrent use.
type printer struct {
	mu     sync.Mutex
	w      *bufio.Writer
	pretty bool
	conf   string
	filter map[string]bool   // nil = every action
	names  map[string]string // pid → last NAME seen, for pretty lines
}

func newPrinter(w io.Writer, pretty bool, conf string, types []string) *printer {
	p := &printer{w: bufio.NewWriter(w), pretty: pretty, conf: conf, names: map[string]string{}}
	if len(types) > 0 {
		p.filter = map[string]bool{}
		for _, t := range types {
			p.filter[t] = true
		}
	}
	return p
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

func (p *printer) push(e *events.Push) {
	if p.filter != nil && !p.filter[e.Action] {
		return
	}
	l := Line{Time: stamp(e.CreateTime), Conference: p.conf, Kind: "push", Action: e.Action,
		Mode: e.Mode.String(), Version: e.Version, MsgID: e.MsgID, Payload: e.Payload}
	if e.Payload == nil {
		// An action events does not know: show it as received.
		l.Payload = json.RawMessage(e.Raw)
	}
	p.emit(l, func() string { return prettyPush(e, p.names) })
}

func (p *printer) status(at time.Time, status, reason string, blind time.Duration) {
	l := Line{Time: stamp(at), Conference: p.conf, Kind: "status", Status: status, Reason: reason, BlindMs: blind.Milliseconds()}
	p.emit(l, func() string {
		switch {
		case blind > 0:
			return fmt.Sprintf("%s after %v blind", status, blind.Round(time.Millisecond))
		case reason != "":
			return status + ": " + reason
		}
		return status
	})
}

func (p *printer) change(c meeting.Change) {
	l := Line{Time: stamp(c.At), Conference: p.conf, Kind: "change", Change: &c}
	p.emit(l, c.String)
}

func (p *printer) emit(l Line, pretty func() string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pretty {
		t, _ := time.Parse(time.RFC3339, l.Time)
		fmt.Fprintf(p.w, "%s  %-8s %s\n", t.Local().Format("15:04:05.000"), l.Kind, terminal(pretty()))
	} else {
		b, err := json.Marshal(l)
		if err != nil {
			b, _ = json.Marshal(Line{Time: l.Time, Conference: l.Conference, Kind: "error", Reason: err.Error()})
		}
		p.w.Write(b)
		p.w.WriteByte('\n')
	}
	p.w.Flush()
}

// maxLine bounds one human-readable line.
const maxLine = 4096

// terminal makes text that participants control (display names, titles,
// close reasons) safe to print on a terminal: escape sequences, bells,
// newlines and bidi or zero-width controls become spaces, so no name can
// retitle the window, clear the screen or write the clipboard (OSC 52).
// NDJSON needs none of this: JSON escapes control characters.
func terminal(s string) string { return scrub.Printable(s, maxLine) }

// prettyPush summarises a push on one line. names remembers participants'
// names, since deltas carry only what changed.
func prettyPush(e *events.Push, names map[string]string) string {
	head := fmt.Sprintf("%s %s v%d", e.Action, e.Mode, e.Version)
	var parts []string
	switch p := e.Payload.(type) {
	case *events.ParticipantsNotify:
		if e.Mode == events.ModeFull {
			clear(names)
		}
		for _, x := range p.Participants {
			if n := x.Info.Name(); n != "" {
				names[x.PID] = n
			}
			name := firstNonEmpty(names[x.PID], x.PID)
			if x.Removed() {
				parts = append(parts, name+" left")
				delete(names, x.PID)
				continue
			}
			parts = append(parts, describeInfo(name, x.Info))
		}
	case *events.SpeakerChangeNotify:
		if len(p.Speakers) == 0 {
			parts = append(parts, "nobody speaking")
		}
		for _, s := range p.Speakers {
			parts = append(parts, fmt.Sprintf("%s (%d)", firstNonEmpty(s.Name, s.PID), s.SpeakingVolume))
		}
	case *events.ConfDynamicInfoNotify:
		parts = append(parts, fmt.Sprintf("state=%s mode=%s locked=%t recording=%t", p.State, p.Mode, p.Locked(), p.Recording()))
	case *events.ConfBasicInfoNotify:
		parts = append(parts, fmt.Sprintf("%q owner=%s", p.Title, p.Owner))
	case *events.WaitingListNotify:
		for _, m := range p.Members {
			if m.Mode == events.EntryRemove {
				parts = append(parts, m.PID+" left the waiting room")
				continue
			}
			parts = append(parts, describeInfo(firstNonEmpty(m.Info.Name(), m.PID), m.Info))
		}
	case *events.InviteResultNotify:
		for _, r := range p.Results {
			parts = append(parts, r.CallNumber+"="+r.Code)
		}
	case *events.AttendeesNotify:
		parts = append(parts, fmt.Sprintf("%d attendees", len(p.Attendees)))
	case *events.RealTimeSubtitleNotify:
		for _, m := range p.Msgs {
			parts = append(parts, fmt.Sprintf("%s: %q", p.ParticipantID, m.Text))
		}
	}
	if len(parts) == 0 {
		return head
	}
	return head + ": " + strings.Join(parts, "; ")
}

func describeInfo(name string, info events.PInfo) string {
	var kv []string
	for _, k := range []string{events.KeyHand, events.KeyMute, events.KeyShare, events.KeyRole, events.KeyVideo} {
		if v, ok := info[k]; ok {
			kv = append(kv, k+"="+v)
		}
	}
	if len(kv) == 0 {
		return name
	}
	return name + " " + strings.Join(kv, " ")
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
