package main

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
	"github.com/confwatch/confwatch/secret"
	"github.com/confwatch/confwatch/token"
)

// source is what the server shows. *feed implements it; tests can too.
type source interface {
	// Snapshot returns the current picture of the meeting, or nil.
	Snapshot() *meeting.Snapshot
	// Connection returns the session's link state.
	Connection() connection
	// Fleet returns who watches the meeting in a fleet, or nil when the
	// dashboard watches the meeting itself.
	Fleet() *fleetView
	// Changed yields a value after Snapshot, Connection or Fleet changed.
	// It is read by one goroutine (the server's broadcaster); signals
	// coalesce.
	Changed() <-chan struct{}
}

// feed is the events.Handler a session delivers to: it keeps the meeting
// state, follows the link through the lifecycle events, and signals after
// every event. Its HandleEvent must be called from one goroutine at a time,
// in stream order (the connector does); the rest is safe from any goroutine.
type feed struct {
	state   *meeting.State
	changed chan struct{}

	mu     sync.Mutex
	conn   connection
	resync func(string) bool // set once, before the session runs
}

func newFeed(log *slog.Logger) *feed {
	f := &feed{changed: make(chan struct{}, 1), conn: connection{State: connConnecting}}
	f.state = meeting.New(meeting.Config{
		Logger: log,
		Resync: func(reason string) bool {
			f.mu.Lock()
			resync := f.resync
			f.mu.Unlock()
			return resync != nil && resync(reason)
		},
	})
	return f
}

// HandleEvent applies e to the meeting state and the link state.
func (f *feed) HandleEvent(ctx context.Context, e events.Event) {
	f.state.HandleEvent(ctx, e)
	f.mu.Lock()
	switch e := e.(type) {
	case *events.Subscribed:
		f.conn = connection{State: connLive, Since: e.At}
	case *events.Disconnected:
		f.conn.State, f.conn.Since = connReconnecting, e.At
		f.conn.Outages++
	case *events.Resubscribed:
		if f.conn.State != connReconnecting {
			f.conn.Outages++ // a resync on purpose has no Disconnected
		}
		f.conn.State, f.conn.Since = connLive, e.BlindTo
		f.conn.BlindMs = max(e.Blind().Milliseconds(), 1)
	}
	f.mu.Unlock()
	f.signal()
}

// stopped records why the session's Run returned.
func (f *feed) stopped(err error) {
	f.mu.Lock()
	switch {
	case errors.Is(err, connector.ErrMeetingEnded):
		f.conn.State = connEnded
	case err != nil && !errors.Is(err, context.Canceled):
		f.conn.State = connStopped
	}
	f.mu.Unlock()
	f.signal()
}

func (f *feed) signal() {
	select {
	case f.changed <- struct{}{}:
	default: // a signal is already pending: the reader will see this change too
	}
}

func (f *feed) Snapshot() *meeting.Snapshot { return f.state.Snapshot() }

func (f *feed) Connection() connection {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.conn
}

func (f *feed) Changed() <-chan struct{} { return f.changed }

// Fleet is nil: this feed is the dashboard's own session.
func (f *feed) Fleet() *fleetView { return nil }

// target is the meeting to watch and how to reach it.
type target struct {
	Conference string
	Password   secret.Secret
	API        string
	// Backoff shapes reconnects; zero fields take the connector's defaults.
	Backoff connector.Backoff
	// Observer, when set, is the session's (metrics).
	Observer *connector.Observer
}

// watch runs one session on t, feeding f, until the meeting ends, ctx is
// done or the session fails for good; f learns which.
func watch(ctx context.Context, t target, f *feed, log *slog.Logger) error {
	client, err := token.New(token.Config{BaseURL: t.API, Logger: log})
	if err != nil {
		return err
	}
	tokens, err := token.NewProvider(client, token.ProviderConfig{ConferenceID: t.Conference, Password: t.Password})
	if err != nil {
		return err
	}
	sess, err := connector.New(connector.Config{ConferenceID: t.Conference, Tokens: tokens, Backoff: t.Backoff, Logger: log, Observer: t.Observer,
		// Plain text only when the API itself was given as http://.
		AllowPlainText: strings.HasPrefix(t.API, "http://")})
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.resync = sess.Resync
	f.mu.Unlock()
	err = sess.Run(ctx, f)
	f.stopped(err)
	return err
}
