package meeting_test

import (
	"context"
	"fmt"
	"time"

	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
)

func Example() {
	st := meeting.New(meeting.Config{
		OnChange: func(c meeting.Change) { fmt.Println("change:", c) },
	})
	at := time.Date(2025, 1, 6, 8, 0, 0, 0, time.UTC)
	push := func(msgID string, mode events.Mode, version int64, payload events.Payload) *events.Push {
		at = at.Add(time.Second)
		return &events.Push{
			MsgID: msgID, Mode: mode, Version: version, CreateTime: at, ConfID: "986112045",
			Payload: payload,
		}
	}
	ctx := context.Background()

	// The initial picture after Subscribe reports no changes.
	st.HandleEvent(ctx, &events.Subscribed{At: at})
	st.HandleEvent(ctx, push("m1", events.ModeFull, at.UnixMilli(), &events.ParticipantsNotify{
		Participants: []events.Participant{
			{PID: "p1", Info: events.PInfo{"NAME": "Li Wei", "ROLE": "1", "ADDTIME": "1736150461234"}},
			{PID: "p2", Info: events.PInfo{"NAME": "Meeting Room 3F", "MUTE": "1", "ADDTIME": "1736150495120"}},
		},
	}))
	// Deltas carry only what changed.
	st.HandleEvent(ctx, push("m2", events.ModeDelta, 57, &events.ParticipantsNotify{
		Participants: []events.Participant{
			{PID: "p1", Info: events.PInfo{"HAND": "1"}},
			{PID: "p2", Mode: 1 /* removes */},
		},
	}))
	// The same push again is dropped.
	st.HandleEvent(ctx, push("m2", events.ModeDelta, 57, &events.ParticipantsNotify{}))

	snap := st.Snapshot()
	for _, p := range snap.Participants.All() {
		fmt.Printf("%s (%s) hand raised: %v\n", p.Name, p.Role, p.HandRaised)
	}
	fmt.Printf("applied %d, duplicates %d\n", st.Stats().Applied, st.Stats().Duplicate)
	// Output:
	// change: Li Wei raised a hand
	// change: Meeting Room 3F left
	// Li Wei (host) hand raised: true
	// applied 2, duplicates 1
}
