package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
	"github.com/confwatch/confwatch/fleet/feed"
	"github.com/confwatch/confwatch/token"
)

// target is the meeting a command watches and how to reach it.
type target struct {
	conference string
	tokens     *token.Provider
	roots      *x509.CertPool // nil = system roots
	// plainText allows a ws:// socket: only when the API itself was given
	// as plain http, never as a downgrade of an https API.
	plainText bool
	// speed scales the session's waits down for a meeting that plays
	// faster than real time (the demo); 0 means real time.
	speed float64
	// feed, when set, reads the meeting from a fleet's stream instead
	// (--nats): no credentials, no socket.
	feed *feed.Feed
}

// liveTarget builds the credential chain for tail and state from flags and
// environment.
func liveTarget(w *watchFlags, e env, log *slog.Logger) (target, error) {
	password, control, err := w.credentials(e)
	if err != nil {
		return target{}, err
	}
	roots, err := w.rootCAs()
	if err != nil {
		return target{}, err
	}
	client, err := token.New(token.Config{BaseURL: w.api, RootCAs: roots, Logger: log})
	if err != nil {
		return target{}, usagef("%s: %v; e.g. %s https://api.meeting.huaweicloud.com", w.spell("api"), err, w.spell("api"))
	}
	prov, err := token.NewProvider(client, token.ProviderConfig{ConferenceID: w.conference, Password: password, ControlToken: control})
	if err != nil {
		return target{}, &usageError{err.Error()}
	}
	return target{conference: w.conference, tokens: prov, roots: roots, plainText: isPlain(w.api)}, nil
}

// isPlain reports an http:// API base URL.
func isPlain(api string) bool {
	return len(api) >= 7 && strings.EqualFold(api[:7], "http://")
}

// sink is what a command does with the stream: print it (tail, demo) or
// render the state (state).
type sink struct {
	printer *printer // nil: print nothing per event
	// changed, when set, is called after each applied event with the
	// state; it must be cheap (Snapshot copies the roster).
	changed func(*meeting.State)
}

// sessionConfig is the session for t as the flags ask.
func sessionConfig(t target, w *watchFlags, types []string, log *slog.Logger) connector.Config {
	var tlsConfig *tls.Config
	if t.roots != nil {
		tlsConfig = &tls.Config{RootCAs: t.roots, MinVersion: tls.VersionTLS12}
	}
	cfg := connector.Config{
		ConferenceID:      t.conference,
		Tokens:            t.tokens,
		Types:             types,
		HeartbeatInterval: w.heartbeat,
		ReadTimeout:       w.readTimeout,
		TLSConfig:         tlsConfig,
		AllowPlainText:    t.plainText,
		FailFast:          !w.wait,
		Backoff:           connector.Backoff{MaxOutage: w.maxOutage},
		Logger:            log,
	}
	if t.speed > 0 && t.speed != 1 {
		scaleTiming(&cfg, t.speed)
	}
	return cfg
}

// scaleTiming shortens (or lengthens) the session's waits by speed, so that
// a meeting played faster than real time is followed as a real one would
// be: a reconnect takes as long, in meeting time, at every speed.
func scaleTiming(c *connector.Config, speed float64) {
	scale := func(d, floor time.Duration) time.Duration { return max(time.Duration(float64(d)/speed), floor) }
	c.Backoff.Initial = scale(connector.DefaultBackoffInitial, time.Millisecond)
	c.Backoff.Max = scale(connector.DefaultBackoffMax, 5*time.Millisecond)
	c.HealthyAfter = scale(connector.DefaultHealthyAfter, 10*time.Millisecond)
	if c.HeartbeatInterval == 0 {
		// Not below a second: a loaded machine must not see dead links.
		c.HeartbeatInterval = min(scale(connector.DefaultHeartbeatInterval, time.Second), connector.DefaultHeartbeatInterval)
	}
}

// watch follows t's meeting until it ends, ctx is done or a fatal error,
// feeding the meeting state and the sink: from its socket, or with --nats
// from the fleet's stream. A failure that no retry fixes, met before the
// first subscribe, comes back as *misconfigured, with a hint naming the
// flag to check.
func watch(ctx context.Context, t target, w *watchFlags, log *slog.Logger, out sink) error {
	types, err := w.types()
	if err != nil {
		return err
	}
	obs, stopMetrics, err := w.metrics.serve(t.conference, log)
	if err != nil {
		return err
	}
	defer stopMetrics()
	var src source
	if t.feed != nil {
		src = &feedSource{f: t.feed, types: types}
		if out.printer != nil {
			out.printer.asRecorded = true
		}
	} else {
		cfg := sessionConfig(t, w, types, log)
		cfg.Observer = obs
		sess, err := connector.New(cfg)
		if err != nil {
			return &usageError{err.Error()}
		}
		src = &sessionSource{sess: sess, w: w, conf: t.conference}
	}
	mux := events.NewMux(log)
	st := &stream{printer: out.printer, changed: out.changed, semantic: w.semantic || out.printer != nil && out.printer.pretty}
	if st.state, err = src.newState(ctx, meeting.Config{Logger: log, OnChange: st.change}); err != nil {
		return err
	}
	st.begin(src.seed())
	mux.HandleAll(st, events.HandlerOptions{Name: "confwatch", Queue: 4096})
	runErr := src.run(ctx, mux)
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := mux.Close(cctx); err != nil {
		log.Warn("output did not drain", slog.Any("err", err))
	}
	if ctx.Err() != nil && errors.Is(runErr, context.Canceled) {
		return context.Cause(ctx) // which signal, or that state --once is done
	}
	return src.verdict(runErr)
}

// source is where a watch gets the meeting's events: its socket (a
// session) or the fleet's stream (a feed).
type source interface {
	// newState is the meeting state the events keep up to date.
	newState(ctx context.Context, cfg meeting.Config) (*meeting.State, error)
	// seed is the picture the state starts from, nil for none.
	seed() *meeting.Snapshot
	run(ctx context.Context, h events.Handler) error
	// verdict is the error the watch ends with for run's.
	verdict(err error) error
}

// sessionSource reads the meeting from its socket.
type sessionSource struct {
	sess *connector.Session
	w    *watchFlags
	conf string
}

func (s *sessionSource) newState(_ context.Context, cfg meeting.Config) (*meeting.State, error) {
	cfg.Resync = s.sess.Resync
	return meeting.New(cfg), nil
}

func (s *sessionSource) seed() *meeting.Snapshot { return nil }

func (s *sessionSource) run(ctx context.Context, h events.Handler) error { return s.sess.Run(ctx, h) }

func (s *sessionSource) verdict(err error) error {
	if s.sess.Stats().Subscribes == 0 && connector.Permanent(err) {
		return &misconfigured{err: err, hint: hint(err, s.w, s.conf)}
	}
	return err
}

// feedSource reads the meeting from the fleet's stream. With --events
// only those pushes reach the state and the printer, as a session
// subscribed to them alone would deliver.
type feedSource struct {
	f     *feed.Feed
	types []string
	start *meeting.Snapshot
}

func (s *feedSource) newState(ctx context.Context, cfg meeting.Config) (*meeting.State, error) {
	st, err := s.f.NewState(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if seed, _ := s.f.Seed(ctx); seed != nil { // read by NewState, kept
		s.start = seed.Snapshot
	}
	return st, nil
}

func (s *feedSource) seed() *meeting.Snapshot { return s.start }

func (s *feedSource) run(ctx context.Context, h events.Handler) error {
	if len(s.types) == 0 {
		return s.f.Run(ctx, h)
	}
	return s.f.Run(ctx, events.HandlerFunc(func(ctx context.Context, e events.Event) {
		if p, ok := e.(*events.Push); ok && !slices.Contains(s.types, p.Action) {
			return
		}
		h.HandleEvent(ctx, e)
	}))
}

func (s *feedSource) verdict(err error) error { return err }

// stream is the handler of a watch: it feeds the meeting state and prints.
// It runs on the Mux's goroutine; nothing else touches its fields.
type stream struct {
	state    *meeting.State
	printer  *printer // nil: print nothing per event
	semantic bool     // print changes (and who is present), not pushes
	changed  func(*meeting.State)
	// presented is set once the people present at the first subscribe
	// have been told.
	presented bool
}

// begin shows the picture the state starts from, when it starts from one
// (read from a fleet, the meeting's stored state): the people present
// are told, and the state's watcher sees it at once.
func (s *stream) begin(seed *meeting.Snapshot) {
	if seed == nil {
		return
	}
	if s.printer != nil && s.semantic {
		s.presented = true
		s.printer.present(seed.UpdatedAt, seed)
	}
	if s.changed != nil {
		s.changed(s.state)
	}
}

func (s *stream) HandleEvent(ctx context.Context, e events.Event) {
	p := s.printer
	push, _ := e.(*events.Push)
	// Snapshots cost a copy of the roster: taken only where a line needs
	// one, never per event.
	var before *meeting.Snapshot
	if push != nil && p != nil && p.pretty && push.Action == events.ActionWaitingList {
		before = s.state.Snapshot()
	}
	s.state.HandleEvent(ctx, e)
	if s.changed != nil {
		s.changed(s.state)
	}
	if p == nil {
		return
	}
	switch e := e.(type) {
	case *events.Push:
		switch {
		case !s.semantic:
			p.push(e)
		case p.pretty:
			p.note(e, before, s.state.Snapshot)
		}
		if s.semantic && !s.presented && e.Action == events.ActionParticipants && e.Mode == events.ModeFull {
			s.presented = true
			p.present(e.CreateTime, s.state.Snapshot())
		}
	default:
		p.status(e)
	}
}

// change is the state's OnChange: it runs inside HandleEvent, after the
// snapshot holding the change was published.
func (s *stream) change(c meeting.Change) {
	if s.printer == nil || !s.semantic {
		return
	}
	var names []string
	if c.Kind == meeting.SpeakersChanged {
		snap := s.state.Snapshot()
		for _, pid := range c.Speakers {
			names = append(names, personName(snap, pid))
		}
	}
	s.printer.change(c, names)
}
