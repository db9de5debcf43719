package control_test

import (
	"context"
	"errors"
	"github.com/confwatch/confwatch/secret"
	"testing"
	"time"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/control"
	"github.com/confwatch/confwatch/events/meeting"
	"github.com/confwatch/confwatch/integration/fakemeeting"
	"github.com/confwatch/confwatch/token"
)

// watcher is a connector session feeding a meeting.State, as a bot or the
// CLI runs it: the picture an action must show up in.
type watcher struct {
	state *meeting.State
	done  chan error
}

// watch starts a session on fake with its own credentials (a watcher
// shares nothing with the acting client) and waits for it to subscribe.
func watch(t *testing.T, fake *fakemeeting.Server) *watcher {
	t.Helper()
	client, err := token.New(token.Config{BaseURL: fake.URL(), HTTPClient: fake.Client()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.CloseIdleConnections)
	prov, err := token.NewProvider(client, token.ProviderConfig{ConferenceID: fake.ConferenceID(), Password: secret.New(fake.HostPassword())})
	if err != nil {
		t.Fatal(err)
	}
	w := &watcher{done: make(chan error, 1)}
	sess, err := connector.New(connector.Config{
		ConferenceID: fake.ConferenceID(), Tokens: prov, AllowPlainText: true,
		Backoff: connector.Backoff{Initial: 5 * time.Millisecond, Max: 50 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	w.state = meeting.New(meeting.Config{Resync: sess.Resync})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { w.done <- sess.Run(ctx, w.state) }()
	t.Cleanup(func() {
		cancel()
		if err := <-w.done; err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, connector.ErrMeetingEnded) {
			t.Errorf("session: %v", err)
		}
	})
	if err := fake.WaitSubscribed(testCtx(t), 1); err != nil {
		t.Fatal(err)
	}
	// Every type the fake snapshots, so that no opening push is counted as
	// an action's: all but captions and interpretation groups, which it has
	// none of.
	snapshots := uint64(len(fakemeeting.NotifyTypes) - 2)
	eventually(t, "the opening snapshots", func() bool {
		s := w.state.Snapshot()
		for _, action := range fakemeeting.NotifyTypes {
			if _, ok := s.Versions[action]; !ok && action != fakemeeting.RealTimeSubtitleNotify && action != fakemeeting.InterpreterGroupNotify {
				return false
			}
		}
		// The state publishes a snapshot just before it counts the push.
		return s.Connected && len(s.Resyncing) == 0 && w.state.Stats().Applied == snapshots
	})
	return w
}

// TestActionsShowInTheWatchersState acts on the meeting and checks that a
// watching session's state shows each change once the pushes the action
// causes are applied: no resync, no reconnect, no gap.
func TestActionsShowInTheWatchersState(t *testing.T) {
	r := newRig(t, roster(), nil)
	w := watch(t, r.fake)
	ctx := testCtx(t)
	part := func(s *meeting.Snapshot, pid string) meeting.Participant { p, _ := s.Participant(pid); return p }
	steps := []struct {
		name   string
		act    func() error
		pushes uint64 // pushes the action causes
		shows  func(*meeting.Snapshot) bool
	}{
		{"mute", func() error { return r.ctl.Mute(ctx, "pid-chen-jie", true) }, 1,
			func(s *meeting.Snapshot) bool { return part(s, "pid-chen-jie").Muted }},
		{"lower a hand", func() error { return r.ctl.SetHands(ctx, false, "pid-zhang-min") }, 1,
			func(s *meeting.Snapshot) bool { return !part(s, "pid-zhang-min").HandRaised }},
		{"raise two hands", func() error { return r.ctl.SetHands(ctx, true, "pid-zhang-min", "pid-chen-jie") }, 1,
			func(s *meeting.Snapshot) bool {
				return part(s, "pid-zhang-min").HandRaised && part(s, "pid-chen-jie").HandRaised
			}},
		{"lower all hands", func() error { _, err := r.ctl.SetAllHands(ctx, false); return err }, 1,
			func(s *meeting.Snapshot) bool {
				return !part(s, "pid-zhang-min").HandRaised && !part(s, "pid-chen-jie").HandRaised
			}},
		{"unmute all", func() error { return r.ctl.MuteAll(ctx, false, true) }, 2,
			func(s *meeting.Snapshot) bool { return !s.Status.MuteAll && !part(s, "pid-chen-jie").Muted }},
		{"mute all, no self-unmute", func() error { return r.ctl.MuteAll(ctx, true, false) }, 2,
			func(s *meeting.Snapshot) bool {
				return s.Status.MuteAll && !s.Status.CanUnmute && part(s, "pid-zhang-min").Muted && !part(s, "pid-li-wei").Muted
			}},
		{"lock", func() error { return r.ctl.Lock(ctx, true) }, 1,
			func(s *meeting.Snapshot) bool { return s.Status.Locked }},
		{"record", func() error { return r.ctl.Record(ctx, true) }, 1,
			func(s *meeting.Snapshot) bool { return s.Status.Recording && s.Status.RecOccurred }},
		{"rename", func() error { return r.ctl.Rename(ctx, "pid-chen-jie", "Chen Jie (presenting)") }, 1,
			func(s *meeting.Snapshot) bool { return part(s, "pid-chen-jie").Name == "Chen Jie (presenting)" }},
		{"co-host", func() error { return r.ctl.SetCohost(ctx, "pid-zhang-min", true) }, 1,
			func(s *meeting.Snapshot) bool { return part(s, "pid-zhang-min").Info["IS_COHOST"] == "1" }},
		{"extend", func() error { return r.ctl.Extend(ctx, 30*time.Minute) }, 1,
			func(s *meeting.Snapshot) bool {
				return s.Status.EndTime.Sub(s.Basic.StartTime) == 2*time.Hour+30*time.Minute
			}},
		{"guest waits", func() error { return waitingGuest(r.fake) }, 1,
			func(s *meeting.Snapshot) bool { return len(s.WaitingRoom) == 1 }},
		{"admit", func() error { return r.ctl.Admit(ctx, "pid-guest") }, 3,
			func(s *meeting.Snapshot) bool {
				return len(s.WaitingRoom) == 0 && part(s, "pid-guest").Name == "Guest Wang"
			}},
		{"move to the waiting room", func() error { return r.ctl.MoveToWaitingRoom(ctx, "pid-guest") }, 2,
			func(s *meeting.Snapshot) bool {
				_, online := s.Participant("pid-guest")
				return !online && len(s.WaitingRoom) == 1 && s.WaitingRoom[0].PID == "pid-guest"
			}},
		{"admit all", func() error { return r.ctl.AdmitAll(ctx) }, 3,
			func(s *meeting.Snapshot) bool { return len(s.WaitingRoom) == 0 && s.Participants.Len() == 4 }},
		{"move two", func() error { return r.ctl.MoveToWaitingRoom(ctx, "pid-guest", "pid-chen-jie") }, 2,
			func(s *meeting.Snapshot) bool { return len(s.WaitingRoom) == 2 && s.Participants.Len() == 2 }},
		{"invite", func() error { return r.ctl.Invite(ctx, control.Invitee{Name: "Wang Fang", Phone: "+99111000009"}) }, 4,
			func(s *meeting.Snapshot) bool {
				n := len(s.InviteResults)
				return s.Participants.Len() == 3 && n > 0 && s.InviteResults[n-1].Code == "0" && nth(s.Participants, 2).Name == "Wang Fang"
			}},
		{"hang up", func() error { return r.ctl.HangUp(ctx, "pid-zhang-min") }, 2,
			func(s *meeting.Snapshot) bool {
				_, online := s.Participant("pid-zhang-min")
				n := len(s.InviteResults)
				return !online && s.InviteResults[n-1].CallNumber == "+99111000001"
			}},
		{"hand the host role over", func() error { return r.ctl.SetHost(ctx, s3(r)) }, 1,
			func(s *meeting.Snapshot) bool {
				return part(s, string(s3(r))).Role == "host" && part(s, "pid-li-wei").Role == "ordinary"
			}},
		{"end", func() error { return r.ctl.End(ctx) }, 1,
			func(s *meeting.Snapshot) bool { return s.Status.Ended() }},
	}
	for _, st := range steps {
		before := w.state.Stats()
		if err := st.act(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		eventually(t, st.name+"'s pushes", func() bool { return w.state.Stats().Applied >= before.Applied+st.pushes })
		after := w.state.Stats()
		if snap := w.state.Snapshot(); !st.shows(snap) {
			t.Errorf("%s: the watcher's state does not show it after its %d pushes: %+v", st.name, st.pushes, snap)
		}
		if after.Applied != before.Applied+st.pushes || after.Gaps != 0 || after.ResyncsRequested != 0 {
			t.Errorf("%s: stats %+v → %+v, want exactly %d more pushes applied and no gap", st.name, before, after, st.pushes)
		}
	}
}

// s3 is the invited participant's pid, generated by the fake.
func s3(r *rig) control.ParticipantID {
	for pid, info := range r.fake.Meeting().View().Participants {
		if info["NAME"] == "Wang Fang" {
			return control.ParticipantID(pid)
		}
	}
	return ""
}

// nth returns the participant at position i of r (the zero Participant
// past the end).
func nth(r meeting.Roster, i int) meeting.Participant {
	for j, p := range r.All() {
		if j == i {
			return p
		}
	}
	return meeting.Participant{}
}
