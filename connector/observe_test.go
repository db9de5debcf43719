package connector_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/integration/fakemeeting"
)

// observed records every Observer callback as one line, in call order.
type observed struct {
	mu     sync.Mutex
	lines  []string
	pushes int
	noLag  int // pushes whose envelope had no createTime
}

func (o *observed) add(format string, a ...any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.lines = append(o.lines, fmt.Sprintf(format, a...))
}

func (o *observed) observer() *connector.Observer {
	return &connector.Observer{
		StateChanged: func(from, to connector.State) { o.add("state %v->%v", from, to) },
		Retrying: func(f connector.Failure, delay time.Duration) {
			o.add("retry %v at %s after %v", f.Class, f.Stage, delay)
		},
		WSTokenFetched: func(err error, discarded bool) { o.add("wstoken err=%v discarded=%t", err != nil, discarded) },
		PushReceived: func(e *events.Push, lag time.Duration) {
			o.mu.Lock()
			defer o.mu.Unlock()
			o.pushes++
			if e.CreateTime.IsZero() || e.Action == "" {
				o.noLag++
			}
		},
		Dropped:   func(action string) { o.add("dropped") },
		Resyncing: func(reason string) { o.add("resync %s", reason) },
		Resubscribed: func(blind time.Duration, resync bool) {
			o.add("resubscribed resync=%t blind>=0=%t", resync, blind >= 0)
		},
	}
}

// matching returns the recorded lines that start with prefix.
func (o *observed) matching(prefix string) []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for _, l := range o.lines {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

func (o *observed) pushCount() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.pushes
}

// TestObserverSeesADropInOrder: through one drop the observer hears every
// transition in order, the retry with its class and delay, the blind
// window, a ws token per dial and every push the handler got.
func TestObserverSeesADropInOrder(t *testing.T) {
	obs := &observed{}
	h := newHarness(t, setup{conf: func(c *connector.Config) {
		fastConfig(c)
		c.Backoff = connector.Backoff{Initial: 30 * time.Millisecond, Max: 30 * time.Millisecond, Jitter: connector.NoJitter}
		c.Observer = obs.observer()
	}})
	h.waitSubscribed(1)
	h.fake.Faults().DropAll()
	h.waitSubscribed(2)
	if _, err := h.fake.Meeting().JoinOne(fakemeeting.Person{Name: "After Drop"}); err != nil {
		t.Fatal(err)
	}
	isPush := func(e events.Event) bool { _, ok := e.(*events.Push); return ok }
	h.eventually("the join delivered", func() bool { return h.rec.count(isPush) > 0 && obs.pushCount() == h.rec.count(isPush) })
	h.halt()

	want := []string{
		"state connecting->subscribed",
		"state subscribed->reconnecting",
		"retry retry at live after 30ms",
		"resubscribed resync=false blind>=0=true",
		"state reconnecting->subscribed",
		"state subscribed->stopped",
	}
	var got []string
	for _, l := range obs.matching("") {
		if !strings.HasPrefix(l, "wstoken") {
			got = append(got, l)
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("observed\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n, st := len(obs.matching("wstoken err=false discarded=false")), h.sess.Stats(); int64(n) != st.TokenFetches || n != 2 {
		t.Errorf("%d ws tokens observed, Stats says %d fetched, want 2", n, st.TokenFetches)
	}
	if got, want := obs.pushCount(), h.rec.count(isPush); got != want {
		t.Errorf("observer saw %d pushes, the handler %d", got, want)
	}
	if obs.noLag != 0 {
		t.Errorf("%d pushes came without an action or createTime", obs.noLag)
	}
}

// TestObserverSeesDropsAndTheResync: a blocked handler makes the queue
// overflow; every drop and the resync that repairs it are observed, and
// so is the purposeful blind window.
func TestObserverSeesDropsAndTheResync(t *testing.T) {
	obs := &observed{}
	h := newHarness(t, setup{noRun: true, conf: func(c *connector.Config) {
		fastConfig(c)
		c.Queue = 4
		c.Observer = obs.observer()
	}})
	h.rec.block = make(chan struct{})
	h.run()
	h.waitSubscribed(1)
	if _, err := h.fake.Meeting().Flood(ctxTimeout(t), 50, fakemeeting.FloodMixed); err != nil {
		t.Fatal(err)
	}
	h.eventually("drops", func() bool { return h.sess.Stats().Dropped > 0 })
	close(h.rec.block)
	h.waitSubscribed(2)
	h.eventually("resubscribed on purpose", func() bool { return len(obs.matching("resubscribed resync=true")) == 1 })
	h.halt()
	if got, want := int64(len(obs.matching("dropped"))), h.sess.Stats().Dropped; got != want {
		t.Errorf("observed %d drops, Stats says %d", got, want)
	}
	if got := obs.matching("resync "); len(got) != 1 || got[0] != "resync handler queue full" {
		t.Errorf("resyncs observed: %q, want one for the full queue", got)
	}
	if got := obs.matching("retry "); len(got) != 0 {
		t.Errorf("a resync is no retry, observed %q", got)
	}
}

// TestObserverSeesRefusedWSTokens: a refused ws-token call is observed as
// an error, then as the retry of the ws-token stage.
func TestObserverSeesRefusedWSTokens(t *testing.T) {
	obs := &observed{}
	h := newHarness(t, setup{noRun: true, conf: func(c *connector.Config) {
		fastConfig(c)
		c.Observer = obs.observer()
	}})
	h.fake.Faults().RefuseWSToken(1, fakemeeting.Refusal{Status: 500, Code: "MMC.111070999"})
	h.run()
	h.waitSubscribed(1)
	h.halt()
	tokens := obs.matching("wstoken")
	if len(tokens) != 2 || tokens[0] != "wstoken err=true discarded=false" || tokens[1] != "wstoken err=false discarded=false" {
		t.Errorf("ws-token calls observed: %q, want one refused, then one fetched", tokens)
	}
	if got := obs.matching("retry "); len(got) != 1 || !strings.Contains(got[0], "at "+string(connector.StageWSToken)) {
		t.Errorf("retries observed: %q, want one at the ws-token stage", got)
	}
}

// TestObserverIsCopiedByNew: changing the Observer after New changes
// nothing (the session's goroutines read their own copy).
func TestObserverIsCopiedByNew(t *testing.T) {
	var calls int
	var mu sync.Mutex
	o := &connector.Observer{StateChanged: func(from, to connector.State) { mu.Lock(); calls++; mu.Unlock() }}
	h := newHarness(t, setup{noRun: true, conf: func(c *connector.Config) {
		fastConfig(c)
		c.Observer = o
	}})
	o.StateChanged = nil
	h.run()
	h.waitSubscribed(1)
	if err := h.halt(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if calls != 2 {
		t.Errorf("%d transitions observed, want 2 (subscribed, stopped)", calls)
	}
}
