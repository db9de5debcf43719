package connector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/confwatch/confwatch/clock"
	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/token"
)

// supervisor runs one session's attempts: token → dial → Subscribe → live
// → classify → backoff → again. It lives on Run's goroutine; nothing else
// reads or writes its fields. What the reader needs to announce a link is
// handed to it by value (announcement) before the dial.
type supervisor struct {
	s    *Session
	b    *backoff.ExponentialBackOff
	hist history

	// blindFrom starts the current blind window; zero before the first
	// Subscribe. resyncing says the window was opened on purpose.
	blindFrom time.Time
	resyncing bool
	// lastCtl is the control token of the latest attempt, for Invalidate.
	lastCtl *token.Control
}

func newSupervisor(s *Session) *supervisor {
	b := &backoff.ExponentialBackOff{
		InitialInterval: s.cfg.Backoff.Initial,
		// Jitter is applied by nextDelay, not by the library, to get "full
		// jitter" ([0, d]) rather than its symmetric ±factor.
		RandomizationFactor: 0,
		Multiplier:          s.cfg.Backoff.Multiplier,
		MaxInterval:         s.cfg.Backoff.Max,
		// Set explicitly: the library's 15-minute default silently gives
		// up. The outage limit is decide's, against MaxOutage.
		MaxElapsedTime: 0,
		Stop:           backoff.Stop,
		Clock:          backoffClock{s.cfg.Clock},
	}
	b.Reset()
	return &supervisor{s: s, b: b, hist: history{outageStart: s.cfg.Clock.Now()}}
}

type backoffClock struct{ c clock.Clock }

func (b backoffClock) Now() time.Time { return b.c.Now() }

// run is the supervisor's loop. It returns Run's error.
func (sv *supervisor) run(ctx context.Context) error {
	for {
		l, fail := sv.attempt(ctx, announcement{blindFrom: sv.blindFrom, resync: sv.resyncing})
		if fail == nil {
			sv.hist.authFails, sv.hist.refusals, sv.resyncing = 0, 0, false
			var stop error
			if fail, stop = sv.serve(ctx, l); stop != nil {
				return stop
			}
			if fail == nil {
				continue // a resync: dial again at once
			}
		}
		if err := sv.retry(ctx, fail); err != nil {
			return err
		}
	}
}

// serve runs a subscribed link until it ends. It returns the failure to
// retry after, nothing for a resync, or the error Run stops with.
func (sv *supervisor) serve(ctx context.Context, l *link) (*Failure, error) {
	reason, err := sv.s.live(ctx, l)
	return sv.linkEnded(ctx, l, reason, err)
}

// linkEnded is serve's verdict on a link that ended, kept out of serve so
// that the frame an idle session keeps on its stack is small (see
// Session.serveLink).
func (sv *supervisor) linkEnded(ctx context.Context, l *link, reason string, err error) (*Failure, error) {
	s := sv.s
	now := s.cfg.Clock.Now()
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case l.ended.Load():
		return nil, fmt.Errorf("connector: %w", ErrMeetingEnded)
	case reason != "":
		s.c.resyncs.Add(1)
		s.cfg.Observer.resyncing(reason)
		s.log.Info("resyncing", slog.String("reason", reason))
		sv.blindFrom, sv.resyncing = now, true
		s.watch.set(StateReconnecting)
		s.q.lifecycle(&events.Disconnected{At: now, Err: fmt.Errorf("connector: resync: %s", reason), Class: "resync"})
		return nil, nil
	}
	var h *healthyEnd
	if errors.As(err, &h) {
		// The link was up long enough to call it healthy: start again
		// from the shortest delay.
		sv.b.Reset()
		err = h.err
	}
	fail := classify(StageLive, err, s.cfg.Backoff.Max)
	sv.blindFrom, sv.hist.outageStart = now, now
	s.log.Warn("disconnected", slog.String("class", fail.Class.String()), slog.Any("err", fail.Err))
	s.q.lifecycle(&events.Disconnected{At: now, Err: fail, Class: fail.Class.String()})
	return fail, nil
}

// retry records fail, applies the retry policy and waits. It returns the
// error Run stops with, or nil to attempt again.
func (sv *supervisor) retry(ctx context.Context, fail *Failure) error {
	s := sv.s
	if ctx.Err() != nil {
		return ctx.Err()
	}
	s.record(fail)
	if err := sv.giveUp(fail); err != nil {
		return err
	}
	v, hist := decide(fail, sv.hist, s.cfg.Clock.Now(), sv.nextDelay(), s.cfg.Backoff.MaxOutage)
	sv.hist = hist
	if v.stop != nil {
		return v.stop
	}
	if v.invalidate && sv.lastCtl != nil {
		s.cfg.Tokens.Invalidate(sv.lastCtl)
	}
	// The timer is armed before NextRetryAt is published, so whoever sees
	// NextRetryAt (a test moving a fake clock) finds it waiting.
	wait := s.cfg.Clock.NewTimer(v.delay)
	defer wait.Stop()
	s.setRetry(s.cfg.Clock.Now().Add(v.delay))
	defer s.setRetry(time.Time{})
	if sv.blindFrom.IsZero() {
		s.watch.set(StateConnecting)
	} else {
		s.watch.set(StateReconnecting)
	}
	s.cfg.Observer.retrying(fail, v.delay)
	s.log.Warn(fmt.Sprintf("reconnecting in %v", v.delay.Round(time.Millisecond)),
		slog.String("class", fail.Class.String()), slog.String("stage", string(fail.Stage)), slog.Any("err", fail.Err))
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-wait.C():
		return nil
	}
}

// nextDelay is the backoff's next delay with full jitter.
func (sv *supervisor) nextDelay() time.Duration {
	d := sv.b.NextBackOff()
	return d - time.Duration(float64(d)*sv.s.cfg.Backoff.Jitter*sv.s.cfg.Rand())
}

// announcement is what the reader needs to announce a link it accepts: the
// supervisor fills it in before the dial, and the reader gets a copy.
type announcement struct {
	blindFrom time.Time // zero: the first Subscribe
	resync    bool
}

// event is the lifecycle event for an acceptance at at.
func (a announcement) event(at time.Time) events.Event {
	if a.blindFrom.IsZero() {
		return &events.Subscribed{At: at}
	}
	return &events.Resubscribed{BlindFrom: a.blindFrom, BlindTo: at, Resync: a.resync}
}

// healthyEnd marks the end of a link that stayed up for HealthyAfter.
type healthyEnd struct{ err error }

func (h *healthyEnd) Error() string { return h.err.Error() }
func (h *healthyEnd) Unwrap() error { return h.err }

func (s *Session) record(f *Failure) {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	s.c.reconnects[f.Class.String()]++
	s.c.lastError = f.Error()
	s.c.lastClass = f.Class.String()
}

func (s *Session) setRetry(at time.Time) {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	s.c.nextRetryAt = at
}
