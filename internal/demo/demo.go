// Package demo is the scripted meeting that `confwatch demo` and the
// examples run on integration/fakemeeting when no credentials are given:
// people join, speak, raise hands, get muted, share, the meeting gets
// locked and recorded, the network drops for a few seconds while a hand
// goes up, and the meeting ends.
package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/confwatch/confwatch/integration/fakemeeting"
)

// Length is how long the script runs at speed 1.
const Length = 80 * time.Second

// Start starts a fake meeting on loopback with the demo's opening roster.
// The caller closes it.
func Start() (*fakemeeting.Server, error) { return fakemeeting.New(Config()) }

// Config is the fake meeting Start starts, for a test that changes some of
// it (canary passwords, say) before fakemeeting.New; Play needs its
// roster.
func Config() fakemeeting.Config {
	return fakemeeting.Config{Title: openingTitle, Participants: openingRoster()}
}

const openingTitle = "confwatch demo: platform weekly sync"

func openingRoster() []fakemeeting.Person {
	return []fakemeeting.Person{
		{PID: "pid-li-wei", Name: "Li Wei", Role: fakemeeting.RoleHost, Video: true},
		{PID: "pid-room-3f", Name: "Meeting Room 3F", Video: true, Muted: true},
	}
}

// step is one scripted action, at an offset from the start (speed 1).
type step struct {
	at   time.Duration
	what string
	do   func(s *fakemeeting.Server) error
}

// outage is what the fake answers for ws tokens while the demo's network
// is down: a passing failure, which the client retries with backoff.
var outage = fakemeeting.Refusal{Status: 503, Code: "SERVICE_UNAVAILABLE", Msg: "the demo network is down"}

// script is the demo; ctx bounds the final End, which waits until every
// socket has been told the meeting ended.
func script(ctx context.Context) []step {
	join := func(pid, name string, video bool) func(*fakemeeting.Server) error {
		return func(s *fakemeeting.Server) error {
			_, err := s.Meeting().Join(fakemeeting.Person{PID: pid, Name: name, Video: video})
			return err
		}
	}
	subscribedAtDrop := int64(-1) // Subscribes at the drop, if a client was subscribed then
	return []step{
		{2 * time.Second, "Zhang Min joins", join("pid-zhang-min", "Zhang Min", false)},
		{4 * time.Second, "Chen Jie joins", join("pid-chen-jie", "Chen Jie", true)},
		{6 * time.Second, "Li Wei speaks", func(s *fakemeeting.Server) error { return s.Meeting().Speakers("pid-li-wei") }},
		{9 * time.Second, "Zhang Min raises a hand", func(s *fakemeeting.Server) error { return s.Meeting().RaiseHand("pid-zhang-min", true) }},
		{12 * time.Second, "the host mutes Chen Jie", func(s *fakemeeting.Server) error { return s.Meeting().Mute("pid-chen-jie", true) }},
		{15 * time.Second, "Zhang Min and Li Wei speak", func(s *fakemeeting.Server) error { return s.Meeting().Speakers("pid-zhang-min", "pid-li-wei") }},
		{18 * time.Second, "Zhang Min lowers the hand", func(s *fakemeeting.Server) error { return s.Meeting().RaiseHand("pid-zhang-min", false) }},
		{21 * time.Second, "Chen Jie shares a screen", func(s *fakemeeting.Server) error { return s.Meeting().Share("pid-chen-jie", true) }},
		{25 * time.Second, "recording starts", func(s *fakemeeting.Server) error { return s.Meeting().Record(true) }},
		{29 * time.Second, "the meeting is locked", func(s *fakemeeting.Server) error { return s.Meeting().Lock(true) }},
		{33 * time.Second, "a guest waits in the waiting room", func(s *fakemeeting.Server) error {
			_, err := s.Meeting().WaitingRoomJoin(fakemeeting.Person{PID: "pid-guest-wang", Name: "Guest Wang", LoginType: "Mobile", Anonymous: true})
			return err
		}},
		{36 * time.Second, "the guest is admitted", admitGuest},
		{40 * time.Second, "the network drops every socket and stays down for 4 s", func(s *fakemeeting.Server) error {
			// No client can resubscribe before the network is back, so
			// what happens meanwhile goes unseen at any speed.
			s.Faults().RefuseWSToken(1<<30, outage)
			if st := s.Stats(); st.Subscribed > 0 {
				subscribedAtDrop = st.Subscribes - st.SubscribesFailed
			}
			s.Faults().DropAll()
			return nil
		}},
		{42 * time.Second, "Zhang Min raises a hand while the client is blind", func(s *fakemeeting.Server) error { return s.Meeting().RaiseHand("pid-zhang-min", true) }},
		{44 * time.Second, "the network is back", func(s *fakemeeting.Server) error {
			s.Faults().RefuseWSToken(0, outage)
			if subscribedAtDrop < 0 {
				return nil
			}
			// The client that was subscribed at the drop is waited for, so
			// that the rest of the meeting is not played to nobody however
			// fast the script runs; Play moves the later steps by the wait.
			return s.WaitFor(ctx, func(st fakemeeting.Stats) bool { return st.Subscribes-st.SubscribesFailed > subscribedAtDrop })
		}},
		{46 * time.Second, "Chen Jie renames", func(s *fakemeeting.Server) error { return s.Meeting().Rename("pid-chen-jie", "Chen Jie (presenting)") }},
		{50 * time.Second, "Chen Jie stops sharing", func(s *fakemeeting.Server) error { return s.Meeting().Share("pid-chen-jie", false) }},
		{54 * time.Second, "the guest leaves", func(s *fakemeeting.Server) error { return s.Meeting().Leave("pid-guest-wang") }},
		{58 * time.Second, "nobody speaks", func(s *fakemeeting.Server) error { return s.Meeting().Speakers() }},
		{62 * time.Second, "Zhang Min lowers the hand", func(s *fakemeeting.Server) error { return s.Meeting().RaiseHand("pid-zhang-min", false) }},
		{66 * time.Second, "recording stops", func(s *fakemeeting.Server) error { return s.Meeting().Record(false) }},
		{70 * time.Second, "the meeting is unlocked", func(s *fakemeeting.Server) error { return s.Meeting().Lock(false) }},
		{74 * time.Second, "Meeting Room 3F leaves", func(s *fakemeeting.Server) error { return s.Meeting().Leave("pid-room-3f") }},
		{Length, "the meeting ends", func(s *fakemeeting.Server) error { return s.Meeting().End(ctx) }},
	}
}

// admitGuest admits the waiting guest, unless someone acting on the
// meeting (a bot running the demo with -admit) already did.
func admitGuest(s *fakemeeting.Server) error {
	err := s.Meeting().WaitingRoomAdmit("pid-guest-wang")
	if _, in := s.Meeting().View().Participants["pid-guest-wang"]; in && errors.Is(err, fakemeeting.ErrUnknownParticipant) {
		return nil
	}
	return err
}

// Play runs the script on s, at speed times real time (speed <= 0 means
// 1), calling note before each step when it is not nil. When a client was
// subscribed as the network dropped, Play waits for it to resubscribe
// before it goes on, so that every speed plays the whole meeting to it. It
// returns when the meeting has ended, or ctx.Err() when ctx ends first.
func Play(ctx context.Context, s *fakemeeting.Server, speed float64, note func(what string)) error {
	if speed <= 0 {
		speed = 1
	}
	start := time.Now()
	for _, st := range script(ctx) {
		wait := time.Duration(float64(st.at)/speed) - time.Since(start)
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
		if note != nil {
			note(st.what)
		}
		if err := st.do(s); err != nil {
			return fmt.Errorf("demo: %s: %w", st.what, err)
		}
		// A step that held the script (waiting for a client) moves the
		// steps after it, which keep their spacing.
		if late := time.Since(start) - time.Duration(float64(st.at)/speed); late > 0 {
			start = start.Add(late)
		}
	}
	return nil
}
