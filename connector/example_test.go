package connector_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/events"
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
		ConferenceID: fake.ConferenceID(),
		Tokens:       tokens,
		Types:        []string{events.ActionConfDynamicInfo},
		Handler: events.HandlerFunc(func(ctx context.Context, e events.Event) {
			switch e := e.(type) {
			case *events.Subscribed:
				fmt.Println("subscribed")
			case *events.Push:
				fmt.Println(e.Action, e.Mode, e.Payload.(*events.ConfDynamicInfoNotify).State)
			}
		}),
	})
	go func() {
		fake.WaitSubscribed(context.Background(), 1)
		fake.End()
	}()
	err := sess.Run(context.Background())
	fmt.Println("ended:", errors.Is(err, connector.ErrMeetingEnded))
	// Output:
	// subscribed
	// ConfDynamicInfoNotify full Created
	// ConfDynamicInfoNotify full Destroyed
	// ended: true
}
