package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
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
		return target{}, &usageError{fmt.Sprintf("--api: %v", err)}
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

// watch runs one session on t until the meeting ends, ctx is done or a
// fatal error, feeding the meeting state and the sink.
func watch(ctx context.Context, t target, w *watchFlags, log *slog.Logger, out sink) error {
	types, err := w.types()
	if err != nil {
		return err
	}
	var tlsConfig *tls.Config
	if t.roots != nil {
		tlsConfig = &tls.Config{RootCAs: t.roots, MinVersion: tls.VersionTLS12}
	}
	obs, stopMetrics, err := w.metrics.serve(t.conference, log)
	if err != nil {
		return err
	}
	defer stopMetrics()
	sess, err := connector.New(connector.Config{
		ConferenceID:      t.conference,
		Tokens:            t.tokens,
		Types:             types,
		HeartbeatInterval: w.heartbeat,
		ReadTimeout:       w.readTimeout,
		TLSConfig:         tlsConfig,
		AllowPlainText:    t.plainText,
		Logger:            log,
		Observer:          obs,
	})
	if err != nil {
		return &usageError{err.Error()}
	}
	mux := events.NewMux(events.MuxConfig{Logger: log})
	state := meeting.New(meeting.Config{
		Logger: log,
		Resync: sess.Resync,
		OnChange: func(c meeting.Change) {
			if out.printer != nil && w.semantic {
				out.printer.change(c)
			}
		},
	})
	mux.HandleAll(events.HandlerFunc(func(ctx context.Context, e events.Event) {
		state.HandleEvent(ctx, e)
		if out.changed != nil {
			out.changed(state)
		}
		report(log, out.printer, w.semantic, e)
	}), events.HandlerOptions{Name: "confwatch", Queue: 4096})
	runErr := sess.Run(ctx, mux)
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := mux.Close(cctx); err != nil {
		log.Warn("output did not drain", slog.Any("err", err))
	}
	return runErr
}

// report prints one event of the stream and logs connection status.
func report(log *slog.Logger, p *printer, semantic bool, e events.Event) {
	switch e := e.(type) {
	case *events.Disconnected:
		log.Warn("disconnected", slog.String("class", e.Class), slog.Any("err", e.Err))
	case *events.Resubscribed:
		log.Info(fmt.Sprintf("resubscribed after %v blind", e.Blind().Round(time.Millisecond)))
	}
	if p == nil {
		return
	}
	if push, ok := e.(*events.Push); ok {
		if !semantic {
			p.push(push)
		}
		return
	}
	p.status(e)
}

// exitCode maps a command's outcome to the process exit code, logging why.
func exitCode(err error, log *slog.Logger, stderr func(string)) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, connector.ErrMeetingEnded):
		log.Info("the meeting ended")
		return exitOK
	case errors.Is(err, context.Canceled):
		log.Info("interrupted")
		return exitOK
	case isUsage(err):
		stderr("confwatch: " + err.Error() + "\nRun with --help for usage.\n")
		return exitUsage
	case errors.Is(err, connector.ErrCredentialsRejected): // every credential stop wraps it
		log.Error("credentials rejected: check the meeting ID and the host password (or supply a fresh control token)", slog.Any("err", err))
		return exitCredentials
	}
	log.Error("stopped", slog.Any("err", err))
	return exitFailure
}
