package fleet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
	"github.com/confwatch/confwatch/token"
)

// outcome is why a holder ended.
type outcome int

const (
	outStopped      outcome = iota // asked to stop; lease released
	outTaken                       // another worker holds the lease
	outNotClaimed                  // the claim failed (NATS error)
	outNoCredential                // the credential reference did not resolve here
	outFenced                      // the lease could not be kept: session stopped first
)

// stopReason is why the placer stops a holder.
type stopReason string

const (
	stopRemoved  stopReason = "removed from the desired set"
	stopHandover stopReason = "handed over to its rendezvous owner"
	stopShutdown stopReason = "worker stopping"
)

// holderCmd is what the placer tells a holder: stop, or run with a new
// Meeting.
type holderCmd struct {
	stop stopReason
	spec *Meeting
}

// result is what a holder reports when it ends.
type result struct {
	conf    string
	outcome outcome
	err     error
}

// holderDeps is what a holder needs of its worker.
type holderDeps struct {
	store          *store
	api            *token.Client
	session        connector.Config
	t              timing
	worker         string
	getenv         func(string) string
	stateInterval  time.Duration
	retryAfterStop time.Duration
	maxState       int
	log            *slog.Logger
	c              *counters
	metrics        Metrics
	claimed        func(conf string, held bool)
}

// holder owns one meeting on this worker: its lease, its session and its
// state writes. Every field is owned by the goroutine running run.
type holder struct {
	d    *holderDeps
	conf string
	spec Meeting
	cmds chan holderCmd // from the placer, capacity 1
	log  *slog.Logger

	tokens   *token.Provider
	lease    *lease
	stateRev uint64            // revision of the state key; 0 = absent
	written  *meeting.Snapshot // the last picture written
	unsure   []byte            // a write whose reply was lost, which may have landed
	picture  *meeting.Snapshot // the last picture, while no session runs
	sess     *running
	// endSent is set once the end of the meeting is on the stream; a
	// session that subscribes again clears it.
	endSent bool
}

// running is one run of the meeting's session.
type running struct {
	state  *meeting.State
	pub    *publisher
	cancel context.CancelFunc
	done   chan error
}

func newHolder(d *holderDeps, m Meeting) *holder {
	return &holder{d: d, conf: m.Conference, spec: m, cmds: make(chan holderCmd, 1),
		log: d.log.With(slog.String("conference", m.Conference))}
}

// run claims the meeting and keeps it until told to stop or fenced. It
// returns only once its session has stopped.
func (h *holder) run(ctx context.Context) result {
	pw, ctl, err := h.spec.resolve(h.d.getenv)
	if err == nil {
		h.tokens, err = token.NewProvider(h.d.api, token.ProviderConfig{ConferenceID: h.conf, Password: pw, ControlToken: ctl})
	}
	if err != nil {
		return result{h.conf, outNoCredential, err}
	}
	h.lease = newLease(h.d.store.leases, h.conf, h.d.worker, h.d.t)
	if err := h.lease.claim(ctx); err != nil {
		if errors.Is(err, errTaken) {
			h.d.c.taken.Add(1)
			return result{h.conf, outTaken, nil}
		}
		return result{h.conf, outNotClaimed, err}
	}
	h.d.c.claims.Add(1)
	h.d.claimed(h.conf, true)
	defer h.d.claimed(h.conf, false)
	h.log.Info("fleet: meeting claimed")
	before, err := h.loadState(ctx)
	if err != nil {
		h.log.Warn("fleet: state not loaded; giving the meeting back", slog.Any("err", err))
		_ = h.lease.release(ctx)
		return result{h.conf, outNotClaimed, err}
	}
	h.picture = before
	if before != nil {
		h.d.metrics.FailedOver(h.conf) // another worker watched it before
	}
	return h.loop(ctx, h.start(ctx))
}

// loop keeps the lease and the state until a stop or a fence; started
// says whether the first session started.
func (h *holder) loop(ctx context.Context, started bool) result {
	renew := time.NewTimer(h.d.t.renewEvery)
	defer renew.Stop()
	fence := time.NewTimer(time.Until(h.lease.safeUntil))
	defer fence.Stop()
	tick := time.NewTicker(h.d.stateInterval)
	defer tick.Stop()
	retry := time.NewTimer(h.d.retryAfterStop)
	if started {
		retry.Stop()
	}
	defer retry.Stop()
	for {
		var sessDone <-chan error
		if h.sess != nil {
			sessDone = h.sess.done
		}
		select {
		case <-renew.C:
			err := h.lease.renew(ctx)
			switch {
			case err == nil:
				h.d.c.renewals.Add(1)
				renew.Reset(h.d.t.renewEvery)
				fence.Reset(time.Until(h.lease.safeUntil))
			case errors.Is(err, errLeaseLost):
				return h.fence(ctx, "another worker's write is on the lease")
			default:
				h.d.c.renewFailures.Add(1)
				h.d.metrics.LeaseRenewFailed(h.conf)
				h.log.Warn("fleet: lease not renewed; trying again", slog.Any("err", err))
				renew.Reset(h.d.t.renewEvery / 4)
			}
		case <-fence.C:
			return h.fence(ctx, "lease not renewed for 2/3 of its life")
		case <-tick.C:
			if err := h.writeState(ctx); errors.Is(err, errLeaseLost) {
				return h.fence(ctx, "another worker wrote the meeting's state")
			}
		case err := <-sessDone:
			h.picture = h.sess.state.Snapshot()
			h.ended(err)
			h.sess = nil
			h.log.Warn("fleet: session stopped by itself; keeping the lease and trying again later",
				slog.Any("err", err), slog.Duration("in", h.d.retryAfterStop))
			_ = h.writeState(ctx)
			retry.Reset(h.d.retryAfterStop)
		case <-retry.C:
			if !h.start(ctx) {
				retry.Reset(h.d.retryAfterStop)
			}
		case c := <-h.cmds:
			if c.stop != "" {
				return h.stop(ctx, c.stop)
			}
			h.stopSession()
			h.spec = *c.spec
			h.log.Info("fleet: meeting changed; restarting its session")
			if !h.start(ctx) {
				retry.Reset(h.d.retryAfterStop)
			}
		}
	}
}

// start runs a session seeded with h.picture, so that what changed since
// that picture is reported as inferred changes. It reports whether the
// session started.
func (h *holder) start(ctx context.Context) bool {
	pub := newPublisher(h.d.store.js, h.spec, h.d.worker, h.log, h.d.c)
	cfg := h.d.session
	cfg.ConferenceID, cfg.Tokens, cfg.Types = h.conf, h.tokens, h.spec.Types
	cfg.Observer = h.d.metrics.Observer(h.conf)
	sess, err := connector.New(cfg)
	if err != nil {
		h.log.Error("fleet: session not started", slog.Any("err", err))
		return false
	}
	st := meeting.NewFromSnapshot(meeting.Config{
		Logger:   h.log,
		Resync:   sess.Resync,
		OnChange: pub.change,
	}, h.picture)
	handler := events.HandlerFunc(func(ctx context.Context, e events.Event) {
		st.HandleEvent(ctx, e)
		pub.event(e)
	})
	run := func(ctx context.Context) error { return sess.Run(ctx, handler) }
	sctx, cancel := context.WithCancel(ctx)
	r := &running{state: st, pub: pub, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- run(sctx) }()
	h.sess = r
	return true
}

// ended publishes the record that ends the meeting's stream, the one a
// direct tail prints last, when the session stopped because the meeting
// ended: readers of the stream stop there as a tail does. A retry that
// finds the meeting still ended publishes it again only if it had
// subscribed in between.
func (h *holder) ended(err error) {
	if h.sess.pub.subscribed.Load() {
		h.endSent = false
	}
	if !errors.Is(err, connector.ErrMeetingEnded) || h.endSent {
		return
	}
	h.sess.pub.end(time.Now())
	h.endSent = true
}

// stopSession stops the session and waits for it: when it returns, the
// socket is closed.
func (h *holder) stopSession() {
	if h.sess == nil {
		return
	}
	h.sess.cancel()
	<-h.sess.done
	h.picture = h.sess.state.Snapshot()
	h.sess = nil
}

// current is the latest picture of the meeting.
func (h *holder) current() *meeting.Snapshot {
	if h.sess != nil {
		return h.sess.state.Snapshot()
	}
	return h.picture
}

// fence stops the session before the lease can expire, then gives the
// lease back if it is still ours, so that nobody waits for its expiry.
func (h *holder) fence(ctx context.Context, why string) result {
	h.d.c.fences.Add(1)
	h.d.metrics.Fenced(h.conf)
	h.log.Warn("fleet: fencing: stopping the session", slog.String("why", why))
	h.stopSession()
	if err := h.lease.release(ctx); err == nil {
		h.d.c.releases.Add(1)
	}
	return result{h.conf, outFenced, errors.New(why)}
}

// stop ends the session, writes the last picture while the lease is
// still ours, waits for the records to be stored, and releases the lease.
func (h *holder) stop(ctx context.Context, why stopReason) result {
	h.stopSession()
	if time.Now().Before(h.lease.safeUntil) {
		if err := h.writeState(ctx); errors.Is(err, errLeaseLost) {
			return h.fence(ctx, "another worker wrote the meeting's state")
		}
	}
	select {
	case <-h.d.store.js.PublishAsyncComplete():
	case <-time.After(h.d.t.request):
	}
	err := h.lease.release(ctx)
	if err == nil {
		h.d.c.releases.Add(1)
	}
	if why == stopHandover {
		h.d.c.handovers.Add(1)
	}
	h.log.Info("fleet: meeting released", slog.String("why", string(why)))
	return result{h.conf, outStopped, err}
}

// loadState reads the meeting's last picture, if any, and the revision to
// write over.
func (h *holder) loadState(ctx context.Context) (*meeting.Snapshot, error) {
	rctx, cancel := h.lease.requestCtx(ctx)
	defer cancel()
	e, err := h.d.store.state.Get(rctx, h.conf)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound), errors.Is(err, jetstream.ErrKeyDeleted):
		return nil, nil
	case err != nil:
		return nil, err
	}
	h.stateRev = e.Revision()
	var s meeting.Snapshot
	if err := json.Unmarshal(e.Value(), &s); err != nil || s.ConferenceID != "" && s.ConferenceID != h.conf {
		h.log.Warn("fleet: stored state unreadable; starting afresh")
		return nil, nil
	}
	return &s, nil
}

// writeState writes the latest picture if it changed, with compare-and-
// swap on the revision. It returns errLeaseLost when another worker wrote
// the key since.
func (h *holder) writeState(ctx context.Context) error {
	snap := h.current()
	if snap == nil || snap == h.written {
		return nil
	}
	data, err := json.Marshal(snap)
	if err != nil {
		return err
	}
	if len(data) > h.d.maxState {
		h.d.c.stateSkipped.Add(1)
		h.log.Warn("fleet: state larger than the server's max payload; not written", slog.Int("bytes", len(data)))
		h.written = snap
		return nil
	}
	rctx, cancel := h.lease.requestCtx(ctx)
	defer cancel()
	var rev uint64
	if h.stateRev == 0 {
		rev, err = h.d.store.state.Create(rctx, h.conf, data)
	} else {
		rev, err = h.d.store.state.Update(rctx, h.conf, data, h.stateRev)
	}
	if err == nil {
		h.stateRev, h.written, h.unsure = rev, snap, nil
		h.d.c.stateWrites.Add(1)
		return nil
	}
	if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists) {
		// Ours if a write whose reply was lost landed after all: write
		// over it at the next tick.
		if e, gerr := h.d.store.state.Get(rctx, h.conf); gerr == nil && h.unsure != nil && bytes.Equal(e.Value(), h.unsure) {
			h.stateRev, h.unsure = e.Revision(), nil
			return nil
		}
		return errLeaseLost
	}
	h.unsure = data
	h.d.c.stateErrors.Add(1)
	h.log.Warn("fleet: state not written", slog.Any("err", err))
	return err
}
