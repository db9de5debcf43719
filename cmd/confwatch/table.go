package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/mattn/go-runewidth"

	"github.com/confwatch/confwatch/events/meeting"
)

// column is one column of the roster table; width 0 is the name column,
// which takes what the others leave.
type column struct {
	head  string
	width int
	cell  func(meeting.Participant) string
}

// columns of the roster. The widths are display widths: ✋ and 🔊 take
// two, like a CJK character.
var columns = []column{
	{"NAME", 0, func(p meeting.Participant) string { return p.Name }},
	{"ROLE", 8, func(p meeting.Participant) string { return p.Role }},
	{"HAND", 4, func(p meeting.Participant) string { return mark(p.HandRaised, "✋") }},
	{"MUTED", 5, func(p meeting.Participant) string { return mark(p.Muted, "muted") }},
	{"SHARING", 7, func(p meeting.Participant) string { return mark(p.Sharing, "sharing") }},
	{"VIDEO", 5, func(p meeting.Participant) string { return mark(p.Video, "video") }},
	{"SPEAKING", 8, func(p meeting.Participant) string { return mark(p.Speaking, "🔊") }},
}

const (
	columnGap    = 2
	minNameWidth = 6
)

func mark(b bool, s string) string {
	if b {
		return s
	}
	return ""
}

// renderTable draws s in at most width columns: the title, the status,
// the speakers and the roster. Text that does not fit is cut with "…",
// by display width, so CJK names and emoji keep the columns straight.
func renderTable(w io.Writer, s *meeting.Snapshot, width int) {
	conn := "live"
	if !s.Connected {
		conn = "reconnecting…"
	}
	lines := []string{
		terminal(s.Title) + "  (" + terminal(s.ConferenceID) + ")",
		fmt.Sprintf("[%s] state=%s mode=%s locked=%t recording=%t participants=%d",
			conn, terminal(s.Status.State), terminal(s.Status.Mode), s.Status.Locked, s.Status.Recording, s.Participants.Len()),
	}
	var speakers []string
	for _, sp := range s.Speakers {
		speakers = append(speakers, terminal(personName(s, sp.PID)))
	}
	if len(speakers) == 0 {
		speakers = []string{"nobody"}
	}
	lines = append(lines, "speaking: "+strings.Join(speakers, ", "))
	lines = append(lines, roster(s.Participants, width)...)
	for _, l := range lines {
		fmt.Fprintln(w, fit(l, width))
	}
}

// roster lays out the header and one row per participant.
func roster(ps meeting.Roster, width int) []string {
	fixed := 0
	for _, c := range columns[1:] {
		fixed += c.width + columnGap
	}
	longest := runewidth.StringWidth(columns[0].head)
	for _, p := range ps.All() {
		longest = max(longest, runewidth.StringWidth(terminal(p.Name)))
	}
	nameWidth := max(min(longest, width-fixed), minNameWidth)
	row := func(cell func(column) string) string {
		var b strings.Builder
		for i, c := range columns {
			cw := c.width
			if i == 0 {
				cw = nameWidth
			} else {
				b.WriteString(strings.Repeat(" ", columnGap))
			}
			b.WriteString(runewidth.FillRight(runewidth.Truncate(cell(c), cw, "…"), cw))
		}
		return strings.TrimRight(b.String(), " ")
	}
	out := []string{row(func(c column) string { return c.head })}
	for _, p := range ps.All() {
		out = append(out, row(func(c column) string { return terminal(c.cell(p)) }))
	}
	if ps.Len() == 0 {
		out = append(out, "(nobody)")
	}
	return out
}

// fit cuts line to width display columns.
func fit(line string, width int) string {
	if width <= 0 || runewidth.StringWidth(line) <= width {
		return line
	}
	return runewidth.Truncate(line, width, "…")
}

// columnsOf is the width to draw for: the terminal's, else $COLUMNS,
// else 80.
func columnsOf(e env) int {
	if e.columns != nil {
		if n := e.columns(); n > 0 {
			return n
		}
	}
	if n, err := strconv.Atoi(e.getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	return 80
}
