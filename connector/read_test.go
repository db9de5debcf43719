package connector_test

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/events"
)

// ownershipFrames are pushes of every shape the reader meets, each with
// content of its own (names of growing length, so that frames straddle
// buffer sizes), an action events does not decode among them.
func ownershipFrames(n int) [][]byte {
	frames := make([][]byte, 0, n)
	for i := range n {
		var f string
		switch i % 4 {
		case 0:
			f = fmt.Sprintf(`{"action":"ParticipantsNotify","msgMode":1,"version":%d,"data":[{"pid":"p%d","pinfoMap":{"NAME":"%s","MUTE":"%d"}}]}`, i+1, i, strings.Repeat(string(rune('a'+i%26)), 1+i*37%3000), i%2)
		case 1:
			f = fmt.Sprintf(`{"action":"SpeakerChangeNotify","msgMode":1,"version":%d,"data":[{"pid":"s%d","name":"%s","speakingVolume":%d}]}`, i+1, i, strings.Repeat("q", 1+i%300), i)
		case 2:
			f = fmt.Sprintf(`{"action":"FutureNotify","version":%d,"data":{"x":"%s"}}`, i+1, strings.Repeat("z", 1+i*53%5000))
		default:
			f = fmt.Sprintf(`{"action":"ParticipantsNotify","msgMode":0,"version":%d,"data":[{"pid":"f%d","pinfoMap":{"NAME":"full %d"}},{"pid":"g%d","pinfoMap":{"NAME":"%s"}}]}`, 1700000000000+i, i, i, i, strings.Repeat("w", 70000+i))
		}
		frames = append(frames, []byte(f))
	}
	return frames
}

// serveFrames answers Subscribe, then sends frames and waits for the
// client to go.
func serveFrames(frames [][]byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		up := websocket.Upgrader{}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		if _, _, err := c.ReadMessage(); err != nil {
			return
		}
		c.WriteMessage(websocket.TextMessage, []byte(`{"action":"Subscribe","sequence":"1","data":{"returnCode":0,"returnDesc":"ok"}}`))
		for _, f := range frames {
			if c.WriteMessage(websocket.TextMessage, f) != nil {
				return
			}
		}
		c.ReadMessage() // until the client goes
	}
}

// pushesOf returns the pushes among evs.
func pushesOf(evs []events.Event) []*events.Push {
	var out []*events.Push
	for _, e := range evs {
		if p, ok := e.(*events.Push); ok {
			out = append(out, p)
		}
	}
	return out
}

// checkOwnership compares each kept push with a fresh decoding of its
// frame, and its Raw with what keep says.
func checkOwnership(t *testing.T, pushes []*events.Push, frames [][]byte, keep bool) {
	t.Helper()
	for i, p := range pushes {
		want, err := events.Decode(frames[i])
		if err != nil {
			t.Fatal(err)
		}
		got, exp := *p, *want
		got.Raw, exp.Raw = nil, nil
		if !reflect.DeepEqual(got, exp) {
			t.Fatalf("push %d (%s) differs from its frame's decoding: a delivered push aliases a reused buffer", i, p.Action)
		}
		switch {
		case keep || p.Payload == nil:
			if string(p.Raw) != string(frames[i]) {
				t.Fatalf("push %d (%s): Raw is not its frame", i, p.Action)
			}
		case p.Raw != nil:
			t.Fatalf("push %d (%s): Raw kept (%d bytes) without KeepRaw", i, p.Action, len(p.Raw))
		}
	}
}

// TestDeliveredPushesOwnTheirBytes: the reader decodes every message in a
// buffer it reuses for the next one, so a handler that keeps pushes must
// find each exactly as decoded from its frame, long after later frames
// went through the same buffers; Raw holds the frame only as
// Config.KeepRaw says, and then as the push's own copy. Run with -race.
func TestDeliveredPushesOwnTheirBytes(t *testing.T) {
	frames := ownershipFrames(200)
	for _, keep := range []bool{false, true} {
		t.Run(fmt.Sprintf("KeepRaw=%v", keep), func(t *testing.T) {
			h := newHostile(t, serveFrames(frames), func(c *connector.Config) {
				c.Types = nil
				c.KeepRaw = keep
			})
			h.eventually("every push delivered", func() bool { return len(pushesOf(h.rec.all())) == len(frames) })
			checkOwnership(t, pushesOf(h.rec.all()), frames, keep)
			if st := h.sess.Stats(); st.Malformed != 0 || st.Dropped != 0 {
				t.Fatalf("stats %+v: want every frame decoded and delivered", st)
			}
		})
	}
}
