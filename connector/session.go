package connector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/confwatch/confwatch/clock"
	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/internal/wire"
	"github.com/confwatch/confwatch/token"
)

// drainTimeout bounds how long Run waits for the handler to finish the
// queued events once the session stops, before cancelling its context.
const drainTimeout = time.Second

// Session keeps one meeting subscribed. Create it with New and call Run
// once. Its other methods are safe for concurrent use, also while Run runs.
type Session struct {
	cfg      Config
	log      *slog.Logger
	realTime bool
	hcancel  context.CancelFunc // ends the handler's context
	q        *queue
	c        counters
	watch    *watch
	running  atomic.Bool

	resync     chan string // capacity 1
	resyncMu   sync.Mutex
	lastResync time.Time

	current atomic.Pointer[link] // the subscribed link, or nil
}

// New checks cfg and returns a session ready to Run.
func New(cfg Config) (*Session, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	_, isFake := cfg.Clock.(*clock.Fake)
	// The handler's context outlives Run's ctx by up to drainTimeout, so
	// that queued events are still delivered after a cancel.
	hctx, hcancel := context.WithCancel(context.Background())
	s := &Session{
		cfg:      cfg,
		log:      cfg.Logger.With(slog.String("conference", cfg.ConferenceID)),
		realTime: !isFake,
		hcancel:  hcancel,
		q:        newQueue(hctx, cfg.Queue, cfg.Handler),
		watch:    newWatch(),
		resync:   make(chan string, 1),
	}
	s.c.reconnects = map[string]int64{}
	return s, nil
}

// State returns the session's state and a channel that is closed at the
// next transition; it never blocks, so a watcher can follow transitions
// with a loop of State and select.
func (s *Session) State() (State, <-chan struct{}) { return s.watch.get() }

// Stats returns a copy of the session's counters.
func (s *Session) Stats() Stats {
	st, _ := s.watch.get()
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	return Stats{
		State: st, Dials: s.c.dials.Load(), TokenFetches: s.c.tokenFetches.Load(),
		TokensDiscarded: s.c.tokensDiscarded.Load(), Subscribes: s.c.subscribes.Load(),
		Reconnects: maps.Clone(s.c.reconnects), Resyncs: s.c.resyncs.Load(),
		ResyncsLimited: s.c.resyncsLimited.Load(), FramesIn: s.c.framesIn.Load(),
		BytesIn: s.c.bytesIn.Load(), Malformed: s.c.malformed.Load(), Binary: s.c.binary.Load(),
		Oversize: s.c.oversize.Load(), Dropped: s.c.dropped.Load(), QueueDepth: s.q.len(),
		HeartbeatsSent: s.c.heartbeatsSent.Load(), HeartbeatsEcho: s.c.heartbeatsEcho.Load(),
		LastError: s.c.lastError, LastClass: s.c.lastClass,
		ConnectedSince: s.c.connectedSince, NextRetryAt: s.c.nextRetryAt,
	}
}

// Resync asks the session to close the live link and subscribe again at
// once, without backoff, to get fresh full snapshots (for example after a
// version gap). Requests closer together than MinResyncInterval are
// refused and counted. It reports whether the request was taken.
func (s *Session) Resync(reason string) bool {
	now := s.cfg.Clock.Now()
	s.resyncMu.Lock()
	if !s.lastResync.IsZero() && now.Sub(s.lastResync) < s.cfg.MinResyncInterval {
		s.resyncMu.Unlock()
		s.c.resyncsLimited.Add(1)
		return false
	}
	s.lastResync = now
	s.resyncMu.Unlock()
	select {
	case s.resync <- reason:
	default:
	}
	return true
}

// SendSubtitleControl turns live captions on or off through the live
// link. ConferenceID and ConfToken of c are filled in by the session. It
// fails with ErrNotSubscribed when no link is subscribed.
func (s *Session) SendSubtitleControl(ctx context.Context, c events.SubtitleControl) error {
	l := s.current.Load()
	if l == nil {
		return ErrNotSubscribed
	}
	c.ConferenceID, c.ConfToken = s.cfg.ConferenceID, l.ctl.Token
	data, err := wire.EncodeSubtitleControl(wire.Sequence(s.cfg.Clock.Now()), wire.SubtitleControl(c))
	if err != nil {
		return fmt.Errorf("connector: subtitle control: %w", err)
	}
	f := outFrame{data: data, result: make(chan error, 1)}
	select {
	case l.out <- f:
	case <-l.wrDone:
		return ErrNotSubscribed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-f.result:
		return err
	case <-l.wrDone:
		return ErrNotSubscribed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run connects, subscribes and stays subscribed until ctx is done (it
// returns ctx.Err()), the meeting ends (an error wrapping ErrMeetingEnded)
// or a failure is classified as fatal (ErrCredentialsRejected, ErrOutage,
// or the token error). On return every goroutine it started has exited and
// the handler has seen every queued event, unless it ignored its context
// for longer than a second after the stop. Run may be called only once.
func (s *Session) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return errors.New("connector: Run called twice")
	}
	err := s.loop(ctx)
	s.watch.set(StateStopped)
	s.q.close()
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		s.q.wait()
	}()
	t := time.NewTimer(drainTimeout)
	select {
	case <-drained:
	case <-t.C:
		s.hcancel()
		<-drained
	}
	t.Stop()
	s.hcancel()
	s.log.Info("session stopped", slog.Any("reason", err))
	return err
}

// loop is the supervisor: token → dial → Subscribe → live → classify →
// backoff → again.
func (s *Session) loop(ctx context.Context) error {
	b := s.newBackoff()
	var (
		blindFrom   time.Time // start of the current blind window; zero before the first Subscribe
		resyncing   bool
		authFails   int
		refusals    int
		outageStart = s.cfg.Clock.Now()
		lastCtl     *token.Control
	)
	for {
		onSubscribed := func(at time.Time) events.Event {
			if blindFrom.IsZero() {
				return &events.Subscribed{At: at}
			}
			return &events.Resubscribed{BlindFrom: blindFrom, BlindTo: at, Resync: resyncing}
		}
		l, fail := s.attempt(ctx, onSubscribed, &lastCtl)
		if fail == nil {
			authFails, refusals, resyncing = 0, 0, false
			reason, err := s.live(ctx, l)
			now := s.cfg.Clock.Now()
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if l.ended.Load() {
				return ErrMeetingEnded
			}
			if reason != "" {
				s.c.resyncs.Add(1)
				s.log.Info("resyncing", slog.String("reason", reason))
				blindFrom, resyncing = now, true
				s.watch.set(StateReconnecting)
				s.q.put(&events.Disconnected{At: now, Err: fmt.Errorf("connector: resync: %s", reason), Class: "resync"}, true)
				continue
			}
			var h *healthyEnd
			if errors.As(err, &h) {
				// The link was up long enough to call it healthy: start
				// again from the shortest delay.
				b.Reset()
				err = h.err
			}
			fail = Classify(StageLive, err, s.cfg.Backoff.Max)
			blindFrom, outageStart = now, now
			s.q.put(&events.Disconnected{At: now, Err: fail, Class: fail.Class.String()}, true)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.record(fail)
		switch fail.Class {
		case ClassStop:
			if errors.Is(fail, token.ErrMeetingEnded) {
				return fmt.Errorf("%w: %w", ErrMeetingEnded, fail)
			}
			return fmt.Errorf("connector: stopping: %w", fail)
		case ClassReauth:
			authFails++
			if authFails >= 2 {
				return fmt.Errorf("%w: %w", ErrCredentialsRejected, fail)
			}
			if lastCtl != nil {
				s.cfg.Tokens.Invalidate(lastCtl)
			}
		default:
			authFails = 0
		}
		var hs *HandshakeError
		if errors.As(fail, &hs) && (hs.Status == 401 || hs.Status == 403) || (fail.Stage == StageSubscribe && !errors.Is(fail, ErrSubscribeRejected)) {
			if refusals++; refusals >= 2 {
				// Two refused ws tokens in a row: the control token behind
				// them is suspect, so get another.
				if lastCtl != nil {
					s.cfg.Tokens.Invalidate(lastCtl)
				}
				refusals = 0
			}
		}
		delay := s.nextDelay(b)
		if delay == backoff.Stop || (s.cfg.Backoff.MaxOutage > 0 && s.cfg.Clock.Now().Add(max(delay, fail.Wait)).Sub(outageStart) > s.cfg.Backoff.MaxOutage) {
			return fmt.Errorf("%w: %w", ErrOutage, fail)
		}
		delay = max(delay, fail.Wait)
		// The timer is armed before NextRetryAt is published, so whoever
		// sees NextRetryAt (a test moving a fake clock) finds it waiting.
		wait := s.cfg.Clock.NewTimer(delay)
		s.setRetry(s.cfg.Clock.Now().Add(delay))
		if blindFrom.IsZero() {
			s.watch.set(StateConnecting)
		} else {
			s.watch.set(StateReconnecting)
		}
		s.log.Warn(fmt.Sprintf("reconnecting in %v", delay.Round(time.Millisecond)),
			slog.String("class", fail.Class.String()), slog.String("stage", string(fail.Stage)), slog.Any("err", fail.Err))
		select {
		case <-ctx.Done():
			wait.Stop()
			return ctx.Err()
		case <-wait.C():
		}
		s.setRetry(time.Time{})
	}
}

// live runs a subscribed link until it ends. It returns the resync reason
// when the session closed the link on purpose, else the link's error.
func (s *Session) live(ctx context.Context, l *link) (resync string, err error) {
	subscribedAt := s.cfg.Clock.Now()
	// The control token is kept alive from here rather than from a goroutine
	// of its own: a redial needs it, and an idle session is cheaper with one
	// goroutine fewer (BENCHMARKS.md, memory). Armed before the state says
	// "subscribed", so that a fake clock moved on that signal finds it.
	refresh := s.cfg.Clock.NewTimer(l.ctl.RefreshAt().Sub(subscribedAt))
	defer refresh.Stop()
	s.current.Store(l)
	s.c.mu.Lock()
	s.c.connectedSince = subscribedAt
	s.c.mu.Unlock()
	s.watch.set(StateSubscribed)
	defer func() {
		s.current.Store(nil)
		s.c.mu.Lock()
		s.c.connectedSince = time.Time{}
		s.c.mu.Unlock()
	}()
	for {
		select {
		case <-ctx.Done():
			l.shutdown(true)
			return "", ctx.Err()
		case reason := <-s.resync:
			l.shutdown(true)
			return reason, nil
		case <-refresh.C():
			refresh.Reset(s.keepAlive(ctx))
			continue
		case <-l.readDone:
			l.shutdown(false)
			err = l.result()
		}
		break
	}
	if s.cfg.Clock.Now().Sub(subscribedAt) >= s.cfg.HealthyAfter {
		err = &healthyEnd{err}
	}
	return "", err
}

// keepAliveRetry is the longest wait before trying again after a failed
// keep-alive.
const keepAliveRetry = 30 * time.Second

// keepAlive renews the control token while a link is live and returns when
// to do it next. Failures are logged, not fatal: the link does not depend
// on the token, and the next dial gets a fresh one if it lapsed.
func (s *Session) keepAlive(ctx context.Context) time.Duration {
	c, err := s.cfg.Tokens.Control(ctx)
	if err != nil {
		s.log.Warn("control token keep-alive failed; retrying", slog.Any("err", err), slog.Duration("in", keepAliveRetry))
		return keepAliveRetry
	}
	now := s.cfg.Clock.Now()
	next := c.RefreshAt().Sub(now)
	if next <= 0 {
		// The renewal failed softly (the source kept the current token):
		// try again well before the token lapses, without a busy loop.
		next = min(keepAliveRetry, max(c.ExpiresAt.Sub(now)/3, 100*time.Millisecond))
	}
	return next
}
