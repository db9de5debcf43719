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

	"github.com/confwatch/confwatch/clock"
	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/internal/scrub"
	"github.com/confwatch/confwatch/internal/wire"
)

// drainTimeout bounds how long Run waits for the handler to finish the
// queued events once the session stops, before cancelling its context.
const drainTimeout = time.Second

// Session keeps one meeting subscribed. Create it with New, then call Run
// once with the handler that receives its events. Its other methods
// (Resync, State, Stats, SendSubtitleControl) are safe for concurrent use,
// also while Run runs and before it starts; so the natural order of
// construction has no cycle:
//
//	sess, _ := connector.New(connector.Config{ConferenceID: id, Tokens: prov})
//	state := meeting.New(meeting.Config{Resync: sess.Resync})
//	mux := events.NewMux(nil)
//	mux.HandleAll(state, events.HandlerOptions{})
//	err := sess.Run(ctx, mux)
type Session struct {
	cfg     Config
	log     *slog.Logger
	q       *queue
	c       counters
	watch   *watch
	env     *linkEnv
	running atomic.Bool
	secrets scrub.Set // every token this session was handed

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
	s := &Session{
		cfg:    cfg,
		log:    cfg.Logger.With(slog.String("conference", cfg.ConferenceID)),
		q:      newQueue(cfg.Queue, cfg.QueueBytes),
		watch:  newWatch(cfg.Observer),
		resync: make(chan string, 1),
	}
	s.c.reconnects = map[string]int64{}
	s.env = &linkEnv{
		cfg: &s.cfg, log: s.log, c: &s.c, clean: s.clean,
		deliver: s.q.put, announce: s.q.lifecycle,
		resync: func(reason string) { s.Resync(reason) },
	}
	return s, nil
}

// textScrubber is implemented by token sources that know secrets the
// session never sees (the host password): *token.Provider.
type textScrubber interface{ ScrubText(string) string }

// clean makes server text (a close reason, a returnDesc, an error that
// quotes a response) safe to store, log and return: every secret this
// session or its token source ever held is removed, control characters
// are stripped and the length is capped (scrub.MaxText).
func (s *Session) clean(text string) string {
	if ts, ok := s.cfg.Tokens.(textScrubber); ok {
		text = ts.ScrubText(text)
	}
	return s.secrets.Text(text)
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
		Oversize: s.c.oversize.Load(), Dropped: s.c.dropped.Load(), QueueDepth: s.q.len(), QueueBytes: s.q.held(),
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
// link, with the session's meeting ID and control token. It fails with
// ErrNotSubscribed when no link is subscribed. The frame is written on the
// caller's goroutine, bounded by WriteTimeout; ctx bounds the wait for a
// write already under way (a heartbeat).
func (s *Session) SendSubtitleControl(ctx context.Context, c SubtitleControl) error {
	l := s.current.Load()
	if l == nil {
		return ErrNotSubscribed
	}
	data, err := wire.EncodeSubtitleControl(wire.Sequence(s.cfg.Clock.Now()), wire.SubtitleControl{
		ConferenceID: s.cfg.ConferenceID, ConfToken: l.ctl.Token,
		On: c.On, SubtitleType: c.SubtitleType, SISProperty: c.SISProperty, SpeakerIDs: c.SpeakerIDs,
	})
	if err != nil {
		return fmt.Errorf("connector: subtitle control: %w", err)
	}
	if err := l.write(ctx, data); err != nil {
		if errors.Is(err, errLinkClosed) {
			return ErrNotSubscribed
		}
		return err
	}
	return nil
}

// Run connects, subscribes and stays subscribed until ctx is done (it
// returns ctx.Err()), the meeting ends (an error wrapping ErrMeetingEnded)
// or a failure is classified as fatal (ErrCredentialsRejected, ErrOutage,
// or the token error). Every push and lifecycle event goes to h, in order,
// from one goroutine; a nil h discards them. On return every goroutine Run
// started has exited and h has seen every queued event, unless it ignored
// its context for longer than a second after the stop. Run may be called
// only once.
func (s *Session) Run(ctx context.Context, h events.Handler) error {
	if !s.running.CompareAndSwap(false, true) {
		return errors.New("connector: Run called twice")
	}
	if h == nil {
		h = events.HandlerFunc(func(context.Context, events.Event) {})
	}
	// The handler's context outlives ctx by up to drainTimeout, so that
	// queued events are still delivered after a cancel.
	hctx, hcancel := context.WithCancel(context.Background())
	defer hcancel()
	s.q.start(hctx, h)
	err := newSupervisor(s).run(ctx)
	s.stop(err, hcancel)
	return err
}

// stop ends Run: it waits for the handler to drain the queue, for at most
// drainTimeout before cancelling the handler's context.
func (s *Session) stop(err error, hcancel context.CancelFunc) {
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
		hcancel()
		<-drained
	}
	t.Stop()
	s.log.Info("session stopped", slog.Any("reason", err))
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
	s.setLive(l, subscribedAt)
	resync, err = s.serveLink(ctx, l, refresh)
	refresh.Stop()
	s.setLive(nil, time.Time{})
	if resync == "" && s.cfg.Clock.Now().Sub(subscribedAt) >= s.cfg.HealthyAfter {
		err = &healthyEnd{err}
	}
	return resync, err
}

// setLive publishes l (nil: none) as the subscribed link.
func (s *Session) setLive(l *link, since time.Time) {
	s.current.Store(l)
	s.c.mu.Lock()
	s.c.connectedSince = since
	s.c.mu.Unlock()
	if l != nil {
		s.watch.set(StateSubscribed)
	}
}

// serveLink is live's wait: it serves the link's timers and the control
// token's keep-alive until the link ends, ctx is done or a resync is
// asked for. It is where an idle session's Run goroutine spends its life,
// so it and its callers keep small frames: the runtime halves an idle
// stack only while less than a quarter of it is in use, and a few hundred
// bytes more keep it at 8 KiB instead of 4 (BENCHMARKS.md, memory).
func (s *Session) serveLink(ctx context.Context, l *link, refresh clock.Timer) (resync string, err error) {
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
		case now := <-l.beat.C():
			l.heartbeat(ctx, now)
		case now := <-l.watchdog.C():
			l.checkSilence(now)
		case <-l.readDone:
			l.shutdown(false)
			return "", l.result()
		}
	}
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

// Format prints the Session as connector.Session(conference <id>) for
// every verb. Without it fmt would walk the struct and print the secrets
// of its token source (fmt cannot call a Secret's own Format through an
// unexported field).
func (s *Session) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "connector.Session(conference %s)", s.cfg.ConferenceID)
}

// LogValue implements slog.LogValuer, for the same reason as Format.
func (s *Session) LogValue() slog.Value {
	return slog.GroupValue(slog.String("conference", s.cfg.ConferenceID))
}
