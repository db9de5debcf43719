package connector_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
	"github.com/confwatch/confwatch/integration/fakemeeting"
	"github.com/confwatch/confwatch/secret"
	"github.com/confwatch/confwatch/token"
)

// A session against the fake meeting: it subscribes, receives the
// snapshots, and Run returns ErrMeetingEnded when the meeting ends.
func ExampleSession() {
	fake, _ := fakemeeting.New(fakemeeting.Config{})
	defer fake.Close()

	client, _ := token.New(token.Config{BaseURL: fake.URL()})
	tokens, _ := token.NewProvider(client, token.ProviderConfig{
		ConferenceID: fake.ConferenceID(),
		Password:     secret.New(fake.HostPassword()),
	})
	sess, _ := connector.New(connector.Config{
		ConferenceID:   fake.ConferenceID(),
		Tokens:         tokens,
		Types:          []string{events.ActionConfDynamicInfo},
		AllowPlainText: true, // the fake serves plain http here
	})
	go func() {
		fake.WaitSubscribed(context.Background(), 1)
		fake.Meeting().End(context.Background())
	}()
	err := sess.Run(context.Background(), events.HandlerFunc(func(ctx context.Context, e events.Event) {
		switch e := e.(type) {
		case *events.Subscribed:
			fmt.Println("subscribed")
		case *events.Push:
			fmt.Println(e.Action, e.Mode, e.Payload.(*events.ConfDynamicInfoNotify).State)
		}
	}))
	fmt.Println("ended:", errors.Is(err, connector.ErrMeetingEnded))
	// Output:
	// subscribed
	// ConfDynamicInfoNotify full Created
	// ConfDynamicInfoNotify full Destroyed
	// ended: true
}

// The whole happy path, in the order it is written: credentials, session,
// meeting state (which asks the session for a resync on a version gap),
// a Mux feeding it, Run until the meeting ends. It prints who joins.
func ExampleSession_meetingState() {
	fake, _ := fakemeeting.New(fakemeeting.Config{})
	defer fake.Close()

	// 1. Credentials: the meeting ID and the host password.
	client, _ := token.New(token.Config{BaseURL: fake.URL()})
	tokens, _ := token.NewProvider(client, token.ProviderConfig{
		ConferenceID: fake.ConferenceID(),
		Password:     secret.New(fake.HostPassword()),
	})
	// 2. The session. It takes its handler when it runs, so everything
	// below can refer to it.
	sess, err := connector.New(connector.Config{
		ConferenceID:   fake.ConferenceID(),
		Tokens:         tokens,
		AllowPlainText: true, // the fake serves plain http here
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// 3. The live picture of the meeting, and what to do with its changes.
	state := meeting.New(meeting.Config{
		Resync: sess.Resync,
		OnChange: func(c meeting.Change) {
			if c.Kind == meeting.ParticipantJoined && !c.Inferred {
				fmt.Println(c)
			}
		},
	})
	// 4. A Mux: each handler gets its own queue and goroutine.
	mux := events.NewMux(nil)
	mux.HandleAll(state, events.HandlerOptions{Name: "state"})

	go func() {
		ctx := context.Background()
		fake.WaitSubscribed(ctx, 1)
		fake.Meeting().Join(fakemeeting.Person{Name: "Zhang Min"})
		fake.Meeting().Join(fakemeeting.Person{Name: "Li Wei"})
		fake.Meeting().End(ctx)
	}()
	// 5. Run until the meeting ends (or ctx is done).
	err = sess.Run(context.Background(), mux)
	mux.Close(context.Background())
	fmt.Println("ended:", errors.Is(err, connector.ErrMeetingEnded))
	fmt.Println("people at the end:", state.Snapshot().Participants.Len())
	// Output:
	// Zhang Min joined
	// Li Wei joined
	// ended: true
	// people at the end: 2
}
