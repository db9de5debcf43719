package connector

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"github.com/confwatch/confwatch/secret"
	"log/slog"
	"time"

	"github.com/confwatch/confwatch/internal/wire"
	"github.com/confwatch/confwatch/token"
)

// attempt gets a control token and a fresh ws token, dials and subscribes.
// On success the link is live and subscribed; the caller owns it.
func (sv *supervisor) attempt(ctx context.Context, ann announcement) (*link, *Failure) {
	s := sv.s
	sv.lastCtl = nil
	ctl, err := s.cfg.Tokens.Control(ctx)
	if err != nil {
		return nil, classify(StageControl, err, s.cfg.Backoff.Max)
	}
	sv.lastCtl = ctl
	s.remember(ctl.Token)
	types := s.subscribeTypes(ctl)
	sub, err := s.subscribeFrame(ctl, types)
	if err != nil {
		return nil, &Failure{Stage: StageSubscribe, Class: ClassStop, Err: err}
	}
	ws, fail := s.freshWSToken(ctx)
	if fail != nil {
		return nil, fail
	}
	full, loggable, err := dialURL(ctl.WSURL, s.cfg.ConferenceID, ws.Token, s.cfg.AllowPlainText)
	if err != nil {
		return nil, &Failure{Stage: StageDial, Class: ClassStop, Err: err}
	}
	// A resync asked for before this dial is void: this link brings fresh
	// snapshots anyway.
	select {
	case <-s.resync:
	default:
	}
	s.c.dials.Add(1)
	s.log.Debug("dialing", slog.String("url", loggable))
	conn, err := s.dial(ctx, full)
	if err != nil {
		return nil, classify(StageDial, err, s.cfg.Backoff.Max)
	}
	l := newLink(s.env, conn, ctl, ann)
	l.start(ctx, sub)
	l, fail = s.awaitReply(ctx, l)
	if fail == nil {
		// Logged here, on the supervisor's goroutine, like "disconnected"
		// and "reconnecting in": so the log tells the lifecycle in order.
		msg := "subscribed"
		if !ann.blindFrom.IsZero() {
			msg = fmt.Sprintf("resubscribed after %v blind", s.cfg.Clock.Now().Sub(ann.blindFrom).Round(time.Millisecond))
		}
		s.log.Info(msg, slog.String("url", loggable), slog.Int("types", len(types)))
	}
	return l, fail
}

// freshWSToken fetches the ws token right before the dial. One that has
// aged past the margin meanwhile (a slow token call) is discarded rather
// than risked, once.
func (s *Session) freshWSToken(ctx context.Context) (*token.WS, *Failure) {
	for range 2 {
		ws, err := s.cfg.Tokens.WSToken(ctx)
		if err != nil {
			s.cfg.Observer.wsTokenFetched(err, false)
			return nil, classify(StageWSToken, err, s.cfg.Backoff.Max)
		}
		s.c.tokenFetches.Add(1)
		s.remember(ws.Token)
		age := ws.Age(s.cfg.Clock.Now())
		fresh := age < token.WSTokenLifetime-s.cfg.TokenMargin
		s.cfg.Observer.wsTokenFetched(nil, !fresh)
		if fresh {
			return ws, nil
		}
		s.c.tokensDiscarded.Add(1)
		s.log.Warn("discarding a ws token too old to dial with", slog.Duration("age", age))
	}
	return nil, classify(StageWSToken, errors.New("connector: ws tokens arrive too old to use; check the clock and the token service's latency"), s.cfg.Backoff.Max)
}

// awaitReply waits for the first Subscribe reply on a started link. The
// reader decides acceptance (link.phase); when the wait gives up just as
// the reader accepted, the link is kept: its Subscribed event is already
// queued, and live will report its end like any other.
func (s *Session) awaitReply(ctx context.Context, l *link) (*link, *Failure) {
	t := s.cfg.Clock.NewTimer(s.cfg.SubscribeTimeout)
	defer t.Stop()
	var fail *Failure
	bye := true
	for fail == nil {
		select {
		case r := <-l.subReply:
			return s.judgeReply(l, r)
		case <-l.readDone:
			// The reply may have come with the end of the socket: it decides.
			select {
			case r := <-l.subReply:
				if !r.OK() {
					return s.judgeReply(l, r)
				}
			default:
			}
			err := l.result()
			if l.ended.Load() {
				err = ErrMeetingEnded
			}
			fail, bye = classify(StageSubscribe, err, s.cfg.Backoff.Max), false
		case <-t.C():
			fail = classify(StageSubscribe, errors.New("connector: no Subscribe reply within SubscribeTimeout"), s.cfg.Backoff.Max)
		case <-ctx.Done():
			fail = &Failure{Stage: StageSubscribe, Class: ClassStop, Err: ctx.Err()}
		case now := <-l.beat.C():
			l.heartbeat(ctx, now)
		case now := <-l.watchdog.C():
			l.checkSilence(now)
		}
	}
	if !l.phase.CompareAndSwap(phaseWaiting, phaseAbandoned) && fail.Class != ClassStop {
		return l, nil
	}
	l.shutdown(bye)
	return nil, fail
}

// judgeReply keeps an accepted link and ends a refused one.
func (s *Session) judgeReply(l *link, r *wire.SubscribeReply) (*link, *Failure) {
	if r.OK() {
		return l, nil
	}
	l.phase.CompareAndSwap(phaseWaiting, phaseAbandoned)
	l.shutdown(false)
	return nil, classify(StageSubscribe, &SubscribeError{Code: r.ReturnCode, Desc: s.clean(r.ReturnDesc)}, s.cfg.Backoff.Max)
}

// remember adds a token to the secrets scrubbed from server text, in the
// forms the session sends it (raw, and as Subscribe's "Basic " + base64).
func (s *Session) remember(t secret.Secret) {
	raw := t.Reveal()
	s.secrets.Add(raw)
	s.secrets.Add(base64.StdEncoding.EncodeToString([]byte(raw)))
}
