package fleet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/nats-io/nats.go/jetstream"
)

// Applied says what Apply changed, by conference ID, each list sorted.
type Applied struct {
	Added, Updated, Removed, Unchanged []string
}

// Apply makes the desired set equal to ms: it writes the meetings that
// are new or changed and deletes those no longer listed. Every worker
// watching the set starts or stops sessions accordingly. ms must be valid
// (ParseMeetings returns valid meetings); Apply checks again and writes
// nothing if any is not. Apply before any worker ran creates the bucket
// with one replica (workers create it with Config.Replicas).
func Apply(ctx context.Context, js jetstream.JetStream, ms []Meeting) (Applied, error) {
	var a Applied
	want := map[string][]byte{}
	var errs []error
	for _, m := range ms {
		if err := m.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("conference %s: %w", quoteID(m.Conference), flat(err)))
			continue
		}
		if _, dup := want[m.Conference]; dup {
			errs = append(errs, fmt.Errorf("conference %s: listed twice", m.Conference))
			continue
		}
		want[m.Conference], _ = json.Marshal(m)
	}
	if len(errs) > 0 {
		return a, fmt.Errorf("fleet: apply: %w", errors.Join(errs...))
	}
	kv, err := ensureBucket(ctx, js, jetstream.KeyValueConfig{Bucket: BucketDesired, Storage: jetstream.FileStorage, Replicas: 1})
	if err != nil {
		return a, err
	}
	have := map[string][]byte{}
	lister, err := kv.ListKeys(ctx)
	if err != nil {
		return a, fmt.Errorf("fleet: apply: %w", err)
	}
	for key := range lister.Keys() {
		e, err := kv.Get(ctx, key)
		if err == nil {
			have[key] = e.Value()
		}
	}
	for _, key := range sortedKeys(want) {
		old, ok := have[key]
		switch {
		case ok && bytes.Equal(old, want[key]):
			a.Unchanged = append(a.Unchanged, key)
			continue
		case ok:
			a.Updated = append(a.Updated, key)
		default:
			a.Added = append(a.Added, key)
		}
		if _, err := kv.Put(ctx, key, want[key]); err != nil {
			return a, fmt.Errorf("fleet: apply: %s: %w", key, err)
		}
	}
	for _, key := range sortedKeys(have) {
		if _, ok := want[key]; ok {
			continue
		}
		if err := kv.Delete(ctx, key); err != nil {
			return a, fmt.Errorf("fleet: apply: %s: %w", key, err)
		}
		a.Removed = append(a.Removed, key)
	}
	slices.Sort(a.Removed)
	return a, nil
}
