package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
)

const stateHelp = `Usage: confwatch state --conference ID [flags]

Shows the live meeting: status (locked, recording, mode), the roster with
hand, mute, sharing and video, and who is speaking. On a terminal it is a
table that refreshes in place and fits the terminal's width, with the
latest logs under it (--log-file keeps them all); --format pretty prints a
new table at each change elsewhere too. --format json (the default when
stdout is not a terminal) prints the whole picture as one JSON object per
change instead. Either way at most once per --refresh, and the last line
says how the run ended. With --once it prints the first complete picture
of the subscribed types and exits 0.

With --nats URL it reads the meeting from a fleet's NATS stream instead:
no meeting credentials; the picture starts from the meeting's stored
state (--once prints that at once), or with --since DUR from a replay of
the last DUR.

Examples:
  CONFWATCH_HOST_PASSWORD=604117 confwatch state --conference 986112045
  confwatch state --conference 986112045 --password-file ~/.meeting-pw --once
  confwatch state --conference 986112045 --format json | jq -c '.snapshot.participants | length'
  confwatch state --conference 986112045 --nats nats://127.0.0.1:4222 --once
`

func cmdState(ctx context.Context, args []string, e env) int {
	var w watchFlags
	fs := newFlagSet(e, "state", stateHelp)
	w.register(fs, true)
	w.registerNATS(fs, e)
	once := fs.Bool("once", false, "print the first complete picture and exit")
	refresh := fs.Duration("refresh", 500*time.Millisecond, "redraw at most this often")
	w.held = newHeldLog(e.stderr)
	return runLive(ctx, fs, args, e, &w, func(t target, log *slog.Logger, p *printer) error {
		if *refresh <= 0 {
			return usagef("%s %v: must be positive, e.g. %s 500ms", w.spell("refresh"), *refresh, w.spell("refresh"))
		}
		types, _ := w.types()
		v := &stateView{p: p, out: e.stdout, width: func() int { return columnsOf(e) },
			once: *once, refresh: *refresh, required: requiredTypes(types)}
		// A table redrawn in place owns the terminal: logs bound for it
		// are held and shown under the table.
		if v.live = p.pretty && e.stdoutTTY && !*once; v.live && w.logFile == "" && e.stderrTTY {
			v.held = w.held
		}
		return v.watch(ctx, t, &w, log)
	})
}

// stateTypes are the push types the table shows.
var stateTypes = []string{events.ActionConfBasicInfo, events.ActionConfDynamicInfo, events.ActionParticipants, events.ActionSpeakerChange}

// requiredTypes are the types whose snapshots make the picture complete
// for --once: the shown ones among those subscribed (all when types is
// empty). The service sends a snapshot of each subscribed type after
// Subscribe.
func requiredTypes(types []string) []string {
	if len(types) == 0 {
		return stateTypes
	}
	var out []string
	for _, t := range stateTypes {
		for _, s := range types {
			if s == t {
				out = append(out, t)
			}
		}
	}
	return out
}

// stateView renders the state command's output from snapshots.
type stateView struct {
	p        *printer // json: snapshots; both: the final record
	out      io.Writer
	live     bool // a table redrawn in place on a terminal (not with --once)
	width    func() int
	held     *heldLog // logs shown under a live table; nil: logs go to stderr
	once     bool
	refresh  time.Duration
	required []string

	state    atomic.Pointer[meeting.State] // set by the first event
	complete chan struct{}                 // closed when --once has its picture
	printed  *meeting.Snapshot             // the drawer's
}

// watch runs the session and the drawer; with --once it ends with errDone
// as soon as the picture is complete.
func (v *stateView) watch(ctx context.Context, t target, w *watchFlags, log *slog.Logger) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	v.complete = make(chan struct{})
	if v.held != nil {
		v.held.hold()
		defer v.held.release()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		v.drawLoop(ctx, cancel)
	}()
	var completed bool
	err := watch(ctx, t, w, log, sink{changed: func(st *meeting.State) {
		v.state.Store(st)
		if v.once && !completed && v.isComplete(st.Snapshot()) {
			completed = true
			close(v.complete)
		}
	}})
	cancel(err)
	<-done
	return err
}

// isComplete: connected, resynced, with a snapshot of every required type.
func (v *stateView) isComplete(s *meeting.Snapshot) bool {
	if !s.Connected || len(s.Resyncing) > 0 {
		return false
	}
	for _, t := range v.required {
		if _, ok := s.Versions[t]; !ok {
			return false
		}
	}
	return true
}

// drawLoop is the drawer's goroutine: it draws at most once per refresh,
// at once when --once is complete, and a last time when ctx ends.
func (v *stateView) drawLoop(ctx context.Context, cancel context.CancelCauseFunc) {
	tick := time.NewTicker(v.refresh)
	defer tick.Stop()
	var logs <-chan struct{}
	if v.held != nil {
		logs = v.held.changed()
	}
	logsDirty := false
	for {
		select {
		case <-ctx.Done():
			if !v.once {
				v.draw(logsDirty)
			}
			return
		case <-v.complete:
			v.draw(false)
			cancel(errDone)
			return
		case <-logs:
			logsDirty = true
		case <-tick.C:
			if !v.once {
				v.draw(logsDirty)
				logsDirty = false
			}
		}
	}
}

// draw shows the latest snapshot if it is new (or the logs under a live
// table changed).
func (v *stateView) draw(logsChanged bool) {
	st := v.state.Load()
	var s *meeting.Snapshot
	if st != nil {
		s = st.Snapshot()
	}
	if s == v.printed && !logsChanged {
		return
	}
	switch {
	case !v.p.pretty:
		if s != nil && s != v.printed {
			v.p.snapshot(s)
		}
	case v.live:
		fmt.Fprint(v.out, "\x1b[H\x1b[2J")
		v.drawTable(s)
		if v.held != nil {
			if lines := v.held.recent(); len(lines) > 0 {
				fmt.Fprintln(v.out)
				for _, l := range lines {
					fmt.Fprintln(v.out, fit(l, v.width()))
				}
			}
		}
	case s != nil:
		v.drawTable(s)
		fmt.Fprintln(v.out)
	}
	v.printed = s
}

func (v *stateView) drawTable(s *meeting.Snapshot) {
	if s == nil {
		fmt.Fprintln(v.out, "connecting…")
		return
	}
	renderTable(v.out, s, v.width())
}
