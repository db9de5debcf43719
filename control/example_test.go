package control_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/confwatch/confwatch/secret"
	"log"

	"github.com/confwatch/confwatch/control"
	"github.com/confwatch/confwatch/integration/fakemeeting"
	"github.com/confwatch/confwatch/token"
)

// Example lowers a hand that is up and lets a guest in from the waiting
// room, on the fake meeting service, then reads who is there.
func Example() {
	srv, err := fakemeeting.New(fakemeeting.Config{Participants: []fakemeeting.Person{
		{PID: "pid-li-wei", Name: "Li Wei", Role: fakemeeting.RoleHost},
		{PID: "pid-zhang-min", Name: "Zhang Min", Hand: true},
	}})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	if _, err := srv.Meeting().WaitingRoomJoin(fakemeeting.Person{PID: "pid-guest-wang", Name: "Guest Wang"}); err != nil {
		log.Fatal(err)
	}

	client, _ := token.New(token.Config{BaseURL: srv.URL()})
	defer client.CloseIdleConnections()
	tokens, _ := token.NewProvider(client, token.ProviderConfig{
		ConferenceID: srv.ConferenceID(), Password: secret.New(srv.HostPassword()),
	})
	ctl, err := control.New(control.Config{Tokens: tokens})
	if err != nil {
		log.Fatal(err)
	}

	ctx := context.Background()
	if err := ctl.SetHands(ctx, false, "pid-zhang-min"); err != nil {
		log.Fatal(err)
	}
	if err := ctl.Admit(ctx, "pid-guest-wang"); err != nil {
		log.Fatal(err)
	}
	info, err := ctl.RealTimeInfo(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range info.Participants {
		fmt.Printf("%s hand=%v host=%v\n", p.Name, p.HandRaised, p.ID == info.Host)
	}

	// Admitting the same guest again fails: nobody of that ID waits.
	err = ctl.Admit(ctx, "pid-guest-wang")
	fmt.Println(errors.Is(err, token.ErrParticipantNotFound))
	// Output:
	// Li Wei hand=false host=true
	// Zhang Min hand=false host=false
	// Guest Wang hand=false host=false
	// true
}
