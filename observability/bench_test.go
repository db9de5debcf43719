package observability_test

import (
	"context"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/observability"
)

// BenchmarkPushReceived is the adapter's cost per push on an SDK
// MeterProvider: what --metrics-addr adds to the socket reader's path.
func BenchmarkPushReceived(b *testing.B) {
	for _, per := range []bool{false, true} {
		name := "process"
		if per {
			name = "per-conference"
		}
		b.Run(name, func(b *testing.B) {
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
			defer mp.Shutdown(context.Background())
			m, err := observability.New(observability.Config{MeterProvider: mp, PerConference: per})
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			o := m.Observer("986112045")
			e := &events.Push{Action: events.ActionParticipants, CreateTime: time.Now()}
			b.ReportAllocs()
			for b.Loop() {
				o.PushReceived(e, 3*time.Millisecond)
			}
		})
	}
}
