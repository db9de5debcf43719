package fleet

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// The buckets a placer watches.
const (
	viewDesired = iota
	viewLeases
	viewWorkers
	nViews
)

// view follows one bucket for the placer: a watcher, the initial values
// it is loading, and whether a complete picture was ever loaded. A view
// whose watcher stopped starts a new one and replaces its picture whole
// once the new initial values are in, so that nothing missed meanwhile
// lingers. It is owned by the placer's goroutine.
type view struct {
	kv jetstream.KeyValue
	// apply folds one entry into the placer's picture; reset clears the
	// picture first (the entry is then nil).
	apply func(key string, e jetstream.KeyValueEntry, reset bool)

	w         jetstream.KeyWatcher
	loading   bool
	initial   []jetstream.KeyValueEntry
	everReady bool
	failedAt  time.Time
	startedAt time.Time // of the current watcher
}

// restartAfter is the least time between two attempts to watch again.
const restartAfter = time.Second

func (v *view) start(ctx context.Context) error {
	w, err := v.kv.WatchAll(ctx)
	if err != nil {
		v.failedAt = time.Now()
		return err
	}
	v.w, v.loading, v.initial, v.startedAt = w, true, nil, time.Now()
	return nil
}

// restart replaces the watcher with a new one, whose initial values will
// replace the picture whole.
func (v *view) restart(ctx context.Context) {
	v.stop()
	v.failedAt = time.Time{}
	v.restartIfStopped(ctx)
}

// updates is the watcher's channel, or nil (never ready) without one.
func (v *view) updates() <-chan jetstream.KeyValueEntry {
	if v.w == nil {
		return nil
	}
	return v.w.Updates()
}

func (v *view) receive(ctx context.Context, e jetstream.KeyValueEntry, ok bool) {
	switch {
	case !ok:
		v.w = nil
		v.restartIfStopped(ctx)
	case v.loading && e != nil:
		v.initial = append(v.initial, e)
	case v.loading:
		v.apply("", nil, true)
		for _, x := range v.initial {
			v.apply(x.Key(), x, false)
		}
		v.loading, v.initial, v.everReady = false, nil, true
	case e != nil:
		v.apply(e.Key(), e, false)
	}
}

func (v *view) restartIfStopped(ctx context.Context) {
	if v.w != nil || ctx.Err() != nil || time.Since(v.failedAt) < restartAfter {
		return
	}
	_ = v.start(ctx)
}

func (v *view) stop() {
	if v.w != nil {
		_ = v.w.Stop()
		v.w = nil
	}
}
