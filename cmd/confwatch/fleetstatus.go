package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/confwatch/confwatch/fleet"
	"github.com/confwatch/confwatch/fleet/feed"
)

const statusHelp = `Usage: confwatch fleet status [flags]

Lists the meetings the fleet watches or has state for: their title, state
(as the meeting tells it, or ended), the worker that owns each, how many
people are in it and when its newest record was published. On a terminal
it is a table; elsewhere one JSON object per meeting and line. Needs only
read access to the fleet (see the README for a read-only NATS user).

Examples:
  confwatch fleet status
  confwatch fleet status --nats nats://nats.example:4222 --nats-creds reader.creds --format json | jq -r 'select(.owner=="").conference'
`

// statusLine is one meeting of fleet status in JSON.
type statusLine struct {
	Conference   string `json:"conference"`
	Title        string `json:"title"`
	State        string `json:"state"`
	Owner        string `json:"owner"`
	Participants int    `json:"participants"`
	LastEvent    string `json:"lastEvent,omitempty"`
}

func cmdFleetStatus(ctx context.Context, args []string, e env) int {
	var n natsFlags
	fs := newFlagSet(e, "fleet status", statusHelp)
	n.register(fs, e, "nats://"+fleet.DefaultListen, "the fleet's NATS server `URL`")
	format := fs.String("format", "auto", "stdout `FORMAT`: auto (a table on a terminal, else json), pretty (the table), json (one object per line)")
	logLevel := fs.String("log-level", "info", "stderr log level: debug, info, warn, error")
	n.args = args
	if done, err := parseFlags(fs, args); done || err != nil {
		return flagOutcome(done, err, e)
	}
	if _, err := parseLevel(*logLevel); err != nil {
		return flagOutcome(false, err, e)
	}
	switch *format {
	case "auto", "pretty", "json":
	default:
		return flagOutcome(false, usagef("%s %q: use auto, pretty or json, e.g. %s json", spelled(args, "format"), *format, spelled(args, "format")), e)
	}
	log := newLogger(e.stderr, e.stderrTTY, "auto", *logLevel)
	stderr := func(s string) { fmt.Fprint(e.stderr, s) }
	nc, err := n.connect("confwatch fleet status", log)
	if err != nil {
		return exitCode(err, log, stderr)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return exitCode(err, log, stderr)
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ms, err := feed.Meetings(sctx, js)
	if err != nil {
		return exitCode(err, log, stderr)
	}
	if *format == "pretty" || *format == "auto" && e.stdoutTTY {
		printStatusTable(e.stdout, ms)
	} else {
		printStatusJSON(e.stdout, ms)
	}
	return exitOK
}

func printStatusJSON(w io.Writer, ms []feed.Status) {
	enc := json.NewEncoder(w)
	for _, m := range ms {
		l := statusLine{Conference: m.Conference, Title: m.Title, State: m.State, Owner: m.Owner, Participants: m.Participants}
		if !m.LastEvent.IsZero() {
			l.LastEvent = m.LastEvent.UTC().Format(time.RFC3339Nano)
		}
		_ = enc.Encode(l)
	}
}

// printStatusTable prints the meetings as a table; titles are the
// meeting's own text, made safe for a terminal.
func printStatusTable(w io.Writer, ms []feed.Status) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CONFERENCE\tTITLE\tSTATE\tOWNER\tPEOPLE\tLAST EVENT")
	for _, m := range ms {
		last, owner, state := "-", m.Owner, m.State
		if !m.LastEvent.IsZero() {
			last = m.LastEvent.Local().Format("2006-01-02 15:04:05")
		}
		if owner == "" {
			owner = "-"
		}
		if state == "" {
			state = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", m.Conference, fit(terminal(m.Title), 40), terminal(state), terminal(owner), m.Participants, last)
	}
	tw.Flush()
	if len(ms) == 0 {
		fmt.Fprintln(w, "(no meetings)")
	}
}
