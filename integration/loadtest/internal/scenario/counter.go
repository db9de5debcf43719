package scenario

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// errTimeout is wrapped by the errors of waits that ran out of time.
var errTimeout = errors.New("timed out")

// counter counts received events without a lock on the hot path and lets
// one waiter wait for a total.
type counter struct {
	n      atomic.Int64
	target atomic.Int64 // 0 = nobody waits
	hit    chan struct{}
}

func newCounter() *counter { return &counter{hit: make(chan struct{}, 1)} }

func (c *counter) add() {
	if v := c.n.Add(1); v == c.target.Load() {
		select {
		case c.hit <- struct{}{}:
		default:
		}
	}
}

func (c *counter) load() int64 { return c.n.Load() }

// await waits until the count reaches n. The count passes every value
// once, so either add sees the stored target or the check below sees the
// count already past it.
func (c *counter) await(ctx context.Context, n int64, timeout time.Duration) error {
	select {
	case <-c.hit: // a stale signal from an earlier await
	default:
	}
	c.target.Store(n)
	defer c.target.Store(0)
	if c.n.Load() >= n {
		return nil
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-c.hit:
		return nil
	case <-t.C:
		return fmt.Errorf("scenario: %d of %d events within %v: %w", c.n.Load(), n, timeout, errTimeout)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// settle waits until the count has not changed for quiet, and returns it:
// the snapshot burst after Subscribe has no fixed length.
func (c *counter) settle(ctx context.Context, quiet, timeout time.Duration) (int64, error) {
	deadline := time.Now().Add(timeout)
	last, since := c.n.Load(), time.Now()
	for {
		if err := sleepCtx(ctx, quiet/5); err != nil {
			return 0, err
		}
		v := c.n.Load()
		switch {
		case v != last:
			last, since = v, time.Now()
		case time.Since(since) >= quiet && v > 0:
			return v, nil
		case time.Now().After(deadline):
			return 0, fmt.Errorf("scenario: stream did not settle within %v (%d events): %w", timeout, v, errTimeout)
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
