package fleetchaos_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/confwatch/confwatch/internal/demo"
)

// Sizes of the restart scenario: four workers share the meetings while
// every meeting changes every churnEvery.
const (
	restartWorkers  = 4
	restartMeetings = 24
	churnEvery      = 250 * time.Millisecond
)

// TestNATSRestartUnderLoad shuts the embedded NATS server down under
// four workers sharing 24 changing meetings and starts it again on the
// same port and data directory, twice: at once (down for the time a
// restart takes), and after a hold longer than the lease, so that every
// worker fences every session and every lease expires while NATS is
// down. Right after each restart one worker stops (as on SIGTERM), so
// that its meetings can only move if the others follow the buckets
// again: a server restart forgets the consumers behind every KV watcher.
// Pass, each time: every worker reconnects; once the server accepts
// clients again no meeting stays without a subscribed socket for longer
// than the lease plus 2 s; and over the whole test the fake never saw two
// live sockets of a meeting at once nor a ws token twice.
func TestNATSRestartUnderLoad(t *testing.T) {
	r := newRig(t, restartMeetings)
	stopChurn := r.churn(churnEvery)
	defer stopChurn()
	var ws []*worker
	for i := range restartWorkers {
		ws = append(ws, r.start(fmt.Sprintf("w%d", i+1), "nats://"+r.natsAddr))
	}
	took := waitFor(t, waitLong, "every meeting subscribed once", r.allSubscribed)
	t.Logf("%d workers, %d meetings changing every %v: all subscribed in %v", restartWorkers, restartMeetings, churnEvery, took.Round(time.Millisecond))
	time.Sleep(lease / 2)

	for _, hold := range []time.Duration{0, lease + time.Second} {
		leaving := ws[len(ws)-1]
		ws = ws[:len(ws)-1]
		fences, reconnects := totalFences(ws), totalReconnects(ws)
		down, up := r.restartNATS(hold)
		leaving.stop(t)
		waitFor(t, waitLong, "every worker reconnected", func() bool {
			for _, w := range ws {
				if !w.nc.IsConnected() {
					return false
				}
			}
			return totalReconnects(ws) >= reconnects+uint64(len(ws))
		})
		back := time.Since(up)
		bound := lease + 2*time.Second
		all := waitFor(t, bound+waitLong, "every meeting subscribed once again", r.allSubscribed)
		var worst time.Duration
		lost := map[string]bool{}
		for _, g := range r.sockets.gapsSince(down, time.Now()) {
			lost[g.id] = true
			blind := g.to.Sub(maxTime(g.from, up))
			worst = max(worst, blind)
			if blind > bound {
				t.Errorf("restart after %v down: meeting %s had no subscribed socket from %v to %v, %v after NATS was back (bound %v)",
					hold, g.id, g.from.Format("15:04:05.000"), g.to.Format("15:04:05.000"), blind.Round(time.Millisecond), bound)
			}
		}
		t.Logf("NATS down %v (restart took %v), then a worker stopped: %d workers reconnected %v after it was back; %d fences; "+
			"%d meetings lost their socket, the longest without one %v after NATS was back (bound %v); all subscribed %v after",
			hold, up.Sub(down).Round(time.Millisecond), len(ws), back.Round(time.Millisecond), totalFences(ws)-fences, len(lost),
			worst.Round(time.Millisecond), bound, (back + all).Round(time.Millisecond))
		time.Sleep(lease / 2)
	}
	r.checkFake()
}

// churn changes every meeting every interval (demo.Churn) until the
// returned function is called, which waits for the goroutines.
func (r *rig) churn(every time.Duration) func() {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, id := range r.ids {
		wg.Add(1)
		go func(id string) {
			defer wg.Done()
			if err := demo.Churn(ctx, r.svc.Meeting(id), every); !errors.Is(err, context.Canceled) {
				r.t.Errorf("churn %s: %v", id, err)
			}
		}(id)
	}
	var once sync.Once
	return func() { once.Do(func() { cancel(); wg.Wait() }) }
}

func totalFences(ws []*worker) int64 {
	var n int64
	for _, w := range ws {
		n += w.w.Stats().Fences
	}
	return n
}

func totalReconnects(ws []*worker) uint64 {
	var n uint64
	for _, w := range ws {
		n += w.nc.Stats().Reconnects
	}
	return n
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
