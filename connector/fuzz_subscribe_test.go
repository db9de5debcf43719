package connector_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
)

var fzOKReply = []byte(`{"action":"Subscribe","sequence":"000000000000000001736153012345","data":{"returnCode":0,"returnDesc":"SUCCESS"}}`)

// FuzzSubscribeReply answers the session's Subscribe with two arbitrary
// frames and then closes the socket. The protocol fixes the outcome: the
// first Subscribe reply decides (returnCode 0 subscribes; any other code
// is a refusal, re-authenticated), a Destroyed status ends the meeting,
// and anything else leaves the attempt to fail as a retry when the socket
// closes. Properties: no panic; the session's outcome is that one; the
// lifecycle events form Subscribed (Disconnected Resubscribed)* and
// announce exactly the Subscribes the session counted; no secret reaches
// a log line or an error.
func FuzzSubscribeReply(f *testing.F) {
	s := newFzServer(f)
	for _, seed := range [][2]string{
		{string(fzOKReply), `{"action":"HeartBeat","sequence":"1"}`},
		{`{"action":"Subscribe","sequence":"1","data":"{\"returnCode\":0,\"returnDesc\":\"SUCCESS\"}"}`, ``},
		{`{"action":"Subscribe","data":{"returnCode":"0","returnDesc ":"SUCCESS"}}`, `{}`},
		{`{"action":"Subscribe","data":{"returnCode":111070004,"returnDesc":"CONF_AUTH_FAILED"}}`, ``},
		{`{"action":"Subscribe","data":{"returnCode":"111072006"}}`, string(fzOKReply)},
		{`{"action":"Subscribe"}`, ``},
		{`{"action":"Subscribe","data":null}`, ``},
		{`{"action":"ConfDynamicInfoNotify","version":1,"msgMode":0,"confID":"986112045","state":"Destroyed"}`, string(fzOKReply)},
		{string(fzOKReply), `{"action":"ConfDynamicInfoNotify","version":1,"msgMode":0,"confID":"986112045","state":"Destroyed"}`},
		{`{"action":"ParticipantsNotify","version":1,"msgMode":0,"data":[]}`, string(fzOKReply)},
		{`{"action":"Subscribe","data":{"returnCode":1e3}}`, `not json`},
		{`[]`, `{"action":""}`},
	} {
		f.Add([]byte(seed[0]), []byte(seed[1]))
	}
	f.Fuzz(func(t *testing.T, reply, next []byte) {
		frames := [][]byte{reply, next}
		want, ended := expectation(frames)
		lc := &lifecycleLog{}
		st, logs, err := s.fzRun(t, fzScript{frames: frames, closeAfter: true}, lc,
			func(st connector.Stats) bool { return attempts(st) > 0 })
		switch {
		case ended:
			if !errors.Is(err, connector.ErrMeetingEnded) {
				t.Fatalf("a Destroyed status before any refusal: Run = %v, want ErrMeetingEnded", err)
			}
			return
		case err != nil:
			t.Fatalf("Run = %v; only a Destroyed status may end it", err)
		case want != nil && want.OK():
			if st.Subscribes != 1 {
				t.Fatalf("reply %q accepts, but the session counted %d Subscribes (last error %q)\n%s", reply, st.Subscribes, st.LastError, logs)
			}
		case want != nil:
			if st.Subscribes != 0 || st.Reconnects["reauth"] != 1 || !strings.Contains(st.LastError, "subscribe rejected") {
				t.Fatalf("refusal %q: subscribes %d, reconnects %v, last error %q; want a re-authentication", reply, st.Subscribes, st.Reconnects, st.LastError)
			}
		default:
			if st.Subscribes != 0 || st.Reconnects["retry"] != 1 {
				t.Fatalf("no Subscribe reply: subscribes %d, reconnects %v; want one retry", st.Subscribes, st.Reconnects)
			}
		}
		// Subscribed is announced only for a link the session kept, and
		// every announced link that ends is followed by Disconnected.
		lc.check(t, st.Subscribes)
	})
}

// FuzzPushFrames subscribes normally, then sends one arbitrary frame twice
// (the second a duplicate, as the vendor may send) followed by a marker,
// with a meeting.State as the session's handler. The seed corpus in
// testdata/fuzz/FuzzPushFrames holds a frame of every push type (the
// vendor samples and the decoder's documented variants); package events
// has FuzzDecode for the decoder alone. Properties: no panic in the
// reader, the decoder or the state; a frame that does not decode is
// counted malformed and skipped, and no push costs the link unless it is
// a Destroyed status (which ends the meeting); the snapshot still
// marshals to JSON; no secret is logged.
func FuzzPushFrames(f *testing.F) {
	s := newFzServer(f)
	marker := []byte(`{"action":"` + fzMarker + `","version":1,"msgMode":0,"confID":"986112045","data":{}}`)
	f.Add([]byte(`{"action":"SpeakerChangeNotify","version":1736153012345,"msgMode":0,"confID":"986112045"}`))
	f.Fuzz(func(t *testing.T, frame []byte) {
		state := meeting.New(meeting.Config{})
		seen := make(chan struct{})
		var once sync.Once
		h := events.HandlerFunc(func(ctx context.Context, e events.Event) {
			state.HandleEvent(ctx, e)
			if p, ok := e.(*events.Push); ok && p.Action == fzMarker {
				once.Do(func() { close(seen) })
			}
		})
		_, ended := expectation([][]byte{fzOKReply, frame})
		st, logs, err := s.fzRun(t, fzScript{frames: [][]byte{fzOKReply, frame, frame, marker}}, h, func(connector.Stats) bool {
			select {
			case <-seen:
				return true
			default:
				return false
			}
		})
		if ended {
			if !errors.Is(err, connector.ErrMeetingEnded) {
				t.Fatalf("a Destroyed status: Run = %v, want ErrMeetingEnded", err)
			}
			return
		}
		if err != nil {
			t.Fatalf("Run = %v\n%s", err, logs)
		}
		wantMalformed := int64(0)
		if _, derr := connector.DecodeFrame(frame); derr != nil {
			wantMalformed = 2
		}
		if st.Malformed != wantMalformed {
			t.Fatalf("malformed = %d, want %d", st.Malformed, wantMalformed)
		}
		if st.Subscribes != 1 || attempts(st) != 0 {
			t.Fatalf("a push cost the link: subscribes %d, reconnects %v, last error %q", st.Subscribes, st.Reconnects, st.LastError)
		}
		if _, err := json.Marshal(state.Snapshot()); err != nil {
			t.Fatalf("the snapshot does not marshal: %v", err)
		}
	})
}
