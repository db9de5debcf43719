package feed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
	"github.com/confwatch/confwatch/fleet"
)

// Snapshot is one stored state of a meeting.
type Snapshot struct {
	Conference string
	Owner      string            // worker holding the lease now, "" when none
	Snapshot   *meeting.Snapshot // as the owner stored it (join links REDACTED)
	Updated    time.Time         // when it was stored
}

// readState reads the meeting's stored Snapshot and its owner; nil when
// the fleet has stored none.
func readState(ctx context.Context, js jetstream.JetStream, conf string) (*Snapshot, error) {
	kv, err := js.KeyValue(ctx, fleet.BucketState)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("feed: meeting %s: read the state bucket %s: %w", conf, fleet.BucketState, err)
	}
	e, err := kv.Get(ctx, conf)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound), errors.Is(err, jetstream.ErrKeyDeleted):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("feed: meeting %s: read its state: %w", conf, err)
	}
	s, err := snapshotOf(conf, e)
	if err != nil {
		return nil, err
	}
	s.Owner, err = readOwner(ctx, js, conf)
	return s, err
}

// snapshotOf decodes a state entry.
func snapshotOf(conf string, e jetstream.KeyValueEntry) (*Snapshot, error) {
	var m meeting.Snapshot
	if err := json.Unmarshal(e.Value(), &m); err != nil {
		return nil, fmt.Errorf("feed: meeting %s: stored state unreadable: %w", conf, err)
	}
	return &Snapshot{Conference: conf, Snapshot: &m, Updated: e.Created()}, nil
}

// readOwner is the worker holding the meeting's lease, "" for none.
func readOwner(ctx context.Context, js jetstream.JetStream, conf string) (string, error) {
	kv, err := js.KeyValue(ctx, fleet.BucketLeases)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("feed: meeting %s: read the leases: %w", conf, err)
	}
	e, err := kv.Get(ctx, conf)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound), errors.Is(err, jetstream.ErrKeyDeleted):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("feed: meeting %s: read its lease: %w", conf, err)
	}
	return ownerOf(e), nil
}

// WatchState calls fn with the meeting's current stored Snapshot, then
// with every new one (and when only the owner changes), until ctx is done
// (returns ctx.Err()) or the meeting ended: the stored picture says
// Destroyed (then, after fn saw it, returns an error wrapping
// connector.ErrMeetingEnded). fn is not called before the fleet has
// stored a picture of the meeting; before a worker has made the state
// bucket, WatchState waits for it. fn runs on the caller's goroutine.
func WatchState(ctx context.Context, js jetstream.JetStream, conference string, fn func(Snapshot)) error {
	if err := checkConference(conference); err != nil {
		return fmt.Errorf("feed: WatchState: %w", err)
	}
	if js == nil || fn == nil {
		return errors.New("feed: WatchState: nil JetStream or fn")
	}
	state, err := waitBucket(ctx, js, fleet.BucketState)
	if err != nil {
		return fmt.Errorf("feed: meeting %s: read the state bucket %s: %w", conference, fleet.BucketState, err)
	}
	sw, err := state.Watch(ctx, conference)
	if err != nil {
		return fmt.Errorf("feed: meeting %s: watch its state: %w", conference, err)
	}
	defer sw.Stop()
	var leases <-chan jetstream.KeyValueEntry
	if kv, err := js.KeyValue(ctx, fleet.BucketLeases); err == nil {
		lw, err := kv.Watch(ctx, conference)
		if err != nil {
			return fmt.Errorf("feed: meeting %s: watch its lease: %w", conference, err)
		}
		defer lw.Stop()
		leases = lw.Updates()
	} else if !errors.Is(err, jetstream.ErrBucketNotFound) {
		return fmt.Errorf("feed: meeting %s: read the leases: %w", conference, err)
	}

	w := &stateWatch{conf: conference, fn: fn}
	return w.run(ctx, sw.Updates(), leases)
}

// run follows the state and lease entries until ctx is done, the watch
// stops or the meeting ended.
func (w *stateWatch) run(ctx context.Context, states, leases <-chan jetstream.KeyValueEntry) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case e, ok := <-states:
			if !ok {
				return fmt.Errorf("feed: meeting %s: the state watch stopped", w.conf)
			}
			if err := w.state(e); err != nil {
				return err
			}
		case e, ok := <-leases:
			if !ok {
				leases = nil // a nil channel is never ready
				continue
			}
			w.lease(e)
		}
	}
}

// stateWatch is WatchState's picture: the last stored Snapshot and the
// owner. It is owned by WatchState's goroutine.
type stateWatch struct {
	conf  string
	fn    func(Snapshot)
	cur   *Snapshot
	owner string
}

// state takes a state entry: a new picture for fn, and the end when it is
// the picture of the meeting's end.
func (w *stateWatch) state(e jetstream.KeyValueEntry) error {
	if e == nil || e.Operation() != jetstream.KeyValuePut {
		return nil
	}
	s, err := snapshotOf(w.conf, e)
	if err != nil {
		return err
	}
	s.Owner, w.cur = w.owner, s
	w.fn(*s)
	if ended(s.Snapshot) {
		return fmt.Errorf("feed: meeting %s: %w", w.conf, connector.ErrMeetingEnded)
	}
	return nil
}

// lease takes a lease entry: fn sees the picture again when the owner
// changed.
func (w *stateWatch) lease(e jetstream.KeyValueEntry) {
	if e == nil {
		return
	}
	w.owner = ownerOf(e)
	if w.cur != nil && w.cur.Owner != w.owner {
		w.cur.Owner = w.owner
		w.fn(*w.cur)
	}
}

// waitBucket opens a bucket, waiting while no worker has made it yet.
func waitBucket(ctx context.Context, js jetstream.JetStream, name string) (jetstream.KeyValue, error) {
	for {
		kv, err := js.KeyValue(ctx, name)
		if !errors.Is(err, jetstream.ErrBucketNotFound) {
			return kv, err
		}
		t := time.NewTimer(streamPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// ended reports a picture of a meeting that has ended, as its status push
// tells it.
func ended(s *meeting.Snapshot) bool {
	return (&events.ConfDynamicInfoNotify{State: s.Status.State}).Ended()
}
