package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Worker is one process's share of a fleet: it watches the desired set,
// claims the meetings rendezvous hashing gives it, runs one session per
// meeting it holds, and publishes their records and state. Create it with
// New and call Run once; its other methods are safe for concurrent use.
type Worker struct {
	cfg     Config
	t       timing
	id      string
	running atomic.Bool
	c       counters
	held    atomic.Int64
	metrics Metrics // cfg.Metrics, or one that reports nothing
	// beat is when the last heartbeat the server acknowledged was sent
	// (Unix ns): how the placer knows its picture of the fleet is live.
	beat atomic.Int64

	mu    sync.Mutex
	owned map[string]bool // meetings whose lease this worker holds
}

// Heartbeat is the value of a worker's key in BucketWorkers.
type Heartbeat struct {
	Worker string `json:"worker"`
	// Sessions is how many meetings the worker holds or is claiming.
	Sessions int `json:"sessions"`
	// MaxSessions is its cap; 0 means none.
	MaxSessions int       `json:"maxSessions,omitempty"`
	Started     time.Time `json:"started"`
}

// Stats are a worker's counters, totals since New unless noted.
type Stats struct {
	// Owned is how many meetings the worker holds a lease on now.
	Owned int
	// Claims counts leases won; Taken counts claims that found a lease.
	Claims, Taken int64
	// Renewals and RenewFailures count lease renewals.
	Renewals, RenewFailures int64
	// Fences counts sessions stopped because a lease could not be kept.
	Fences int64
	// Releases counts leases given back; Handovers those given to the
	// meeting's rendezvous owner.
	Releases, Handovers int64
	// Published and PublishErrors count records sent to the stream.
	Published, PublishErrors int64
	// StateWrites, StateErrors and StateSkipped (too large) count
	// Snapshot writes.
	StateWrites, StateErrors, StateSkipped int64
}

// New checks cfg and returns a worker ready to Run.
func New(cfg Config) (*Worker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	w := &Worker{cfg: cfg, t: timingOf(cfg.Lease), id: cfg.Name + "-" + randomHex(3), owned: map[string]bool{}, metrics: cfg.Metrics}
	if w.metrics == nil {
		w.metrics = noMetrics{}
	}
	w.cfg.Logger = cfg.Logger.With(slog.String("worker", w.id))
	return w, nil
}

// ID is the worker's ID in leases and heartbeats: Config.Name and a
// random suffix.
func (w *Worker) ID() string { return w.id }

// Owned lists the meetings whose lease the worker holds, sorted.
func (w *Worker) Owned() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]string, 0, len(w.owned))
	for c := range w.owned {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// Stats returns a copy of the counters.
func (w *Worker) Stats() Stats {
	w.mu.Lock()
	owned := len(w.owned)
	w.mu.Unlock()
	c := &w.c
	return Stats{
		Owned: owned, Claims: c.claims.Load(), Taken: c.taken.Load(),
		Renewals: c.renewals.Load(), RenewFailures: c.renewFailures.Load(), Fences: c.fences.Load(),
		Releases: c.releases.Load(), Handovers: c.handovers.Load(),
		Published: c.published.Load(), PublishErrors: c.publishErrors.Load(),
		StateWrites: c.stateWrites.Load(), StateErrors: c.stateErrors.Load(), StateSkipped: c.stateSkipped.Load(),
	}
}

func (w *Worker) setOwned(conf string, held bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if held {
		w.owned[conf] = true
	} else {
		delete(w.owned, conf)
	}
	w.metrics.SetOwned(len(w.owned))
}

// Run creates or opens the fleet's buckets and stream, then takes part in
// the fleet until ctx is done. On the way out it deletes its heartbeat,
// stops every session and releases every lease at once, so that the
// other workers take the meetings over without waiting for the leases to
// expire. It returns nil after a cancel, or the error that stopped it.
// Run may be called only once.
func (w *Worker) Run(ctx context.Context) error {
	if !w.running.CompareAndSwap(false, true) {
		return errors.New("fleet: Run called twice")
	}
	js, err := jetstream.New(w.cfg.Conn,
		jetstream.WithPublishAsyncMaxPending(4096),
		jetstream.WithPublishAsyncErrHandler(func(_ jetstream.JetStream, _ *nats.Msg, err error) {
			w.c.publishErrors.Add(1)
			w.cfg.Logger.Warn("fleet: record not stored", slog.Any("err", err))
		}))
	if err != nil {
		return fmt.Errorf("fleet: jetstream: %w", err)
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	st, err := openStore(sctx, js, w.cfg)
	cancel()
	if err != nil {
		return err
	}
	maxState := int(w.cfg.Conn.MaxPayload()) - 4096
	p := newPlacer(w, st, &holderDeps{
		store: st, api: w.cfg.API, session: w.cfg.Session, t: w.t, worker: w.id, getenv: w.cfg.Getenv,
		stateInterval: w.cfg.StateInterval, retryAfterStop: w.cfg.RetryAfterStop, maxState: maxState,
		log: w.cfg.Logger, c: &w.c, metrics: w.metrics, claimed: w.setOwned,
	})
	w.cfg.Logger.Info("fleet: worker started", slog.Duration("lease", w.t.lease), slog.Int("maxSessions", w.cfg.MaxSessions))
	err = p.run(ctx)
	w.cfg.Logger.Info("fleet: worker stopped", slog.Any("err", err))
	return err
}

// reachable reports whether NATS answers this worker now: connected, and
// a heartbeat sent within the last period plus a request bound was
// acknowledged.
func (w *Worker) reachable(now time.Time) bool {
	return w.cfg.Conn.IsConnected() && now.Sub(time.Unix(0, w.beat.Load())) <= w.t.renewEvery+w.t.request
}

// heartbeat keeps the worker's key alive every renewEvery until ctx is
// done, then deletes it. It runs on its own goroutine, so that a slow
// placement decision never lets the worker look dead.
func (w *Worker) heartbeat(ctx context.Context, kv jetstream.KeyValue) {
	started := time.Now().UTC()
	tick := time.NewTicker(w.t.renewEvery)
	defer tick.Stop()
	for {
		v, _ := json.Marshal(Heartbeat{Worker: w.id, Sessions: int(w.held.Load()), MaxSessions: w.cfg.MaxSessions, Started: started})
		sent := time.Now()
		rctx, cancel := context.WithTimeout(ctx, w.t.request)
		if _, err := kv.Put(rctx, w.id, v); err == nil {
			w.beat.Store(sent.UnixNano())
		} else if ctx.Err() == nil {
			w.cfg.Logger.Warn("fleet: heartbeat not written", slog.Any("err", err))
		}
		cancel()
		select {
		case <-ctx.Done():
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.t.request)
			_ = kv.Delete(dctx, w.id)
			cancel()
			return
		case <-tick.C:
		}
	}
}
