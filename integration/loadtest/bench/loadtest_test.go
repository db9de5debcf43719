package bench

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/confwatch/confwatch/integration/loadtest/internal/scenario"
)

// TestLoadtestQuick runs the quick mode of the throughput, memory,
// recovery, storm, latency and fleet scenarios. It checks that each completes and
// produces sane, non-zero figures; it asserts no timing, since this
// machine's speed is not the code's. The scale scenario (10,000 sessions)
// is left to the load command.
func TestLoadtestQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("loopback load scenarios; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	o := scenario.Options{Quick: true, Spawn: spawn}
	if testing.Verbose() {
		o.Out = os.Stdout
	}

	t.Run("throughput", func(t *testing.T) {
		r, err := scenario.Throughput(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range r.Figures {
			if f.EventsPerSec <= 0 {
				t.Errorf("%s/%s: %v events/s", f.Source, f.Kind, f.EventsPerSec)
			}
			if f.Kind == scenario.KindSession && (f.RatioBare <= 0 || f.RatioNaive <= 0 || f.AllocsPerEv <= 0) {
				t.Errorf("%s/session: ratios %v/%v, allocs %v", f.Source, f.RatioBare, f.RatioNaive, f.AllocsPerEv)
			}
			if f.Dropped != 0 {
				t.Errorf("%s/%s dropped %d pushes", f.Source, f.Kind, f.Dropped)
			}
		}
	})

	t.Run("memory", func(t *testing.T) {
		r, err := scenario.Memory(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range r.Rows {
			// Goroutine counts are exact: one reader per bare socket, and
			// a session's own (at least Run's and the reader; an own Mux
			// adds its handler's).
			min := map[string]float64{scenario.VariantBare: 1, scenario.VariantSession: 2, scenario.VariantSessionMux: 3}[row.Variant]
			if row.Goroutines < min || row.HeapPer <= 0 {
				t.Errorf("%s/%d: %.2f goroutines, %.0f B heap per client", row.Variant, row.BufferSize, row.Goroutines, row.HeapPer)
			}
		}
	})

	t.Run("recovery", func(t *testing.T) {
		r, err := scenario.Recovery(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		if r.Recovery.N != r.Drops || r.Recovery.P50 <= 0 || r.Recovery.P99 < r.Recovery.P50 {
			t.Errorf("recovery figures: %+v", r.Recovery)
		}
	})

	t.Run("storm", func(t *testing.T) {
		r, err := scenario.Storm(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range r.Rounds {
			if x.GaveUp != 0 || x.NotBack != 0 {
				t.Errorf("%d sessions gave up, %d not back", x.GaveUp, x.NotBack)
			}
			if x.TokenRequests < r.N || len(x.Buckets) == 0 || x.MaxShare <= 0 || x.AllBack <= 0 {
				t.Errorf("storm figures: %d token requests for %d sessions, %d buckets, max share %v, all back %v",
					x.TokenRequests, r.N, len(x.Buckets), x.MaxShare, x.AllBack)
			}
		}
	})

	t.Run("latency", func(t *testing.T) {
		r, err := scenario.Latency(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range r.Rows {
			if row.Received == 0 || row.Lat.P50 <= 0 || row.Lat.P99 < row.Lat.P50 {
				t.Errorf("%s at %d/s: %d received, %+v", row.Client, row.Rate, row.Received, row.Lat)
			}
		}
	})

	t.Run("fleet", func(t *testing.T) {
		r, err := scenario.Fleet(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		checkFleet(t, r)
	})
}

// checkFleet checks that the fleet scenario's figures are there and that
// the fake saw at most one socket per meeting.
func checkFleet(t *testing.T, r *scenario.FleetResult) {
	t.Helper()
	if r.Ramp <= 0 || len(r.Placement) != r.Workers || r.Steady.KVWrites["KV_confwatch-leases"] <= 0 {
		t.Errorf("fleet ramp %v, placement %v, lease writes %v/s", r.Ramp, r.Placement, r.Steady.KVWrites["KV_confwatch-leases"])
	}
	if r.Pub.Records <= 0 || r.Moved == 0 || r.Failover.N != r.Moved {
		t.Errorf("fleet publish %+v, failover of %d meetings: %+v", r.Pub, r.Moved, r.Failover)
	}
	if r.MaxLiveSockets != 1 || r.TokenReuse != 0 {
		t.Errorf("fake: high-water %d, ws-token reuse %d", r.MaxLiveSockets, r.TokenReuse)
	}
}
