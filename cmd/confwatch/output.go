package main

import (
	"bufio"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
	"github.com/confwatch/confwatch/internal/record"
	"github.com/confwatch/confwatch/internal/scrub"
)

// printer writes stdout, flushed per event: in json, records (package
// internal/record, the schema the fleet publishes too), one per line; in
// pretty, one line of words per event worth telling. It is safe for
// concurrent use.
type printer struct {
	mu     sync.Mutex
	w      *bufio.Writer
	pretty bool
	conf   string
	filter map[string]bool // nil = every action
	now    func() time.Time
	// asRecorded prints a push's payload from its Raw: set when the
	// pushes come from a fleet's stream, whose Raw is the payload exactly
	// as the worker recorded it (and as a direct tail prints it).
	asRecorded bool
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

// push prints a raw push (json); its join links read REDACTED.
func (p *printer) push(e *events.Push) {
	if p.filter != nil && !p.filter[e.Action] {
		return
	}
	if p.asRecorded {
		recorded := *e
		recorded.Payload = nil
		e = &recorded
	}
	p.emitJSON(record.Push(p.conf, e))
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

// status prints the status a lifecycle event stands for.
func (p *printer) status(e events.Event) {
	r, ok := record.FromEvent(p.conf, e)
	if !ok || r.Kind != record.KindStatus {
		return
	}
	if !p.pretty {
		p.emitJSON(r)
		return
	}
	var at time.Time
	text := r.Status
	switch e := e.(type) {
	case *events.Subscribed:
		at = e.At
	case *events.Disconnected:
		at, text = e.At, text+": "+r.Reason
	case *events.Resubscribed:
		at, text = e.BlindTo, fmt.Sprintf("%s after %v blind", r.Status, max(e.Blind(), time.Millisecond).Round(time.Millisecond))
	}
	p.emitPretty(at, "status", text)
}

// change prints a semantic change; speakers are the names of
// c.Speakers (SpeakersChanged).
func (p *printer) change(c meeting.Change, speakers []string) {
	if p.pretty {
		p.emitPretty(c.At, "change", describeChange(record.NamedChange{Change: c, SpeakerNames: speakers}))
		return
	}
	p.emitJSON(record.Change(p.conf, c, speakers...))
}

// present says who is in the meeting when it is first seen: one line in
// pretty, one change of kind ParticipantPresent per person in json.
func (p *printer) present(at time.Time, snap *meeting.Snapshot) {
	if p.pretty {
		p.emitPretty(at, "present", describePresent(snap))
		return
	}
	for _, x := range snap.Participants.All() {
		p.emitJSON(record.Present(p.conf, at, x))
	}
}

// snapshot prints the whole picture (state --format json).
func (p *printer) snapshot(snap *meeting.Snapshot) {
	p.emitJSON(record.Snapshot(p.conf, snap))
}

// final prints the last record of a run: ended, or stopped and why.
func (p *printer) final(o outcome) {
	if p.pretty {
		text := o.status
		if o.reason != "" {
			text += ": " + o.reason
		}
		p.emitPretty(p.now(), "status", text)
		return
	}
	p.emitJSON(record.End(p.conf, p.now(), o.status, o.reason, o.class, o.code))
}

func (p *printer) emitJSON(r record.Record) {
	b := r.Marshal()
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
