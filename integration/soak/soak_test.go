package soak_test

import (
	"fmt"
	"github.com/confwatch/confwatch/secret"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/confwatch/confwatch/clock"
	"github.com/confwatch/confwatch/integration/fakemeeting"
	"github.com/confwatch/confwatch/integration/internal/pipeline"
)

// waitLong bounds the real-time waits of the final convergence.
const waitLong = 30 * time.Second

// plan reads how long to soak: CONFWATCH_SOAK (a real-time budget such as
// "10m": as many fake hours as fit) or CONFWATCH_SOAK_HOURS (fake hours;
// default 8, the CI version).
func plan(t *testing.T) (fakeHours float64, budget time.Duration) {
	if v := os.Getenv("CONFWATCH_SOAK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("CONFWATCH_SOAK=%q: want a positive duration such as 10m", v)
		}
		return 10_000, d
	}
	if v := os.Getenv("CONFWATCH_SOAK_HOURS"); v != "" {
		h, err := strconv.ParseFloat(v, 64)
		if err != nil || h <= 0 {
			t.Fatalf("CONFWATCH_SOAK_HOURS=%q: want a positive number", v)
		}
		return h, 0
	}
	return 8, 0
}

// TestSoak plays a churning meeting of about 300 participants with a
// fault every 2–6 fake minutes for hours of fake time. Pass: the session
// never stops, the final state equals the fake's view, no ws token was
// presented twice, no re-authentication happened beyond the injected
// authentication faults (so no control token was ever let lapse), the
// control token was kept alive, and heap and goroutines are flat between
// the first and the last quarter of the samples.
func TestSoak(t *testing.T) {
	fakeHours, budget := plan(t)
	baseline := goleak.IgnoreCurrent()
	t.Cleanup(func() { waitNoLeaks(t, baseline) })

	start := time.Date(2026, 1, 6, 8, 0, 0, 0, time.UTC)
	clk := clock.NewFake(start)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	d := &driver{
		t: t, clk: clk, rng: rand.New(rand.NewPCG(seed, 11)), start: start,
		logs: &tailBuffer{limit: 256 << 10}, faults: map[string]int{},
	}
	people := make([]fakemeeting.Person, 300)
	for i := range people {
		people[i] = fakemeeting.Person{Name: fmt.Sprintf("Seat %03d", i), Muted: i%2 == 0}
	}
	fake, err := fakemeeting.New(fakemeeting.Config{Clock: clk, Participants: people, Duration: 1000 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	d.fake = fake
	d.pids = append(d.pids, fake.Meeting().View().Order...)
	logger := slog.New(slog.NewTextHandler(d.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	d.w, err = pipeline.StartWatcher(pipeline.WatcherConfig{
		APIBase: fake.URL(), ConferenceID: fake.ConferenceID(), Password: secret.New(fake.HostPassword()),
		HTTPClient: fake.Client(), TokenTimeout: 10 * time.Second, Clock: clk, Logger: logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.w.Stop(waitLong); err != nil {
			t.Errorf("stopping the session: %v", err)
		}
		if t.Failed() {
			t.Logf("last session logs:\n%s", d.logs.String())
		}
	})

	// CONFWATCH_SOAK_HEAPPROFILE=path writes heap profiles a quarter into
	// the run (path.first) and at its end (path.last), to find what grew:
	// go tool pprof -sample_index=inuse_space -base path.first path.last
	profile := os.Getenv("CONFWATCH_SOAK_HEAPPROFILE")
	if profile != "" {
		// Finer than the default 512 KiB, so that slow growth shows.
		runtime.MemProfileRate = 16 << 10
	}
	realStart := time.Now()
	total := time.Duration(fakeHours * float64(time.Hour))
	nextFault := start.Add(time.Duration(2+d.rng.IntN(4)) * time.Minute)
	nextSample := start.Add(5 * time.Minute)
	profiled := false
	for d.elapsed() < total && (budget == 0 || time.Since(realStart) < budget) {
		select {
		case <-d.w.Done():
			t.Fatalf("Run returned at +%v: %v", d.elapsed(), d.w.Err())
		default:
		}
		now := clk.Now()
		if d.stalled && !now.Before(d.stallEnd) {
			fake.Faults().Stall(false)
			d.stalled = false
		}
		// A fault only while subscribed: a refusal injected during a long
		// backoff would wait for the next attempt and pile up with the
		// next fault (fault also waits for the last one to be worked
		// through).
		if !d.stalled && !now.Before(nextFault) && d.w.Subscribed() {
			d.fault()
			nextFault = now.Add(time.Duration(2+d.rng.IntN(5)) * time.Minute)
		}
		for n := d.rng.IntN(3); n > 0; n-- {
			d.churn()
		}
		if !d.stalled && !now.Before(nextSample) && d.sample() {
			nextSample = now.Add(5 * time.Minute)
			quarter := d.elapsed() >= total/4
			if budget > 0 {
				quarter = time.Since(realStart) >= budget/4
			}
			if profile != "" && quarter && !profiled {
				writeHeapProfile(t, profile+".first")
				profiled = true
			}
		}
		d.advance(step)
	}
	if profile != "" {
		writeHeapProfile(t, profile+".last")
	}
	d.finish()

	st := d.w.Session.Stats()
	fst := fake.Stats()
	first, last := quarters(d.samples)
	t.Logf("soaked %.1f fake hours in %v real: %d faults %v; session: %d subscribes, reconnects %v, %d resyncs, %d frames; fake: %d logins, %d keep-alives, %d ws tokens, %d token reuse",
		d.elapsed().Hours(), time.Since(realStart).Round(time.Second), sum(d.faults), d.faults,
		st.Subscribes, st.Reconnects, st.Resyncs, st.FramesIn, fst.Logins, fst.KeepAlives, fst.TokensIssued, fst.TokenReuse)
	t.Logf("state stats %+v", d.w.State.Stats())
	t.Logf("%d samples; heap median first quarter %.1f MiB, last quarter %.1f MiB; goroutines median first %d, last %d; roster now %d",
		len(d.samples), mib(medianHeap(first)), mib(medianHeap(last)), medianGoroutines(first), medianGoroutines(last), len(d.pids))

	if fst.TokenReuse != 0 {
		t.Errorf("the fake saw %d ws token reuse attempts", fst.TokenReuse)
	}
	if got := st.Reconnects["reauth"]; got > int64(d.authFaults) {
		t.Errorf("%d re-authentications for %d injected authentication faults: a control token lapsed or was refused unprompted", got, d.authFaults)
	}
	if d.elapsed() >= time.Hour && fst.KeepAlives == 0 {
		t.Errorf("no keep-alive in %.1f fake hours: control tokens were replaced by logins instead of kept alive", d.elapsed().Hours())
	}
	if len(d.samples) < 8 {
		t.Logf("only %d samples: too few to judge flatness", len(d.samples))
		return
	}
	if h0, h1 := medianHeap(first), medianHeap(last); h1 > h0+h0/2+8<<20 {
		t.Errorf("heap grew from %.1f MiB to %.1f MiB between the first and the last quarter", mib(h0), mib(h1))
	}
	if g0, g1 := medianGoroutines(first), medianGoroutines(last); g1 > g0+6 {
		t.Errorf("goroutines grew from %d to %d between the first and the last quarter", g0, g1)
	}
}

// finish lifts every fault and moves the clock in small steps until the
// session is subscribed and the state equals the fake's view.
func (d *driver) finish() {
	d.fake.Faults().Stall(false)
	d.stalled = false
	d.fake.Faults().RefuseWSToken(0, fakemeeting.Refusal{Status: 0})
	d.fake.Faults().RefuseLogin(0, fakemeeting.Refusal{Status: 0})
	d.fake.Faults().RefuseUpgrades(0, 0)
	deadline := time.Now().Add(waitLong)
	for {
		d.settle()
		diff := pipeline.Diff(d.fake.Meeting().View(), d.w.State.Snapshot())
		if len(diff) == 0 && d.w.Subscribed() && d.idle() {
			return
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("no convergence %v after the soak:\n  %s\nsession %+v", waitLong, strings.Join(diff, "\n  "), d.w.Session.Stats())
		}
		d.clk.Advance(time.Second)
	}
}

func writeHeapProfile(t *testing.T, path string) {
	runtime.GC()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		t.Fatal(err)
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// waitNoLeaks polls goleak until no goroutine started since baseline
// remains: the fake's connection goroutines end shortly after their
// sockets close, not at once.
func waitNoLeaks(t *testing.T, baseline goleak.Option) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for {
		err := goleak.Find(baseline)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("goroutines left after the soak: %v", err)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}
