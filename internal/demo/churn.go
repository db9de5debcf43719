package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/confwatch/confwatch/integration/fakemeeting"
)

// churn is a cycle of changes that leaves the meeting as it found it, so
// Churn can repeat it for ever.
var churn = []struct {
	what string
	do   func(s *fakemeeting.Server) error
}{
	{"Zhang Min joins", func(s *fakemeeting.Server) error {
		_, err := s.Meeting().Join(fakemeeting.Person{PID: "pid-zhang-min", Name: "Zhang Min"})
		return err
	}},
	{"Li Wei speaks", func(s *fakemeeting.Server) error { return s.Meeting().Speakers("pid-li-wei") }},
	{"Zhang Min raises a hand", func(s *fakemeeting.Server) error { return s.Meeting().RaiseHand("pid-zhang-min", true) }},
	{"the room is unmuted", func(s *fakemeeting.Server) error { return s.Meeting().Mute("pid-room-3f", false) }},
	{"the meeting is locked", func(s *fakemeeting.Server) error { return s.Meeting().Lock(true) }},
	{"Zhang Min lowers the hand", func(s *fakemeeting.Server) error { return s.Meeting().RaiseHand("pid-zhang-min", false) }},
	{"the room is muted", func(s *fakemeeting.Server) error { return s.Meeting().Mute("pid-room-3f", true) }},
	{"nobody speaks", func(s *fakemeeting.Server) error { return s.Meeting().Speakers() }},
	{"the meeting is unlocked", func(s *fakemeeting.Server) error { return s.Meeting().Lock(false) }},
	{"Zhang Min leaves", func(s *fakemeeting.Server) error { return s.Meeting().Leave("pid-zhang-min") }},
}

// Churn changes a meeting with the demo's opening roster every interval
// (someone joins, speaks, raises a hand, the meeting is locked, ...;
// a cycle of ten steps that ends where it began) until ctx is done, and
// returns ctx.Err(), or the first scripting error. It never ends the
// meeting.
func Churn(ctx context.Context, s *fakemeeting.Server, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for i := 0; ; i = (i + 1) % len(churn) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		if err := churn[i].do(s); err != nil {
			return fmt.Errorf("demo: churn: %s: %w", churn[i].what, err)
		}
	}
}
