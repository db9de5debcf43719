package connector

import (
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/confwatch/confwatch/clock"
	"github.com/confwatch/confwatch/events"
)

// BenchmarkHandlePush is the reader's work for one participant delta
// (decode, count, queue), without an Observer and with one whose
// callbacks do nothing: the difference is what the hooks themselves cost
// on the hot path (a clock read and an indirect call); what an adapter
// does in them comes on top (observability: BenchmarkPushReceived).
func BenchmarkHandlePush(b *testing.B) {
	frame, err := os.ReadFile("../events/testdata/ParticipantsNotify.incremental.json")
	if err != nil {
		b.Fatal(err)
	}
	noop := &Observer{
		PushReceived: func(*events.Push, time.Duration) {},
		Dropped:      func(string) {},
	}
	for _, c := range []struct {
		name string
		obs  *Observer
	}{{"no-observer", nil}, {"observer", noop}} {
		b.Run(c.name, func(b *testing.B) {
			cfg := Config{Observer: c.obs, Clock: clock.Real()}
			env := &linkEnv{
				cfg: &cfg, log: slog.New(slog.DiscardHandler), c: &counters{},
				deliver:  func(*events.Push, int64) bool { return true },
				announce: func(events.Event) {},
				resync:   func(string) {}, clean: func(s string) string { return s },
			}
			l := &link{env: env}
			replied := true
			b.ReportAllocs()
			b.SetBytes(int64(len(frame)))
			for b.Loop() {
				if !l.handle(websocket.TextMessage, frame, &replied) {
					b.Fatal("the link ended")
				}
			}
		})
	}
}
