package events_test

import (
	"context"
	"fmt"
	"time"

	"github.com/confwatch/confwatch/events"
)

// ExampleOn registers a typed handler: it receives the decoded
// ParticipantsNotify payloads and no other push.
func ExampleOn() {
	mux := events.NewMux(nil)
	events.On(mux, func(_ context.Context, p *events.Push, n *events.ParticipantsNotify) {
		for _, part := range n.Participants {
			fmt.Printf("conf %s: %s removed=%v\n", p.ConfID, part.PID, part.Removed())
		}
	}, events.HandlerOptions{Name: "roster"})

	// A session (the connector) calls HandleEvent for each event in order.
	ctx := context.Background()
	mux.HandleEvent(ctx, &events.Push{
		Action: events.ActionParticipants, ConfID: "981234",
		Payload: &events.ParticipantsNotify{Participants: []events.Participant{
			{PID: "alice"},
			{PID: "bob", Mode: 1 /* removes */},
		}},
	})
	mux.HandleEvent(ctx, &events.Push{
		Action: events.ActionSpeakerChange, ConfID: "981234",
		Payload: &events.SpeakerChangeNotify{},
	})

	// Close delivers what is queued and joins the handler's goroutine.
	if err := mux.Close(ctx); err != nil {
		fmt.Println(err)
	}
	st := mux.Stats()[0]
	fmt.Printf("%s: delivered %d, dropped %d\n", st.Name, st.Delivered, st.Dropped)
	// Output:
	// conf 981234: alice removed=false
	// conf 981234: bob removed=true
	// roster: delivered 1, dropped 0
}

// ExampleMux_HandleAll shows a catch-all handler receiving the lifecycle
// events in order with the pushes.
func ExampleMux_HandleAll() {
	mux := events.NewMux(nil)
	mux.HandleAll(events.HandlerFunc(func(_ context.Context, e events.Event) {
		switch e := e.(type) {
		case *events.Push:
			fmt.Println("push", e.Action)
		case *events.Resubscribed:
			fmt.Println("resubscribed after", e.Blind())
		default:
			fmt.Printf("%T\n", e)
		}
	}), events.HandlerOptions{Name: "audit"})

	ctx := context.Background()
	at := func(s int) time.Time { return time.Unix(1700000000+int64(s), 0) }
	mux.HandleEvent(ctx, &events.Subscribed{At: at(0)})
	mux.HandleEvent(ctx, &events.Push{Action: events.ActionConfDynamicInfo})
	mux.HandleEvent(ctx, &events.Disconnected{At: at(10)})
	mux.HandleEvent(ctx, &events.Resubscribed{BlindFrom: at(10), BlindTo: at(13)})
	mux.HandleEvent(ctx, &events.Push{Action: events.ActionParticipants})
	if err := mux.Close(ctx); err != nil {
		fmt.Println(err)
	}
	// Output:
	// *events.Subscribed
	// push ConfDynamicInfoNotify
	// *events.Disconnected
	// resubscribed after 3s
	// push ParticipantsNotify
}
