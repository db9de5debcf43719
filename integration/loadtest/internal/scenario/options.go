package scenario

import (
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/confwatch/confwatch/integration/fakemeeting"
)

// Options configure a scenario run. The zero value runs full mode without
// output; Spawn is needed by the scenarios that run the fake in a child.
type Options struct {
	// Quick runs a small, fast version of the scenario, to check that it
	// still works (CI); the figures are then only indicative.
	Quick bool
	// Spawn starts the child-process fake (see SpawnFunc).
	Spawn SpawnFunc
	// Out receives the figures as text tables. Nil discards them.
	Out io.Writer
	// Log receives progress lines. Nil discards them.
	Log *slog.Logger

	// N overrides the session count of memory, storm and scale, the frame
	// count of throughput, the drop count of recovery and the meeting count
	// of fleet. Zero means the mode's default.
	N int
	// Rounds overrides how many times throughput repeats each client, and
	// the pushes per meeting of fleet's flooded worker.
	Rounds int
	// Workers overrides fleet's worker processes (4).
	Workers int
	// Lease overrides fleet's lease (quick: fleet.MinLease, full:
	// fleet.DefaultLease).
	Lease time.Duration
	// Window overrides the steady-state measuring window of scale and
	// fleet, and the length of each latency rate.
	Window time.Duration
	// Heartbeat overrides the heartbeat interval of scale.
	Heartbeat time.Duration
	// BufferSize overrides connector.Config Read/WriteBufferSize where a
	// scenario sets them (memory, scale). Zero means the scenario's choice.
	BufferSize int
	// Participants overrides the roster of the child-process fake in
	// memory, storm and scale (the size of each Subscribe's snapshot
	// burst). Zero means DefaultParticipants.
	Participants int
}

// DefaultParticipants is the fake meeting's roster size: its
// ParticipantsNotify snapshot is about 34 KB.
const DefaultParticipants = 50

// fakeArgs are the serve flags of the child-process fake.
func (o Options) fakeArgs() serveArgs {
	return serveArgs{
		participants: pick(o, o.Participants, DefaultParticipants, DefaultParticipants),
		idle:         fakemeeting.DefaultIdleTimeout,
		sendQueue:    fakemeeting.DefaultSendQueue,
	}
}

func (o Options) out() io.Writer {
	if o.Out == nil {
		return io.Discard
	}
	return o.Out
}

func (o Options) log() *slog.Logger {
	if o.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Log
}

// pick returns quick or full by mode, unless override is set.
func pick[T comparable](o Options, override, quick, full T) T {
	var zero T
	if override != zero {
		return override
	}
	if o.Quick {
		return quick
	}
	return full
}

func (o Options) mode() string {
	if o.Quick {
		return "quick"
	}
	return "full"
}

// percentile returns the nearest-rank q-quantile (0 < q <= 1) of sorted.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// summary is the distribution of a set of durations.
type summary struct {
	N                  int
	P50, P90, P99, Max time.Duration
}

func summarize(ds []time.Duration) summary {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return summary{}
	}
	return summary{N: len(s), P50: percentile(s, .5), P90: percentile(s, .9), P99: percentile(s, .99), Max: s[len(s)-1]}
}

// fmtDur prints a duration in ms with 3 decimals, the unit of every table.
func fmtDur(d time.Duration) string { return fmt.Sprintf("%.3f ms", float64(d)/1e6) }

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func kib(b float64) string { return fmt.Sprintf("%.1f KiB", b/1024) }
