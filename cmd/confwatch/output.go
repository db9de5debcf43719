package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
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
//	kind        "push", "status", "change" or "snapshot"
//	action      push type (kind push)
//	mode        "full" or "delta" (kind push)
//	version     the push's version (kind push)
//	msgID       the push's message ID (kind push)
//	payload     the decoded payload (kind push); secrets and join links read REDACTED
//	status      "subscribed", "disconnected", "resubscribed", and last "ended" or "stopped" (kind status)
//	blindMs     how long no push could be received (status resubscribed)
//	reason      why the link was lost (disconnected) or the run stopped (stopped)
//	class       the failure class that stopped the run: retry, reauth, wait or stop (stopped)
//	exitCode    the process's exit code (ended, stopped)
//	change      a semantic change (kind change, with --semantic)
//	snapshot    the meeting's picture (kind snapshot, state --format json)
type Line struct {
	Time       string      `json:"time"`
	Conference string      `json:"conference"`
	Kind       string      `json:"kind"`
	Action     string      `json:"action,omitempty"`
	Mode       string      `json:"mode,omitempty"`
	Version    int64       `json:"version,omitempty"`
	MsgID      string      `json:"msgID,omitempty"`
	Payload    any         `json:"payload,omitempty"`
	Status     string      `json:"status,omitempty"`
	BlindMs    int64       `json:"blindMs,omitempty"`
	Reason     string      `json:"reason,omitempty"`
	Class      string      `json:"class,omitempty"`
	ExitCode   *int        `json:"exitCode,omitempty"`
	Change     *changeLine `json:"change,omitempty"`
	Snapshot   any         `json:"snapshot,omitempty"`
}

// changeLine is a semantic change as printed: the state's Change, plus
// the speakers' names (Speakers stays the PIDs).
type changeLine struct {
	meeting.Change
	SpeakerNames []string `json:"speakerNames,omitempty"`
}

// Present is the change kind of the lines that say, after the first
// subscribe, who is already in the meeting.
const Present meeting.ChangeKind = "ParticipantPresent"

// printer writes lines to stdout, flushed per event. It is safe for
// concurrent use.
type printer struct {
	mu     sync.Mutex
	w      *bufio.Writer
	pretty bool
	conf   string
	filter map[string]bool // nil = every action
	now    func() time.Time
}

func newPrinter(w io.Writer, pretty bool, conf string, types []string) *printer {
	p := &printer{w: bufio.NewWriter(w), pretty: pretty, conf: conf, now: time.Now}
	if len(types) > 0 {
		p.filter = map[string]bool{}
		for _, t := range types {
			p.filter[t] = true
		}
	}
	return p
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// push prints a raw push (json).
func (p *printer) push(e *events.Push) {
	if p.filter != nil && !p.filter[e.Action] {
		return
	}
	l := Line{Time: stamp(e.CreateTime), Conference: p.conf, Kind: "push", Action: e.Action,
		Mode: e.Mode.String(), Version: e.Version, MsgID: e.MsgID}
	raw := json.RawMessage(e.Raw) // an action events does not know: as received
	if e.Payload != nil {
		b, err := json.Marshal(e.Payload)
		if err != nil {
			p.emitJSON(Line{Time: l.Time, Conference: p.conf, Kind: "error", Reason: err.Error()})
			return
		}
		raw = b
	}
	l.Payload = json.RawMessage(scrubLinks(raw))
	p.emitJSON(l)
}

// note prints, in pretty, what a push says that the meeting's changes do
// not (the waiting room, invites, captions); before is the picture before
// it (needed for the waiting room), after gets the one after.
func (p *printer) note(e *events.Push, before *meeting.Snapshot, after func() *meeting.Snapshot) {
	if p.filter != nil && !p.filter[e.Action] {
		return
	}
	if text := pushNote(e, before, after); text != "" {
		p.emitPretty(e.CreateTime, "push", text)
	}
}

func (p *printer) status(at time.Time, status, reason string, blind time.Duration) {
	if p.pretty {
		text := status
		switch {
		case blind > 0:
			text = fmt.Sprintf("%s after %v blind", status, blind.Round(time.Millisecond))
		case reason != "":
			text = status + ": " + reason
		}
		p.emitPretty(at, "status", text)
		return
	}
	p.emitJSON(Line{Time: stamp(at), Conference: p.conf, Kind: "status", Status: status, Reason: reason, BlindMs: blind.Milliseconds()})
}

// change prints a semantic change; speakers are the names of
// c.Speakers (SpeakersChanged).
func (p *printer) change(c meeting.Change, speakers []string) {
	cl := changeLine{Change: c, SpeakerNames: speakers}
	if p.pretty {
		p.emitPretty(c.At, "change", describeChange(cl))
		return
	}
	p.emitJSON(Line{Time: stamp(c.At), Conference: p.conf, Kind: "change", Change: &cl})
}

// present says who is in the meeting when it is first seen: one line in
// pretty, one change of kind ParticipantPresent per person in json.
func (p *printer) present(at time.Time, snap *meeting.Snapshot) {
	if p.pretty {
		p.emitPretty(at, "present", describePresent(snap))
		return
	}
	for _, x := range snap.Participants {
		p.emitJSON(Line{Time: stamp(at), Conference: p.conf, Kind: "change",
			Change: &changeLine{Change: meeting.Change{Kind: Present, At: at, PID: x.PID, Name: x.Name}}})
	}
}

// snapshot prints the whole picture (state --format json).
func (p *printer) snapshot(snap *meeting.Snapshot) {
	b, err := json.Marshal(snap)
	if err != nil {
		p.emitJSON(Line{Time: stamp(p.now()), Conference: p.conf, Kind: "error", Reason: err.Error()})
		return
	}
	p.emitJSON(Line{Time: stamp(snap.UpdatedAt), Conference: p.conf, Kind: "snapshot", Snapshot: json.RawMessage(scrubLinks(b))})
}

// final prints the last record of a run: ended, or stopped and why.
func (p *printer) final(o outcome) {
	code := o.code
	if p.pretty {
		text := o.status
		if o.reason != "" {
			text += ": " + o.reason
		}
		p.emitPretty(p.now(), "status", text)
		return
	}
	p.emitJSON(Line{Time: stamp(p.now()), Conference: p.conf, Kind: "status", Status: o.status, Reason: o.reason, Class: o.class, ExitCode: &code})
}

func (p *printer) emitJSON(l Line) {
	b, err := json.Marshal(l)
	if err != nil {
		b, _ = json.Marshal(Line{Time: l.Time, Conference: l.Conference, Kind: "error", Reason: err.Error()})
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.w.Write(b)
	p.w.WriteByte('\n')
	p.w.Flush()
}

func (p *printer) emitPretty(at time.Time, kind, text string) {
	if at.IsZero() {
		at = p.now()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "%s  %-8s %s\n", at.Local().Format("15:04:05.000"), kind, terminal(text))
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
