package bench

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/confwatch/confwatch/integration/fakemeeting"
	"github.com/confwatch/confwatch/integration/loadtest/internal/scenario"
	"github.com/confwatch/confwatch/observability/endpoint"
)

// variant is one sub-benchmark of a flood: a client kind, and whether its
// session is observed by the metrics endpoint (--metrics-addr).
type variant struct {
	name    string
	kind    scenario.Kind
	metrics bool
}

// variants are the Kinds, then KindSession with metrics on.
func variants() []variant {
	var vs []variant
	for _, k := range scenario.Kinds {
		vs = append(vs, variant{string(k), k, false})
	}
	return append(vs, variant{string(scenario.KindSession) + "-metrics", scenario.KindSession, true})
}

// benchFlood sends b.N pushes from src to one client of each variant and
// reports events/s and CPU time per event (user + system of this process,
// which also runs the replay server, if any: it writes pre-built bytes);
// allocations are the client's (the fake, if any, runs in a child
// process).
func benchFlood(b *testing.B, src scenario.Source) {
	for _, v := range variants() {
		b.Run(v.name, func(b *testing.B) {
			ctx := context.Background()
			var cc scenario.ClientConfig
			var ms *endpoint.Server
			if v.metrics {
				var err error
				if ms, err = endpoint.Start(endpoint.Config{Addr: "127.0.0.1:0"}); err != nil {
					b.Fatal(err)
				}
				defer ms.Close(ctx)
				cc.Observer = ms.Metrics().Observer("bench")
			}
			c, err := scenario.Connect(ctx, src, v.kind, cc)
			if err != nil {
				b.Fatal(err)
			}
			defer func() {
				if err := c.Close(); err != nil {
					b.Error(err)
				}
			}()
			base := received(b, ms)
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime()
			d, err := c.Flood(ctx, b.N, fakemeeting.FloodMixed)
			cpu := cpuTime() - cpu0
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/d.Seconds(), "events/s")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/ev")
			if got := received(b, ms) - base; ms != nil && got != float64(b.N) {
				b.Fatalf("the metrics counted %v pushes of %d: the observer is not wired", got, b.N)
			}
		})
	}
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

var receivedLine = regexp.MustCompile(`(?m)^confwatch_events_received_total\{[^}]*\} ([0-9.e+]+)$`)

// received scrapes ms and sums confwatch_events_received_total (0 when
// metrics are off).
func received(b *testing.B, ms *endpoint.Server) float64 {
	if ms == nil {
		return 0
	}
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := hc.Get("http://" + ms.Addr() + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	page, err := io.ReadAll(resp.Body)
	if err != nil {
		b.Fatal(err)
	}
	var n float64
	for _, m := range receivedLine.FindAllStringSubmatch(string(page), -1) {
		v, _ := strconv.ParseFloat(m[1], 64)
		n += v
	}
	return n
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
