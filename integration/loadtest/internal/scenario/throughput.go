package scenario

import (
	"context"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/confwatch/confwatch/integration/fakemeeting"
)

// ThroughputFigures are one client kind's results from one source
// (medians over rounds).
type ThroughputFigures struct {
	Source       string // "flood" or "replay"
	Kind         Kind
	EventsPerSec float64
	AllocsPerEv  float64
	BytesPerEv   float64
	CPUPerEv     time.Duration // client process CPU per event
	// RatioBare and RatioNaive are EventsPerSec over the same round's
	// bare and naive figures, median over rounds.
	RatioBare, RatioNaive float64
	Dropped               int64 // pushes a session dropped (must be 0)
}

// ThroughputResult is the throughput scenario's outcome.
type ThroughputResult struct {
	Frames  int // pushes per flood
	Rounds  int
	Mix     string
	Figures []ThroughputFigures // flood rows, then replay rows, in Kinds order
}

// Find returns the figures of kind from source.
func (r *ThroughputResult) Find(source string, kind Kind) ThroughputFigures {
	for _, f := range r.Figures {
		if f.Source == source && f.Kind == kind {
			return f
		}
	}
	return ThroughputFigures{}
}

// Throughput floods one client of each kind with the same frames, round
// after round in rotating order, from two sources: fakemeeting.Meeting.Flood in a
// child process (end to end, bounded by the fake) and a replay of frames
// recorded from it (bounded by the client). It reports events/s,
// allocations and CPU per event, and ratios against both baselines.
func Throughput(ctx context.Context, o Options) (*ThroughputResult, error) {
	n := pick(o, o.N, 5_000, 200_000)
	rounds := pick(o, o.Rounds, 1, 5)
	mix := fakemeeting.FloodMixed
	res := &ThroughputResult{Frames: n, Rounds: rounds, Mix: mixName(mix)}

	f, err := StartFake(ctx, o.Spawn)
	if err != nil {
		return nil, err
	}
	figs, err := throughputRounds(ctx, o, "flood", f, n, rounds, mix)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	res.Figures = append(res.Figures, figs...)

	rp, err := NewReplay(ctx, 4000, mix)
	if err != nil {
		return nil, err
	}
	figs, err = throughputRounds(ctx, o, "replay", rp, n, rounds, mix)
	rp.Close()
	if err != nil {
		return nil, err
	}
	res.Figures = append(res.Figures, figs...)
	res.print(o.out(), o.mode())
	return res, nil
}

func throughputRounds(ctx context.Context, o Options, name string, src Source, n, rounds int, mix fakemeeting.FloodMix) ([]ThroughputFigures, error) {
	samples := map[Kind][]FloodSample{}
	rb, rn := map[Kind][]float64{}, map[Kind][]float64{}
	for r := range rounds {
		rates := map[Kind]float64{}
		for i := range Kinds {
			kind := Kinds[(i+r)%len(Kinds)] // rotate so no kind always runs first
			s, err := FloodOnce(ctx, src, kind, n, mix, ClientConfig{BufferSize: o.BufferSize})
			if err != nil {
				return nil, fmt.Errorf("scenario: throughput: %s: %s: %w", name, kind, err)
			}
			o.log().Info("throughput", "source", name, "round", r+1, "kind", kind, "events/s", int(s.Rate))
			samples[kind] = append(samples[kind], s)
			rates[kind] = s.Rate
		}
		for _, k := range Kinds {
			rb[k] = append(rb[k], ratio(rates[k], rates[KindBare]))
			rn[k] = append(rn[k], ratio(rates[k], rates[KindNaive]))
		}
	}
	var out []ThroughputFigures
	for _, kind := range Kinds {
		ss := samples[kind]
		fig := ThroughputFigures{Source: name, Kind: kind, RatioBare: median(rb[kind]), RatioNaive: median(rn[kind])}
		fig.EventsPerSec = medianF(ss, func(s FloodSample) float64 { return s.Rate })
		fig.AllocsPerEv = medianF(ss, func(s FloodSample) float64 { return s.Allocs })
		fig.BytesPerEv = medianF(ss, func(s FloodSample) float64 { return s.Bytes })
		fig.CPUPerEv = time.Duration(medianF(ss, func(s FloodSample) float64 { return float64(s.CPU) }))
		for _, s := range ss {
			fig.Dropped += s.Dropped
		}
		out = append(out, fig)
	}
	return out, nil
}

// FloodSample is one flood's figures for one client.
type FloodSample struct {
	Rate, Allocs, Bytes float64
	CPU                 time.Duration
	Dropped             int64
}

// FloodOnce connects one client of kind to src, floods it with n frames
// and returns its figures.
func FloodOnce(ctx context.Context, src Source, kind Kind, n int, mix fakemeeting.FloodMix, cc ClientConfig) (FloodSample, error) {
	c, err := Connect(ctx, src, kind, cc)
	if err != nil {
		return FloodSample{}, err
	}
	// Start every flood from a collected heap, so that one client's
	// garbage is not another's GC work.
	settledMem()
	m0, b0 := allocCounters()
	cpu0, _ := processCPU()
	d, err := c.Flood(ctx, n, mix)
	cpu1, _ := processCPU()
	m1, b1 := allocCounters()
	dropped := c.Dropped()
	if cerr := c.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return FloodSample{}, err
	}
	return FloodSample{
		Rate:    float64(n) / d.Seconds(),
		Allocs:  float64(m1-m0) / float64(n),
		Bytes:   float64(b1-b0) / float64(n),
		CPU:     (cpu1 - cpu0) / time.Duration(n),
		Dropped: dropped,
	}, nil
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func medianF[T any](v []T, f func(T) float64) float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = f(x)
	}
	return median(out)
}

func (r *ThroughputResult) print(w io.Writer, mode string) {
	fmt.Fprintf(w, "\n== throughput (%s): %d pushes per flood (%s mix), %d round(s), medians; session Queue %d ==\n", mode, r.Frames, r.Mix, r.Rounds, FloodQueue)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "source\tclient\tevents/s\tallocs/event\tB/event\tclient CPU/event\tvs bare\tvs naive\tdropped\t")
	for _, f := range r.Figures {
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.1f\t%.0f\t%.2f µs\t%.2f\t%.2f\t%d\t\n", f.Source, f.Kind, f.EventsPerSec, f.AllocsPerEv, f.BytesPerEv, float64(f.CPUPerEv)/1e3, f.RatioBare, f.RatioNaive, f.Dropped)
	}
	tw.Flush()
	fmt.Fprintln(w, "ratios are medians of per-round ratios; targets for session (issue #20): replay ≥ 0.35 of bare and ≤ 1.2 µs client CPU per event; ≥ 1.0 of naive")
}
