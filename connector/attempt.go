package connector

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/confwatch/confwatch/clock"
	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/internal/wire"
	"github.com/confwatch/confwatch/token"
)

// healthyEnd marks the end of a link that stayed up for HealthyAfter.
type healthyEnd struct{ err error }

func (h *healthyEnd) Error() string { return h.err.Error() }
func (h *healthyEnd) Unwrap() error { return h.err }

// attempt gets a control token and a fresh ws token, dials and subscribes.
// On success the link is live and subscribed; the caller owns it. *ctl
// receives the control token used, so a failure can invalidate it.
func (s *Session) attempt(ctx context.Context, onSubscribed func(time.Time) events.Event, ctl **token.Control) (*link, *Failure) {
	*ctl = nil
	c, err := s.cfg.Tokens.Control(ctx)
	if err != nil {
		return nil, Classify(StageControl, err, s.cfg.Backoff.Max)
	}
	*ctl = c
	types := s.subscribeTypes(c)

	// The ws token is fetched after the backoff wait, right before the
	// dial; one that has aged past the margin meanwhile (a slow token call)
	// is discarded rather than risked.
	var ws *token.WS
	for range 2 {
		ws, err = s.cfg.Tokens.WSToken(ctx)
		if err != nil {
			return nil, Classify(StageWSToken, err, s.cfg.Backoff.Max)
		}
		s.c.tokenFetches.Add(1)
		if ws.Age(s.cfg.Clock.Now()) < token.WSTokenLifetime-s.cfg.TokenMargin {
			break
		}
		s.c.tokensDiscarded.Add(1)
		s.log.Warn("discarding a ws token too old to dial with", slog.Duration("age", ws.Age(s.cfg.Clock.Now())))
		ws = nil
	}
	if ws == nil {
		return nil, Classify(StageWSToken, errors.New("connector: ws tokens arrive too old to use; check the clock and the token service's latency"), s.cfg.Backoff.Max)
	}

	full, loggable, err := dialURL(c.WSURL, s.cfg.ConferenceID, ws.Token)
	if err != nil {
		return nil, &Failure{Stage: StageDial, Class: ClassStop, Err: err}
	}
	sub, err := s.subscribeFrame(c, types)
	if err != nil {
		return nil, &Failure{Stage: StageSubscribe, Class: ClassStop, Err: err}
	}
	// A resync asked for before this dial is void: this link brings fresh
	// snapshots anyway.
	select {
	case <-s.resync:
	default:
	}
	s.c.dials.Add(1)
	s.log.Debug("dialing", slog.String("url", loggable))
	last := new(atomic.Int64)
	last.Store(s.cfg.Clock.Now().UnixNano())
	conn, err := s.dial(ctx, full, ws.Token, last)
	if err != nil {
		return nil, Classify(StageDial, err, s.cfg.Backoff.Max)
	}

	l := s.newLink(conn, last, c, onSubscribed)
	l.start(sub)
	t := s.cfg.Clock.NewTimer(s.cfg.SubscribeTimeout)
	defer t.Stop()
	accepted := func() (*link, *Failure) {
		s.log.Info("subscribed", slog.String("url", loggable), slog.Int("types", len(types)))
		return l, nil
	}
	refused := func(r *wire.SubscribeReply) (*link, *Failure) {
		l.phase.CompareAndSwap(phaseWaiting, phaseAbandoned)
		l.shutdown(false)
		return nil, Classify(StageSubscribe, &SubscribeError{Code: r.ReturnCode, Desc: r.ReturnDesc}, s.cfg.Backoff.Max)
	}
	// giveUp abandons the link unless the reader has just accepted it, in
	// which case the link is kept: its Subscribed event is already queued,
	// and live() will report its end like any other.
	giveUp := func(bye bool, f *Failure) (*link, *Failure) {
		if !l.phase.CompareAndSwap(phaseWaiting, phaseAbandoned) && f.Class != ClassStop {
			return accepted()
		}
		l.shutdown(bye)
		return nil, f
	}
	select {
	case r := <-l.subReply:
		if !r.OK() {
			return refused(r)
		}
		return accepted()
	case <-l.readDone:
		// The reply may have come with the end of the socket: it decides.
		select {
		case r := <-l.subReply:
			if !r.OK() {
				return refused(r)
			}
		default:
		}
		err := l.result()
		if l.ended.Load() {
			err = ErrMeetingEnded
		}
		return giveUp(false, Classify(StageSubscribe, err, s.cfg.Backoff.Max))
	case <-t.C():
		return giveUp(true, Classify(StageSubscribe, errors.New("connector: no Subscribe reply within SubscribeTimeout"), s.cfg.Backoff.Max))
	case <-ctx.Done():
		return giveUp(true, &Failure{Stage: StageSubscribe, Class: ClassStop, Err: ctx.Err()})
	}
}

// newBackoff returns the exponential schedule. Jitter is applied by
// nextDelay, not by the library, to get "full jitter" ([0, d]) rather than
// its symmetric ±factor.
func (s *Session) newBackoff() *backoff.ExponentialBackOff {
	b := &backoff.ExponentialBackOff{
		InitialInterval:     s.cfg.Backoff.Initial,
		RandomizationFactor: 0,
		Multiplier:          s.cfg.Backoff.Multiplier,
		MaxInterval:         s.cfg.Backoff.Max,
		// Set explicitly: the library's 15-minute default silently gives
		// up. The outage limit is enforced by loop against MaxOutage.
		MaxElapsedTime: 0,
		Stop:           backoff.Stop,
		Clock:          backoffClock{s.cfg.Clock},
	}
	b.Reset()
	return b
}

func (s *Session) nextDelay(b *backoff.ExponentialBackOff) time.Duration {
	d := b.NextBackOff()
	if d == backoff.Stop {
		return d
	}
	return d - time.Duration(float64(d)*s.cfg.Backoff.Jitter*s.cfg.Rand())
}

type backoffClock struct{ c clock.Clock }

func (b backoffClock) Now() time.Time { return b.c.Now() }

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
