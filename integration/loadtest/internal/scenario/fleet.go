package scenario

import (
	"context"
	"fmt"
	"github.com/confwatch/confwatch/secret"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/token"
)

// target is the meeting every client of a scenario watches.
type target struct {
	api      string // base URL of the token endpoints
	confID   string
	password string
}

// newHTTPClient returns the HTTP client all sessions of a scenario share
// through one token.Client, as a process watching many meetings would.
// Keeping up to 1024 idle connections lets a burst of token requests reuse
// connections instead of leaving thousands of sockets in TIME_WAIT.
func newHTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 1024,
		IdleConnTimeout:     90 * time.Second,
	}}
}

func newTokenClient(api string, hc *http.Client) (*token.Client, error) {
	c, err := token.New(token.Config{BaseURL: api, HTTPClient: hc})
	if err != nil {
		return nil, fmt.Errorf("scenario: token client: %w", err)
	}
	return c, nil
}

// fleetSpec describes n sessions.
type fleetSpec struct {
	n      int
	tgt    target
	tokens *token.Client
	// config returns session i's configuration and handler; ConferenceID
	// and Tokens are filled in by the fleet.
	config func(i int) (connector.Config, events.Handler)
	// concurrency bounds the sessions that are connecting at once during
	// the ramp; 0 starts them all at once.
	concurrency int
}

// fleet is n sessions, each with its own token.Provider and Run
// goroutine.
type fleet struct {
	sessions []*connector.Session
	handlers []events.Handler
	start    time.Time
	// subscribedAt[i] is when session i first reached StateSubscribed
	// (unix ns), or 0.
	subscribedAt []atomic.Int64
	nSubscribed  atomic.Int64
	allUp        chan struct{} // closed when every session subscribed once
	gaveUp       atomic.Int64  // Run returned while the fleet was running

	errMu   sync.Mutex
	lastErr error // of the last session that gave up

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startFleet builds every session, then starts them through a paced ramp
// in the background. It returns once all sessions are built.
func startFleet(ctx context.Context, spec fleetSpec) (*fleet, error) {
	f := &fleet{
		sessions:     make([]*connector.Session, spec.n),
		handlers:     make([]events.Handler, spec.n),
		subscribedAt: make([]atomic.Int64, spec.n),
		allUp:        make(chan struct{}),
	}
	for i := range f.sessions {
		prov, err := token.NewProvider(spec.tokens, token.ProviderConfig{
			ConferenceID: spec.tgt.confID, Password: secret.New(spec.tgt.password),
		})
		if err != nil {
			return nil, fmt.Errorf("scenario: fleet: %w", err)
		}
		cfg, h := spec.config(i)
		f.handlers[i] = h
		cfg.ConferenceID, cfg.Tokens = spec.tgt.confID, prov
		s, err := connector.New(cfg)
		if err != nil {
			return nil, fmt.Errorf("scenario: fleet: %w", err)
		}
		f.sessions[i] = s
	}
	if spec.n == 0 {
		close(f.allUp)
	}
	f.ctx, f.cancel = context.WithCancel(ctx)
	f.start = time.Now()
	f.wg.Add(1)
	go f.ramp(spec.concurrency)
	return f, nil
}

// ramp starts the sessions, at most concurrency of them connecting at a
// time: a slot is released when a session first subscribes (or stops).
func (f *fleet) ramp(concurrency int) {
	defer f.wg.Done()
	if concurrency <= 0 {
		concurrency = len(f.sessions)
	}
	slots := make(chan struct{}, concurrency)
	for i, s := range f.sessions {
		select {
		case slots <- struct{}{}:
		case <-f.ctx.Done():
			return
		}
		f.wg.Add(2)
		go func() {
			defer f.wg.Done()
			err := s.Run(f.ctx, f.handlers[i])
			if f.ctx.Err() == nil {
				f.gaveUp.Add(1)
				f.errMu.Lock()
				f.lastErr = fmt.Errorf("session %d: %w", i, err)
				f.errMu.Unlock()
			}
		}()
		go func() {
			defer f.wg.Done()
			defer func() { <-slots }()
			if f.waitState(s, connector.StateSubscribed) {
				f.subscribedAt[i].Store(time.Now().UnixNano())
				if f.nSubscribed.Add(1) == int64(len(f.sessions)) {
					close(f.allUp)
				}
			}
		}()
	}
}

// waitState waits until s is in want, and reports false when s stopped
// or the fleet ended first.
func (f *fleet) waitState(s *connector.Session, want connector.State) bool {
	for {
		st, next := s.State()
		switch st {
		case want:
			return true
		case connector.StateStopped:
			return false
		}
		select {
		case <-next:
		case <-f.ctx.Done():
			return false
		}
	}
}

// waitAllUp waits until every session has subscribed once, and returns
// how long that took from the start of the ramp.
func (f *fleet) waitAllUp(ctx context.Context, timeout time.Duration) (time.Duration, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-f.allUp:
	case <-t.C:
		return 0, fmt.Errorf("scenario: %d of %d sessions subscribed within %v (gave up: %d, last error: %v)",
			f.nSubscribed.Load(), len(f.sessions), timeout, f.gaveUp.Load(), f.lastError())
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	var last int64
	for i := range f.subscribedAt {
		last = max(last, f.subscribedAt[i].Load())
	}
	return time.Unix(0, last).Sub(f.start), nil
}

// stats sums the sessions' counters.
func (f *fleet) stats() connector.Stats {
	var sum connector.Stats
	sum.Reconnects = map[string]int64{}
	for _, s := range f.sessions {
		st := s.Stats()
		sum.Dials += st.Dials
		sum.TokenFetches += st.TokenFetches
		sum.Subscribes += st.Subscribes
		sum.FramesIn += st.FramesIn
		sum.Dropped += st.Dropped
		sum.Malformed += st.Malformed
		sum.HeartbeatsSent += st.HeartbeatsSent
		sum.HeartbeatsEcho += st.HeartbeatsEcho
		for k, v := range st.Reconnects {
			sum.Reconnects[k] += v
		}
	}
	return sum
}

// close stops every session and joins every goroutine the fleet started.
// It returns an error when a session gave up while the fleet ran.
func (f *fleet) close() error {
	f.cancel()
	f.wg.Wait()
	if n := f.gaveUp.Load(); n > 0 {
		return fmt.Errorf("scenario: %d sessions gave up: %w", n, f.lastError())
	}
	return nil
}

func (f *fleet) lastError() error {
	f.errMu.Lock()
	defer f.errMu.Unlock()
	return f.lastErr
}
