package scenario

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/integration/fakemeeting"
)

// ScaleRamp is how many sessions may be connecting at once while the
// scale scenario subscribes them: unpaced, 10,000 logins, token requests
// and dials at once overflow the listen backlog (net.core.somaxconn) and
// the handshake timeouts, and sessions then back off for seconds.
const ScaleRamp = 200

// ScaleResult is the scale scenario's outcome.
type ScaleResult struct {
	N          int
	Heartbeat  time.Duration
	BufferSize int
	// Ramp is the time from starting the first session until the last
	// one first subscribed.
	Ramp time.Duration
	// RampFailures counts failed attempts during the ramp, by class: a
	// session whose attempt failed backs off (1 s and more) while holding
	// its ramp slot, which is what slows a ramp down on a loaded machine.
	RampFailures map[string]int64
	// Window is the steady-state measuring span.
	Window time.Duration
	// ClientCPU and FakeCPU are the processes' CPU time over Window.
	ClientCPU, FakeCPU time.Duration
	ClientRSS, FakeRSS int64
	HeapPer, StackPer  float64 // bytes per session (live heap, stacks) after the window
	Goroutines         float64 // per session
	HeartbeatsSent     int64   // over Window, all sessions
	HeartbeatsEcho     int64
	FakeHeartbeats     int64 // counted by the fake over Window
	Reconnects         int64 // lost links over Window (should be 0)
	GaveUp             int64
	LoadAvg            string
}

// Scale subscribes N sessions with a short heartbeat to a fake in a child
// process (one process cannot hold both ends of 10,000 sockets under a
// 20,000 open-file limit), through a ramp of at most ScaleRamp connecting
// at once, then measures a steady-state window.
func Scale(ctx context.Context, o Options) (*ScaleResult, error) {
	n := pick(o, o.N, 500, 10_000)
	hb := pick(o, o.Heartbeat, 5*time.Second, 5*time.Second)
	window := pick(o, o.Window, 5*time.Second, 20*time.Second)
	buf := pick(o, o.BufferSize, MemoryBufferSize, MemoryBufferSize)
	if lim := openFileLimit(); lim < uint64(n)+2048 {
		return nil, fmt.Errorf("scenario: scale: open-file limit %d is too low for %d sessions (need about %d)", lim, n, n+2048)
	}
	r, err := startRemote(ctx, o.Spawn, o.fakeArgs())
	if err != nil {
		return nil, err
	}
	defer r.Close()
	hc := newHTTPClient()
	defer hc.CloseIdleConnections()
	tc, err := newTokenClient(r.URL(), hc)
	if err != nil {
		return nil, err
	}
	shared := events.NewMux(nil)
	defer shared.Close(context.Background())
	events.On(shared, func(context.Context, *events.Push, *events.ParticipantsNotify) {}, events.HandlerOptions{})
	before := settledMem()
	o.log().Info("scale: ramp", "sessions", n, "concurrency", ScaleRamp)
	f, err := startFleet(ctx, fleetSpec{
		n: n, tgt: target{api: r.URL(), confID: r.ConferenceID(), password: r.Password()},
		tokens: tc, concurrency: ScaleRamp,
		config: func(int) (connector.Config, events.Handler) {
			return connector.Config{HeartbeatInterval: hb, ReadBufferSize: buf, WriteBufferSize: buf, AllowPlainText: true}, shared
		},
	})
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*ScaleResult, error) {
		f.close()
		return nil, err
	}
	res := &ScaleResult{N: n, Heartbeat: hb, BufferSize: buf, Window: window}
	progress := make(chan struct{})
	go func() {
		defer close(progress)
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-f.allUp:
				return
			case <-f.ctx.Done():
				return
			case <-t.C:
				o.log().Info("scale: ramp", "subscribed", f.nSubscribed.Load(), "elapsed", time.Since(f.start).Round(time.Second))
			}
		}
	}()
	res.Ramp, err = f.waitAllUp(ctx, 10*time.Minute)
	if err != nil {
		f.cancel()
	}
	<-progress
	if err != nil {
		return fail(err)
	}
	res.RampFailures = f.stats().Reconnects
	o.log().Info("scale: all subscribed", "ramp", res.Ramp, "failures", res.RampFailures)
	if err := r.WaitSubscribed(n, time.Minute); err != nil {
		return fail(err)
	}
	// One heartbeat interval for the ramp's snapshot bursts and garbage
	// to settle, so that the window sees the steady state.
	if err := sleepCtx(ctx, hb); err != nil {
		return fail(err)
	}
	hc.CloseIdleConnections()
	st0, fs0 := f.stats(), mustStats(r)
	u0, err := r.Usage()
	if err != nil {
		return fail(err)
	}
	c0, _ := processCPU()
	res.LoadAvg = loadAvg()
	if err := sleepCtx(ctx, window); err != nil {
		return fail(err)
	}
	c1, _ := processCPU()
	u1, err := r.Usage()
	if err != nil {
		return fail(err)
	}
	st1, fs1 := f.stats(), mustStats(r)
	res.ClientCPU, res.FakeCPU = c1-c0, u1.cpu-u0.cpu
	res.FakeRSS = u1.rss
	res.ClientRSS, _ = rssBytes(pidSelf())
	res.HeartbeatsSent = st1.HeartbeatsSent - st0.HeartbeatsSent
	res.HeartbeatsEcho = st1.HeartbeatsEcho - st0.HeartbeatsEcho
	res.FakeHeartbeats = fs1.HeartBeats - fs0.HeartBeats
	for k, v := range st1.Reconnects {
		res.Reconnects += v - st0.Reconnects[k]
	}
	after := settledMem()
	res.HeapPer = (float64(after.heap) - float64(before.heap)) / float64(n)
	res.StackPer = (float64(after.stacks) - float64(before.stacks)) / float64(n)
	res.Goroutines = float64(after.goroutines-before.goroutines) / float64(n)
	res.GaveUp = f.gaveUp.Load()
	if err := f.close(); err != nil && res.GaveUp == 0 {
		return nil, err
	}
	res.print(o.out(), o.mode())
	return res, nil
}

// mustStats returns the fake's counters, or zeros when the child cannot
// answer (the figures then show it).
func mustStats(r *remoteFake) fakemeeting.Stats {
	st, _ := r.Stats()
	return st
}

func (r *ScaleResult) print(w io.Writer, mode string) {
	fmt.Fprintf(w, "\n== scale (%s): %d sessions, heartbeat %v, buffers %d B, fake in a child process ==\n", mode, r.N, r.Heartbeat, r.BufferSize)
	fmt.Fprintf(w, "subscribe all: %s (ramp of at most %d connecting at once; %.0f sessions/s; failed attempts during the ramp: %v)\n",
		fmtDur(r.Ramp), ScaleRamp, float64(r.N)/r.Ramp.Seconds(), r.RampFailures)
	fmt.Fprintf(w, "steady state over %v: client CPU %s = %.1f %% of one core (%.2f µs per session per second); fake CPU %s = %.1f %% of one core\n",
		r.Window, fmtDur(r.ClientCPU), 100*ratio(float64(r.ClientCPU), float64(r.Window)),
		float64(r.ClientCPU)/1e3/float64(r.N)/r.Window.Seconds(), fmtDur(r.FakeCPU), 100*ratio(float64(r.FakeCPU), float64(r.Window)))
	fmt.Fprintf(w, "heartbeats over the window: %d sent, %d echoed, %d counted by the fake (expected about %.0f); lost links: %d; gave up: %d\n",
		r.HeartbeatsSent, r.HeartbeatsEcho, r.FakeHeartbeats, float64(r.N)*r.Window.Seconds()/r.Heartbeat.Seconds(), r.Reconnects, r.GaveUp)
	fmt.Fprintf(w, "client RSS %.1f MiB (%.1f KiB per session); fake RSS %.1f MiB; per session: heap %s, stacks %s, %.2f goroutines; GOMAXPROCS %d; load average %s\n",
		float64(r.ClientRSS)/(1<<20), float64(r.ClientRSS)/1024/float64(r.N), float64(r.FakeRSS)/(1<<20),
		kib(r.HeapPer), kib(r.StackPer), r.Goroutines, runtime.GOMAXPROCS(0), r.LoadAvg)
}
