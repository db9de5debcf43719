package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
)

const stateHelp = `Usage: confwatch state --conference ID [flags]

Shows the live meeting as a table: status (locked, recording, mode), the
roster with hand, mute, sharing and video, and who is speaking. On a
terminal the table refreshes in place; otherwise a new table is printed
whenever the meeting changes (at most once per --refresh). With --once it
prints the first complete picture and exits.

Examples:
  CONFWATCH_HOST_PASSWORD=604117 confwatch state --conference 986112045
  confwatch state --conference 986112045 --password-file ~/.meeting-pw --once
`

func cmdState(ctx context.Context, args []string, e env) int {
	var w watchFlags
	fs := newFlagSet(e, "state", stateHelp)
	w.register(fs, true)
	once := fs.Bool("once", false, "print the first complete picture and exit")
	refresh := fs.Duration("refresh", 500*time.Millisecond, "redraw at most this often")
	return runLive(ctx, fs, args, e, &w, func(t target, log *slog.Logger) error {
		if *refresh <= 0 {
			return usagef("--refresh %v: must be positive, e.g. 500ms", *refresh)
		}
		return watchTable(ctx, t, &w, log, e.stdout, e.stdoutTTY, *once, *refresh)
	})
}

// watchTable renders snapshots, rate-limited to one per refresh.
func watchTable(ctx context.Context, t target, w *watchFlags, log *slog.Logger, out io.Writer, tty, once bool, refresh time.Duration) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu      sync.Mutex
		state   *meeting.State // set by the first event
		printed *meeting.Snapshot
		wake    = make(chan struct{}, 1)
	)
	draw := func() {
		mu.Lock()
		st := state
		mu.Unlock()
		if st == nil {
			return
		}
		s := st.Snapshot()
		if printed != nil && s.UpdatedAt.Equal(printed.UpdatedAt) && s.Connected == printed.Connected {
			return
		}
		printed = s
		if tty {
			fmt.Fprint(out, "\x1b[H\x1b[2J")
		}
		renderTable(out, s)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(refresh)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				if !once {
					draw()
				}
				return
			case <-wake:
				draw()
				cancel()
				return
			case <-tick.C:
				if !once {
					draw()
				}
			}
		}
	}()
	complete := false
	err := watch(ctx, t, w, log, sink{changed: func(st *meeting.State) {
		mu.Lock()
		state = st
		mu.Unlock()
		if !once || complete {
			return
		}
		// Complete: connected, with the status and roster snapshots in.
		s := st.Snapshot()
		_, haveRoster := s.Versions[events.ActionParticipants]
		if s.Connected && len(s.Resyncing) == 0 && s.Status.State != "" && haveRoster {
			complete = true
			select {
			case wake <- struct{}{}:
			default:
			}
		}
	}})
	cancel()
	<-done
	return err
}

func renderTable(w io.Writer, s *meeting.Snapshot) {
	yes := func(b bool, mark string) string {
		if b {
			return mark
		}
		return ""
	}
	conn := "live"
	if !s.Connected {
		conn = "reconnecting…"
	}
	fmt.Fprintf(w, "%s  (%s)  state=%s mode=%s  locked=%t recording=%t  participants=%d  [%s]\n",
		terminal(s.Title), terminal(s.ConferenceID), s.Status.State, s.Status.Mode, s.Status.Locked, s.Status.Recording, len(s.Participants), conn)
	var speakers []string
	for _, sp := range s.Speakers {
		name := sp.PID
		if p, ok := s.Participant(sp.PID); ok && p.Name != "" {
			name = p.Name
		}
		speakers = append(speakers, terminal(name))
	}
	if len(speakers) == 0 {
		speakers = []string{"nobody"}
	}
	fmt.Fprintf(w, "speaking: %s\n", strings.Join(speakers, ", "))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tHAND\tMUTED\tSHARING\tVIDEO\tSPEAKING")
	for _, p := range s.Participants {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", terminal(p.Name), p.Role, yes(p.HandRaised, "✋"), yes(p.Muted, "muted"),
			yes(p.Sharing, "sharing"), yes(p.Video, "video"), yes(p.Speaking, "🔊"))
	}
	tw.Flush()
	fmt.Fprintln(w)
}
