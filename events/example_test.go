package events_test

import (
	"fmt"

	"github.com/confwatch/confwatch/events"
)

func ExampleDecode() {
	frames := []string{
		`{"action":"ParticipantsNotify","version":57,"createTime":1736153196565,"msgID":"6a1f90e4cbd011ef9a2f0242ac120003","msgMode":1,"confID":"986112045",
		  "data":[{"pid":"q7m2xk9c4tz1w8d5r0yb6n3hv2pe7sfa","mode":0,"pinfoMap":{"NAME":"Li Wei","HAND":"1","CLIENT_LOGIN_TYPE":"Desktop"}},
		          {"pid":"f2n8ra5kz0c1v7yq4wx9m3dt6ub8hgle","mode":1,"pinfoMap":{}}]}`,
		`{"action":"SpeakerChangeNotify","version":1736153252860,"createTime":1736153252860,"msgMode":0,"confID":"986112045"}`,
		`{"action":"CustomMultiPicNotify","version":3,"msgMode":1,"confID":"986112045","data":{}}`,
		`["not","an","object"]`,
	}
	for _, f := range frames {
		p, err := events.Decode([]byte(f))
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		fmt.Printf("%s %s v%d:", p.Action, p.Mode, p.Version)
		switch pl := p.Payload.(type) {
		case *events.ParticipantsNotify:
			for _, e := range pl.Participants {
				if e.Removed() {
					fmt.Printf(" [%s left]", e.PID[:4])
					continue
				}
				fmt.Printf(" [%s %q hand=%t %s]", e.PID[:4], e.Info.Name(), e.Info.HandRaised(), e.Info.LoginType())
			}
		case *events.SpeakerChangeNotify:
			fmt.Printf(" %d speaking", len(pl.Speakers))
		case nil:
			fmt.Printf(" unknown action, %d raw bytes", len(p.Raw))
		}
		fmt.Println()
	}
	// Output:
	// ParticipantsNotify delta v57: [q7m2 "Li Wei" hand=true Desktop] [f2n8 left]
	// SpeakerChangeNotify full v1736153252860: 0 speaking
	// CustomMultiPicNotify delta v3: unknown action, 88 raw bytes
	// error: events: malformed frame: not a JSON object
}
