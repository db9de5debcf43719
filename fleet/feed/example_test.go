package feed_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
	"github.com/confwatch/confwatch/fleet/feed"
)

// A dashboard written for a session, run on a fleet's stream instead:
// the same Mux and State, no meeting credentials. (It needs a NATS
// server with a fleet, so it has no output to check.)
func Example() {
	ctx := context.Background()
	nc, err := nats.Connect("nats://127.0.0.1:4222")
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)

	f, err := feed.New(feed.Config{JetStream: js, Conference: "986112045",
		OnOwner: func(owner string) { fmt.Println("owner:", owner) }})
	if err != nil {
		log.Fatal(err)
	}
	st, err := f.NewState(ctx, meeting.Config{OnChange: func(c meeting.Change) { fmt.Println(c) }})
	if err != nil {
		log.Fatal(err)
	}
	mux := events.NewMux(nil)
	mux.HandleAll(st, events.HandlerOptions{Name: "state"})
	events.On(mux, func(_ context.Context, _ *events.Push, p *events.SpeakerChangeNotify) {
		fmt.Println(len(p.Speakers), "speaking")
	}, events.HandlerOptions{Name: "speakers"})
	err = f.Run(ctx, mux)
	_ = mux.Close(ctx)
	if errors.Is(err, connector.ErrMeetingEnded) {
		fmt.Println("the meeting ended with", st.Snapshot().Participants.Len(), "people in it")
	}
}
