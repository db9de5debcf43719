package fleet

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// store is the JetStream assets a worker uses.
type store struct {
	js      jetstream.JetStream
	desired jetstream.KeyValue
	leases  jetstream.KeyValue
	workers jetstream.KeyValue
	state   jetstream.KeyValue
}

// openStore creates or opens the buckets and the stream. The lease and
// worker buckets must have the TTL the worker expects: a fleet whose
// workers disagree on the lease could not keep its timing promise.
func openStore(ctx context.Context, js jetstream.JetStream, cfg Config) (*store, error) {
	s := &store{js: js}
	var err error
	if s.desired, err = ensureBucket(ctx, js, jetstream.KeyValueConfig{Bucket: BucketDesired, Replicas: cfg.Replicas, Storage: jetstream.FileStorage}); err != nil {
		return nil, err
	}
	if s.state, err = ensureBucket(ctx, js, jetstream.KeyValueConfig{Bucket: BucketState, Replicas: cfg.Replicas, Storage: jetstream.FileStorage}); err != nil {
		return nil, err
	}
	for _, b := range []struct {
		kv   *jetstream.KeyValue
		name string
	}{{&s.leases, BucketLeases}, {&s.workers, BucketWorkers}} {
		// LimitMarkerTTL makes the server leave a marker when a key
		// expires, so that watchers learn of it at once.
		*b.kv, err = ensureBucket(ctx, js, jetstream.KeyValueConfig{
			Bucket: b.name, TTL: cfg.Lease, LimitMarkerTTL: max(cfg.Lease, time.Second),
			Replicas: cfg.Replicas, Storage: jetstream.FileStorage,
		})
		if err != nil {
			return nil, err
		}
	}
	_, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:       StreamEvents,
		Subjects:   []string{SubjectPrefix + ".>"},
		MaxAge:     cfg.Stream.MaxAge,
		MaxBytes:   cfg.Stream.MaxBytes,
		Duplicates: cfg.Stream.Duplicates,
		Discard:    jetstream.DiscardOld,
		Storage:    jetstream.FileStorage,
		Replicas:   cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("fleet: stream %s: %w", StreamEvents, err)
	}
	return s, nil
}

// ensureBucket creates a bucket, or opens it when it exists with the same
// TTL.
func ensureBucket(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	kv, err := js.CreateKeyValue(ctx, cfg)
	if err == nil {
		return kv, nil
	}
	if !errors.Is(err, jetstream.ErrBucketExists) {
		return nil, fmt.Errorf("fleet: bucket %s: %w", cfg.Bucket, err)
	}
	kv, err = js.KeyValue(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("fleet: bucket %s: %w", cfg.Bucket, err)
	}
	st, err := kv.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("fleet: bucket %s: %w", cfg.Bucket, err)
	}
	if st.TTL() != cfg.TTL {
		return nil, fmt.Errorf("fleet: bucket %s: %w: it has TTL %v, this worker's lease is %v (every worker of a fleet needs the same --lease; delete the bucket to change it)",
			cfg.Bucket, ErrLeaseMismatch, st.TTL(), cfg.TTL)
	}
	return kv, nil
}

// ErrLeaseMismatch reports a fleet whose lease bucket was made with
// another lease than this worker's.
var ErrLeaseMismatch = errors.New("lease mismatch")
