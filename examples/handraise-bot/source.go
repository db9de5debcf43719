package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
	"github.com/confwatch/confwatch/fleet/feed"
	"github.com/confwatch/confwatch/observability/endpoint"
	"github.com/confwatch/confwatch/token"
)

// source is where the bot's events come from: a session of its own on
// the meeting, or the stream of a fleet that watches it. Both deliver
// the pushes and lifecycle events a meeting.State follows, so everything
// after the source is the same in both modes.
type source struct {
	// newState makes the State run's events keep.
	newState func(context.Context, meeting.Config) (*meeting.State, error)
	// run delivers the events until the meeting ends or ctx is done.
	run func(context.Context, events.Handler) error
	// tokens log in to the control API; nil when the bot has no meeting
	// credentials (a fleet's reader that only reports).
	tokens *token.Provider
	close  func()
}

func openSource(cfg config, log *slog.Logger) (*source, error) {
	if cfg.NATS.Enabled() {
		return fleetSource(cfg, log)
	}
	return sessionSource(cfg, log)
}

func newTokens(cfg config, log *slog.Logger) (*token.Provider, error) {
	client, err := token.New(token.Config{BaseURL: cfg.API, Logger: log})
	if err != nil {
		return nil, err
	}
	return token.NewProvider(client, token.ProviderConfig{ConferenceID: cfg.Conference, Password: cfg.Password})
}

// sessionSource is the bot's own session, with the metrics endpoint
// when asked for: it comes up before the session, so that /readyz says
// 503 until it subscribes.
func sessionSource(cfg config, log *slog.Logger) (*source, error) {
	tokens, err := newTokens(cfg, log)
	if err != nil {
		return nil, err
	}
	src := &source{tokens: tokens, close: func() {}}
	var observer *connector.Observer // nil: no metrics, at no cost
	if cfg.MetricsAddr != "" {
		ms, err := endpoint.Start(endpoint.Config{Addr: cfg.MetricsAddr, Logger: log})
		if err != nil {
			return nil, err
		}
		src.close = func() {
			cctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			ms.Close(cctx)
		}
		observer = ms.Metrics().Observer(cfg.Conference)
	}
	sess, err := connector.New(connector.Config{ConferenceID: cfg.Conference, Tokens: tokens, Logger: log, Observer: observer,
		AllowPlainText: strings.HasPrefix(cfg.API, "http://")})
	if err != nil {
		src.close()
		return nil, err
	}
	src.run = sess.Run
	src.newState = func(_ context.Context, mc meeting.Config) (*meeting.State, error) {
		mc.Resync = sess.Resync
		return meeting.New(mc), nil
	}
	return src, nil
}

// fleetSource reads the meeting from a fleet's stream. Its State starts
// from the stored picture and follows the owner's pushes; after a
// failover the feed delivers the new owner's snapshot as a resubscribe,
// so the State reports what changed meanwhile as inferred, as after a
// reconnect of a session of its own. The meeting's credentials are
// taken only to act.
func fleetSource(cfg config, log *slog.Logger) (*source, error) {
	nc, err := cfg.NATS.Connect("confwatch handraise-bot", log)
	if err != nil {
		return nil, fmt.Errorf("handraise-bot: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("handraise-bot: %w", err)
	}
	f, err := feed.New(feed.Config{JetStream: js, Conference: cfg.Conference, Logger: log})
	if err != nil {
		nc.Close()
		return nil, err
	}
	src := &source{newState: f.NewState, run: f.Run, close: nc.Close}
	if cfg.acts() && !cfg.Password.IsZero() {
		if src.tokens, err = newTokens(cfg, log); err != nil {
			nc.Close()
			return nil, err
		}
	}
	log.Info("handraise-bot: reading the meeting from the fleet", "conference", cfg.Conference, "nats", nc.ConnectedUrlRedacted(), "acting", src.tokens != nil)
	return src, nil
}
