package feed

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/confwatch/confwatch/fleet"
)

// watchDesired sends on out whether the meeting is in the desired set,
// once known and at each change.
func (f *Feed) watchDesired(ctx context.Context, out chan<- bool) {
	send := func(v bool) bool {
		select {
		case out <- v:
			return true
		case <-ctx.Done():
			return false
		}
	}
	kv, err := f.cfg.JetStream.KeyValue(ctx, fleet.BucketDesired)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		send(false)
		return
	}
	if err != nil {
		f.log.Warn("feed: desired set not readable; going on as if the meeting were watched", slog.Any("err", err))
		return
	}
	watchKey(ctx, kv, f.cfg.Conference, f.log, func(e jetstream.KeyValueEntry) bool {
		return send(e != nil && e.Operation() == jetstream.KeyValuePut)
	})
}

// watchOwner calls OnOwner with the lease's worker at each change.
func (f *Feed) watchOwner(ctx context.Context) {
	kv, err := f.cfg.JetStream.KeyValue(ctx, fleet.BucketLeases)
	if err != nil {
		if !errors.Is(err, jetstream.ErrBucketNotFound) {
			f.log.Warn("feed: leases not readable", slog.Any("err", err))
		}
		f.cfg.OnOwner("")
		return
	}
	last := "\x00"
	watchKey(ctx, kv, f.cfg.Conference, f.log, func(e jetstream.KeyValueEntry) bool {
		if o := ownerOf(e); o != last {
			last = o
			f.cfg.OnOwner(o)
		}
		return true
	})
}

// watchKey calls fn with key's entry once its current value is known (nil
// when it has none), then with each change, until ctx is done or fn
// returns false.
func watchKey(ctx context.Context, kv jetstream.KeyValue, key string, log *slog.Logger, fn func(jetstream.KeyValueEntry) bool) {
	w, err := kv.Watch(ctx, key)
	if err != nil {
		if ctx.Err() == nil {
			log.Warn("feed: cannot watch", slog.String("bucket", kv.Bucket()), slog.Any("err", err))
		}
		return
	}
	defer w.Stop()
	var latest jetstream.KeyValueEntry
	initial := true
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-w.Updates():
			switch {
			case !ok:
				return
			case initial && e != nil:
				latest = e
				continue
			case initial:
				initial = false
				e = latest
			}
			if !fn(e) {
				return
			}
		}
	}
}

// ownerOf is the worker named by a lease entry, "" for none.
func ownerOf(e jetstream.KeyValueEntry) string {
	if e == nil || e.Operation() != jetstream.KeyValuePut {
		return ""
	}
	var l fleet.Lease
	if json.Unmarshal(e.Value(), &l) != nil {
		return ""
	}
	return l.Worker
}
