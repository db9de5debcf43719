package record_test

import (
	"errors"
	"testing"
	"time"

	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
	"github.com/confwatch/confwatch/internal/record"
)

func TestFromEvent(t *testing.T) {
	at := time.Date(2026, 1, 6, 9, 0, 40, 2_000_000, time.UTC)
	tests := []struct {
		name string
		e    events.Event
		want string
	}{
		{"subscribed", &events.Subscribed{At: at}, `{"time":"2026-01-06T09:00:40.002Z","conference":"1","kind":"status","status":"subscribed"}`},
		{"disconnected", &events.Disconnected{At: at, Err: errors.New("read: EOF")}, `{"time":"2026-01-06T09:00:40.002Z","conference":"1","kind":"status","status":"disconnected","reason":"read: EOF"}`},
		{"resubscribed", &events.Resubscribed{BlindFrom: at.Add(-412 * time.Millisecond), BlindTo: at}, `{"time":"2026-01-06T09:00:40.002Z","conference":"1","kind":"status","status":"resubscribed","blindMs":412}`},
		{"resubscribed at once", &events.Resubscribed{BlindFrom: at, BlindTo: at}, `{"time":"2026-01-06T09:00:40.002Z","conference":"1","kind":"status","status":"resubscribed","blindMs":1}`},
		{"unknown push", &events.Push{Action: "FooNotify", CreateTime: at, MsgID: "m1", Mode: events.ModeDelta, Version: 3, Raw: []byte(`{"action":"FooNotify"}`)},
			`{"time":"2026-01-06T09:00:40.002Z","conference":"1","kind":"push","action":"FooNotify","mode":"delta","version":3,"msgID":"m1","payload":{"action":"FooNotify"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := record.FromEvent("1", tt.e)
			if !ok {
				t.Fatal("no record")
			}
			if got := string(r.Marshal()); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestChange(t *testing.T) {
	at := time.Date(2026, 1, 6, 9, 0, 40, 0, time.UTC)
	r := record.Change("1", meeting.Change{Kind: meeting.HandRaised, At: at, PID: "p1", Name: "Zhang Min", Inferred: true})
	want := `{"time":"2026-01-06T09:00:40.000Z","conference":"1","kind":"change","change":{"kind":"HandRaised","at":"2026-01-06T09:00:40Z","pid":"p1","name":"Zhang Min","inferred":true}}`
	if got := string(r.Marshal()); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestMarshalError(t *testing.T) {
	r := record.Record{Time: "t", Conference: "1", Kind: record.KindPush, Payload: func() {}}
	if got, want := string(r.Marshal()), `{"time":"t","conference":"1","kind":"error","reason":"json: unsupported type: func()"}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
