package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/confwatch/confwatch/clock"
	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
	"github.com/confwatch/confwatch/secret"
	"github.com/confwatch/confwatch/token"
)

// WatcherConfig says which meeting a Watcher follows and how.
type WatcherConfig struct {
	// APIBase is the token API's base URL: the fake's URL, or a proxy's.
	APIBase string
	// ConferenceID and Password log in.
	ConferenceID string
	Password     secret.Secret
	// HTTPClient sends the token requests. Nil means the token package's
	// own client. Either way Stop closes its idle connections, so that no
	// keep-alive goroutine outlives the Watcher.
	HTTPClient *http.Client
	// TokenTimeout bounds each token request (real time). Zero means the
	// token package's default.
	TokenTimeout time.Duration
	// Clock is shared by the token client, the session and the state. Nil
	// means real time.
	Clock clock.Clock
	// Logger receives the logs of the token chain, the session, the mux
	// and the state. Nil means silent.
	Logger *slog.Logger
	// Session adjusts the connector configuration (timeouts, backoff, a
	// dialer) before the session is created.
	Session func(*connector.Config)
	// OnChange, if set, receives the state's semantic changes.
	OnChange func(meeting.Change)
	// Tap, if set, sees every event right after the state, on the same
	// goroutine (the leak audit renders each one).
	Tap events.Handler
}

// Watcher is one confwatch pipeline wired as cmd/confwatch's watch wires
// it: a token Provider, a connector Session whose handler is an
// events.Mux, and a meeting.State fed by the mux's single HandleAll
// registration (so it sees pushes and lifecycle events in stream order)
// and asking the session for resyncs. It also records the lifecycle
// events, which the suites' pass criteria count.
type Watcher struct {
	Session *connector.Session
	State   *meeting.State
	Tokens  *token.Provider
	Client  *token.Client

	mux    *events.Mux
	cancel context.CancelFunc
	done   chan struct{}
	err    error // Run's result; read after done

	mu           sync.Mutex
	lifecycle    []events.Event // the first maxLifecycle
	disconnected int
	resubscribed int
	changes      int
}

// maxLifecycle bounds the lifecycle events a Watcher keeps: enough for any
// scenario's assertions, and a soak of hundreds of fake hours does not
// hold every reconnect it went through (which would look like a leak).
const maxLifecycle = 1000

// StartWatcher builds the pipeline and starts the session's Run in a
// goroutine that Stop joins.
func StartWatcher(cfg WatcherConfig) (*Watcher, error) {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	client, err := token.New(token.Config{
		BaseURL: cfg.APIBase, HTTPClient: cfg.HTTPClient, Timeout: cfg.TokenTimeout,
		Clock: cfg.Clock, Logger: logger,
	})
	if err != nil {
		return nil, err
	}
	prov, err := token.NewProvider(client, token.ProviderConfig{ConferenceID: cfg.ConferenceID, Password: cfg.Password})
	if err != nil {
		return nil, err
	}
	w := &Watcher{Tokens: prov, Client: client, done: make(chan struct{})}
	w.mux = events.NewMux(logger)
	w.State = meeting.New(meeting.Config{
		Logger: logger,
		Clock:  cfg.Clock,
		// w.Session is set below, before Run starts any event flowing.
		Resync: func(reason string) bool { return w.Session.Resync(reason) },
		OnChange: func(c meeting.Change) {
			w.mu.Lock()
			w.changes++
			w.mu.Unlock()
			if cfg.OnChange != nil {
				cfg.OnChange(c)
			}
		},
	})
	w.mux.HandleAll(events.HandlerFunc(func(ctx context.Context, e events.Event) {
		w.State.HandleEvent(ctx, e)
		if cfg.Tap != nil {
			cfg.Tap.HandleEvent(ctx, e)
		}
		if _, isPush := e.(*events.Push); !isPush {
			w.mu.Lock()
			switch e.(type) {
			case *events.Disconnected:
				w.disconnected++
			case *events.Resubscribed:
				w.resubscribed++
			}
			if len(w.lifecycle) < maxLifecycle {
				w.lifecycle = append(w.lifecycle, e)
			}
			w.mu.Unlock()
		}
	}), events.HandlerOptions{Name: "state", Queue: 4096})

	ccfg := connector.Config{
		AllowPlainText: true, // the suites' fakes serve plain http
		ConferenceID:   cfg.ConferenceID,
		Tokens:         prov,
		Logger:         logger,
		Clock:          cfg.Clock,
	}
	if cfg.Session != nil {
		cfg.Session(&ccfg)
	}
	w.Session, err = connector.New(ccfg)
	if err != nil {
		w.closeMux(time.Second)
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	go func() {
		defer close(w.done)
		w.err = w.Session.Run(ctx, w.mux)
	}()
	return w, nil
}

// Done is closed when Run has returned.
func (w *Watcher) Done() <-chan struct{} { return w.done }

// Err is Run's result; valid once Done is closed.
func (w *Watcher) Err() error { return w.err }

// Stop cancels the session, waits up to timeout for Run to return, drains
// and closes the mux and closes idle token connections. It returns Run's
// result, or an error when Run or the mux did not finish in time.
func (w *Watcher) Stop(timeout time.Duration) error {
	w.cancel()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-w.done:
	case <-t.C:
		return fmt.Errorf("pipeline: stop: Run did not return within %v of the cancel", timeout)
	}
	merr := w.closeMux(timeout)
	w.Client.CloseIdleConnections()
	if merr != nil {
		return merr
	}
	if errors.Is(w.err, context.Canceled) {
		return nil
	}
	return w.err
}

func (w *Watcher) closeMux(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return w.mux.Close(ctx)
}

// Lifecycle returns the lifecycle events the state has seen, in order
// (the first 1,000).
func (w *Watcher) Lifecycle() []events.Event {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]events.Event(nil), w.lifecycle...)
}

// Changes counts the semantic changes the state reported.
func (w *Watcher) Changes() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.changes
}

// Count returns how many lifecycle events of each kind the state has
// seen: Disconnected and Resubscribed.
func (w *Watcher) Count() (disconnected, resubscribed int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.disconnected, w.resubscribed
}

// Idle reports whether every event the session has queued has reached
// the state: the session's queue and the mux's are empty (an event being
// handled at this instant is not counted).
func (w *Watcher) Idle() bool {
	if w.Session.Stats().QueueDepth != 0 {
		return false
	}
	for _, h := range w.mux.Stats() {
		if h.Queued != 0 {
			return false
		}
	}
	return true
}

// Subscribed reports whether the session is subscribed now.
func (w *Watcher) Subscribed() bool {
	st, _ := w.Session.State()
	return st == connector.StateSubscribed
}
