package clock_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/confwatch/confwatch/clock"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2026, 1, 6, 9, 0, 0, 0, time.UTC)

func fired(tm clock.Timer) bool {
	select {
	case <-tm.C():
		return true
	default:
		return false
	}
}

func TestFakeTimerFiresAtDeadline(t *testing.T) {
	f := clock.NewFake(t0)
	tm := f.NewTimer(time.Minute)
	f.Advance(59 * time.Second)
	if fired(tm) {
		t.Fatal("fired a second early")
	}
	f.Advance(time.Second)
	select {
	case at := <-tm.C():
		if !at.Equal(t0.Add(time.Minute)) {
			t.Fatalf("fired with %v, want %v", at, t0.Add(time.Minute))
		}
	default:
		t.Fatal("did not fire at its deadline")
	}
	if f.Timers() != 0 {
		t.Fatalf("%d timers still waiting", f.Timers())
	}
}

func TestFakeStopAndReset(t *testing.T) {
	f := clock.NewFake(t0)
	tm := f.NewTimer(time.Second)
	if !tm.Stop() {
		t.Fatal("Stop of an active timer reported false")
	}
	f.Advance(time.Hour)
	if fired(tm) {
		t.Fatal("a stopped timer fired")
	}
	if tm.Stop() {
		t.Fatal("second Stop reported true")
	}
	if tm.Reset(time.Minute) {
		t.Fatal("Reset of a stopped timer reported it active")
	}
	f.Advance(time.Minute)
	if !fired(tm) {
		t.Fatal("a reset timer did not fire")
	}
	// Reset after firing but before receiving drops the stale value.
	tm.Reset(time.Second)
	f.Advance(time.Second)
	tm.Reset(time.Minute)
	if fired(tm) {
		t.Fatal("a stale value survived Reset")
	}
}

func TestFakeOrderAndNext(t *testing.T) {
	f := clock.NewFake(t0)
	late := f.NewTimer(3 * time.Second)
	early := f.NewTimer(time.Second)
	if next, ok := f.Next(); !ok || !next.Equal(t0.Add(time.Second)) {
		t.Fatalf("Next = %v %v, want the earliest deadline", next, ok)
	}
	d, ok := f.AdvanceToNext()
	if !ok || d != time.Second || !fired(early) || fired(late) {
		t.Fatalf("AdvanceToNext moved %v and fired the wrong timer", d)
	}
	if _, ok := f.AdvanceToNext(); !ok || !fired(late) {
		t.Fatal("second AdvanceToNext did not fire the late timer")
	}
	if _, ok := f.AdvanceToNext(); ok {
		t.Fatal("AdvanceToNext with no timers reported true")
	}
}

func TestFakeZeroTimerFiresAtOnce(t *testing.T) {
	f := clock.NewFake(t0)
	if !fired(f.NewTimer(0)) {
		t.Fatal("a zero timer did not fire at once")
	}
}

func TestFakeSetNeverGoesBack(t *testing.T) {
	f := clock.NewFake(t0)
	f.Set(t0.Add(-time.Hour))
	if !f.Now().Equal(t0) {
		t.Fatalf("Set moved the clock back to %v", f.Now())
	}
}

func TestBlockUntil(t *testing.T) {
	f := clock.NewFake(t0)
	done := make(chan error, 1)
	go func() { done <- clock.Sleep(context.Background(), f, time.Minute) }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.BlockUntil(ctx, 1); err != nil {
		t.Fatal(err)
	}
	f.Advance(time.Minute)
	if err := <-done; err != nil {
		t.Fatalf("Sleep = %v", err)
	}
	short, cancel2 := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel2()
	if err := f.BlockUntil(short, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("BlockUntil with no timer = %v, want the deadline", err)
	}
}

func TestSleepCancelled(t *testing.T) {
	f := clock.NewFake(t0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := clock.Sleep(ctx, f, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sleep = %v, want Canceled", err)
	}
	if f.Timers() != 0 {
		t.Fatal("a cancelled Sleep left its timer behind")
	}
}

func TestRealClock(t *testing.T) {
	c := clock.OrReal(nil)
	start := c.Now()
	if err := clock.Sleep(context.Background(), c, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if !c.Now().After(start) {
		t.Fatal("real time did not move")
	}
	tm := c.NewTimer(time.Hour)
	if !tm.Stop() {
		t.Fatal("Stop of a fresh real timer reported false")
	}
}
