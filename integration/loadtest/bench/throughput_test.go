package bench

import (
	"context"
	"testing"

	"github.com/confwatch/confwatch/integration/fakemeeting"
	"github.com/confwatch/confwatch/integration/loadtest/internal/scenario"
)

// benchFlood sends b.N pushes from src to one client of each kind and
// reports events/s; allocations are the client's (the fake, if any, runs in
// a child process; the replay server writes pre-built bytes).
func benchFlood(b *testing.B, src scenario.Source) {
	for _, kind := range scenario.Kinds {
		b.Run(string(kind), func(b *testing.B) {
			ctx := context.Background()
			c, err := scenario.Connect(ctx, src, kind, scenario.ClientConfig{})
			if err != nil {
				b.Fatal(err)
			}
			defer func() {
				if err := c.Close(); err != nil {
					b.Error(err)
				}
			}()
			b.ReportAllocs()
			b.ResetTimer()
			d, err := c.Flood(ctx, b.N, fakemeeting.FloodMixed)
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/d.Seconds(), "events/s")
		})
	}
}

// BenchmarkFlood: fakemeeting.Meeting.Flood in a child process, end to end. The
// fake is usually the bottleneck, so compare client CPU, not only rates.
func BenchmarkFlood(b *testing.B) {
	f, err := scenario.StartFake(context.Background(), spawn)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	benchFlood(b, f)
}

// BenchmarkReplay: frames recorded from Flood, written back to back by a
// server that costs next to nothing, so the client bounds the rate.
func BenchmarkReplay(b *testing.B) {
	r, err := scenario.NewReplay(context.Background(), 4000, fakemeeting.FloodMixed)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	benchFlood(b, r)
}
