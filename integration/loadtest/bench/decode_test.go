package bench

import (
	"context"
	"encoding/json"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/integration/fakemeeting"
	"github.com/confwatch/confwatch/integration/loadtest/internal/scenario"
)

// recorded holds frames captured once from the fake, shared by the
// benchmarks of this file.
var recorded struct {
	once         sync.Once
	err          error
	head, frames [][]byte
}

// frames returns the snapshot burst and 400 frames of a mixed flood from a
// 50-person meeting.
func frames(b *testing.B) (head, flood [][]byte) {
	recorded.once.Do(func() {
		recorded.head, recorded.frames, recorded.err = scenario.RecordFrames(context.Background(), 400, fakemeeting.FloodMixed)
	})
	if recorded.err != nil {
		b.Fatal(recorded.err)
	}
	return recorded.head, recorded.frames
}

// pick returns the recorded flood frames of action.
func pick(b *testing.B, action string) [][]byte {
	_, flood := frames(b)
	var out [][]byte
	for _, f := range flood {
		var env struct{ Action string }
		if json.Unmarshal(f, &env) == nil && env.Action == action {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		b.Fatalf("no %s frames recorded", action)
	}
	return out
}

// BenchmarkDecode is the decoding step of the session's reader, per frame.
// The naive sub-benchmark is the map[string]any baseline's decoding.
func BenchmarkDecode(b *testing.B) {
	head, _ := frames(b)
	snapshot := head[1] // the burst follows the Subscribe reply; ParticipantsNotify first
	cases := []struct {
		name   string
		frames [][]byte
	}{
		{"participant-delta", pick(b, events.ActionParticipants)},
		{"speaker-change", pick(b, events.ActionSpeakerChange)},
		{"participants-snapshot-50", [][]byte{snapshot}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.frames[0])))
			for i := 0; b.Loop(); i++ {
				if _, err := events.Decode(c.frames[i%len(c.frames)]); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/naive", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.frames[0])))
			for i := 0; b.Loop(); i++ {
				var m map[string]any
				if err := json.Unmarshal(c.frames[i%len(c.frames)], &m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMux is the dispatch step: decoded pushes through Mux.HandleEvent
// to two events.On handlers (the throughput scenario's session), measured
// until the handlers have seen every event.
func BenchmarkMux(b *testing.B) {
	_, flood := frames(b)
	pushes := make([]events.Event, len(flood))
	for i, f := range flood {
		p, err := events.Decode(f)
		if err != nil {
			b.Fatal(err)
		}
		pushes[i] = p
	}
	m := events.NewMux(nil)
	defer m.Close(context.Background())
	var seen atomic.Int64
	events.On(m, func(context.Context, *events.Push, *events.ParticipantsNotify) { seen.Add(1) }, events.HandlerOptions{})
	events.On(m, func(context.Context, *events.Push, *events.SpeakerChangeNotify) { seen.Add(1) }, events.HandlerOptions{})
	ctx := context.Background()
	b.ReportAllocs()
	n := 0
	for i := 0; b.Loop(); i++ {
		m.HandleEvent(ctx, pushes[i%len(pushes)])
		n++
	}
	for seen.Load() < int64(n) {
		// The handlers drain their queues; the wait is part of the cost.
		runtime.Gosched()
	}
}
