package events_test

import (
	"fmt"

	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/secret"
)

func tokenFromSomewhere() secret.Secret { return secret.New("placeholder") }

func ExampleDecode() {
	frames := []string{
		`{"action":"Subscribe","sequence":"000000000000000001736153012345","data":{"returnCode":0,"returnDesc ":"SUCCESS"}}`,
		`{"action":"ParticipantsNotify","version":57,"createTime":1736153196565,"msgID":"6a1f90e4cbd011ef9a2f0242ac120003","msgMode":1,"confID":"986112045",
		  "data":[{"pid":"q7m2xk9c4tz1w8d5r0yb6n3hv2pe7sfa","mode":0,"pinfoMap":{"NAME":"Li Wei","HAND":"1","CLIENT_LOGIN_TYPE":"Desktop"}},
		          {"pid":"f2n8ra5kz0c1v7yq4wx9m3dt6ub8hgle","mode":1,"pinfoMap":{}}]}`,
		`{"action":"SpeakerChangeNotify","version":1736153252860,"createTime":1736153252860,"msgMode":0,"confID":"986112045"}`,
		`{"action":"CustomMultiPicNotify","version":3,"msgMode":1,"confID":"986112045","data":{}}`,
		`{"sequence":"000000000000000001736153072345","action":"HeartBeat"}`,
		`["not","an","object"]`,
	}
	for _, f := range frames {
		fr, err := events.Decode([]byte(f))
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		switch fr := fr.(type) {
		case *events.SubscribeReply:
			fmt.Println("subscribed:", fr.OK(), fr.ReturnDesc)
		case *events.HeartBeat:
			fmt.Println("heartbeat echo", fr.Sequence)
		case *events.Push:
			fmt.Printf("%s %s v%d:", fr.Action, fr.Mode, fr.Version)
			switch p := fr.Payload.(type) {
			case *events.ParticipantsNotify:
				for _, e := range p.Participants {
					if e.Removed() {
						fmt.Printf(" [%s left]", e.PID[:4])
						continue
					}
					fmt.Printf(" [%s %q hand=%t %s]", e.PID[:4], e.Info.Name(), e.Info.HandRaised(), e.Info.LoginType())
				}
			case *events.SpeakerChangeNotify:
				fmt.Printf(" %d speaking", len(p.Speakers))
			case nil:
				fmt.Printf(" unknown action, %d raw bytes", len(fr.Raw))
			}
			fmt.Println()
		}
	}
	// Output:
	// subscribed: true SUCCESS
	// ParticipantsNotify delta v57: [q7m2 "Li Wei" hand=true Desktop] [f2n8 left]
	// SpeakerChangeNotify full v1736153252860: 0 speaking
	// CustomMultiPicNotify delta v3: unknown action, 88 raw bytes
	// heartbeat echo 000000000000000001736153072345
	// error: events: malformed frame: not a JSON object
}

func ExampleEncodeSubscribe() {
	// In a real client the token comes from the control-token call and the
	// sequence from events.Sequence(time.Now()).
	tok := tokenFromSomewhere()
	frame, err := events.EncodeSubscribe("000000000000000001736153012345", "986112045",
		[]string{events.ActionParticipants, events.ActionSpeakerChange}, tok)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(frame)) // printed here only because the token is a placeholder
	fmt.Println(tok)           // a Secret never prints
	// Output:
	// {"action":"Subscribe","sequence":"000000000000000001736153012345","data":"{\"conferenceID\":\"986112045\",\"subscribeType\":[\"ParticipantsNotify\",\"SpeakerChangeNotify\"],\"confToken\":\"placeholder\"}"}
	// REDACTED
}
