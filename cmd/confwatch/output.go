package main

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
	"github.com/confwatch/confwatch/internal/record"
	"github.com/confwatch/confwatch/internal/scrub"
)

// printer writes records (package internal/record) to stdout, one per
// line, flushed per event. It is safe for concurrent use.
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

func (p *printer) push(e *events.Push) {
	if p.filter != nil && !p.filter[e.Action] {
		return
	}
	p.emit(record.Push(p.conf, e), func() string { return prettyPush(e, p.names) })
}

// status prints the status record of a lifecycle event.
func (p *printer) status(e events.Event) {
	r, ok := record.FromEvent(p.conf, e)
	if !ok || r.Kind != record.KindStatus {
		return
	}
	p.emit(r, func() string {
		if e, ok := e.(*events.Resubscribed); ok {
			return fmt.Sprintf("%s after %v blind", r.Status, max(e.Blind(), time.Millisecond).Round(time.Millisecond))
		}
		if r.Reason != "" {
			return r.Status + ": " + r.Reason
		}
		return r.Status
	})
}

func (p *printer) change(c meeting.Change) {
	p.emit(record.Change(p.conf, c), c.String)
}

func (p *printer) emit(r record.Record, pretty func() string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pretty {
		t, _ := time.Parse(time.RFC3339, r.Time)
		fmt.Fprintf(p.w, "%s  %-8s %s\n", t.Local().Format("15:04:05.000"), r.Kind, terminal(pretty()))
	} else {
		p.w.Write(r.Marshal())
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
