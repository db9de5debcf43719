package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// notice is one thing the bot reports: a line on stdout and, with -webhook,
// one JSON POST. Text is the line without its time, so Slack-compatible
// incoming webhooks (which read "text") show it as is.
type notice struct {
	Kind       string    `json:"kind"`
	Text       string    `json:"text"`
	Conference string    `json:"conferenceId"`
	PID        string    `json:"pid,omitempty"`
	Name       string    `json:"name,omitempty"`
	At         time.Time `json:"at"`
	// Inferred marks a change found after a reconnect: it happened while
	// the bot could not listen.
	Inferred bool `json:"inferred,omitempty"`
}

// Defaults for the zero fields of webhookConfig.
const (
	defaultAttempts = 3
	defaultTimeout  = 5 * time.Second
	defaultBackoff  = 500 * time.Millisecond
	defaultQueue    = 64
)

// webhookConfig configures a webhook. Only URL is required.
type webhookConfig struct {
	URL string
	// Attempts is how many times one notice is tried. Zero means 3.
	Attempts int
	// Timeout bounds one request, connect to last byte. Zero means 5 s.
	Timeout time.Duration
	// Backoff is the wait after the first failed attempt; it doubles after
	// each further one. Zero means 500 ms.
	Backoff time.Duration
	// Queue is how many notices may wait; when full, new ones are dropped
	// so that the meeting's event goroutine never waits. Zero means 64.
	Queue int
	// Client sends the requests. Nil means a client of its own.
	Client *http.Client
	// Logger receives delivery failures. Nil means silent.
	Logger *slog.Logger
}

// Validate reports every problem with c.
func (c webhookConfig) Validate() error {
	var errs []error
	if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, errors.New("webhook: the URL must be an absolute http or https URL"))
	}
	if c.Attempts < 0 || c.Timeout < 0 || c.Backoff < 0 || c.Queue < 0 {
		errs = append(errs, errors.New("webhook: Attempts, Timeout, Backoff and Queue must not be negative"))
	}
	return errors.Join(errs...)
}

// webhook POSTs notices from a goroutine of its own, one at a time, in
// order, retrying failures. Send never blocks.
type webhook struct {
	cfg    webhookConfig
	target string // scheme://host only: a webhook URL's path is often its secret
	log    *slog.Logger

	mu     sync.Mutex // guards closed and sends on queue
	closed bool
	queue  chan notice

	ctx    context.Context // cancelled when Close gives up waiting
	cancel context.CancelFunc
	done   chan struct{}

	delivered, failed, dropped atomic.Int64
}

// newWebhook checks cfg and starts the delivery goroutine; Close stops it.
func newWebhook(cfg webhookConfig) (*webhook, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Attempts = orDefault(cfg.Attempts, defaultAttempts)
	cfg.Timeout = orDefault(cfg.Timeout, defaultTimeout)
	cfg.Backoff = orDefault(cfg.Backoff, defaultBackoff)
	cfg.Queue = orDefault(cfg.Queue, defaultQueue)
	if cfg.Client == nil {
		cfg.Client = &http.Client{}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	u, _ := url.Parse(cfg.URL)
	w := &webhook{
		cfg: cfg, target: u.Scheme + "://" + u.Host, log: log,
		queue: make(chan notice, cfg.Queue), done: make(chan struct{}),
	}
	w.ctx, w.cancel = context.WithCancel(context.Background())
	go w.loop()
	return w, nil
}

func orDefault[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// Send queues n for delivery. A nil webhook does nothing. When the queue
// is full or the webhook is closed, n is dropped, counted and logged.
func (w *webhook) Send(n notice) {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		select {
		case w.queue <- n:
			return
		default:
		}
	}
	w.dropped.Add(1)
	w.log.Warn("webhook: notice dropped: queue full or closed", "kind", n.Kind, "target", w.target)
}

// Close stops taking notices and waits until the queued ones are delivered
// or given up, or until ctx is done, when the one in flight is abandoned.
func (w *webhook) Close(ctx context.Context) error {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.queue)
	}
	w.mu.Unlock()
	var err error
	select {
	case <-w.done:
	case <-ctx.Done():
		err = fmt.Errorf("webhook: close: %w: undelivered notices abandoned", ctx.Err())
	}
	w.cancel()
	<-w.done
	return err
}

// drain closes w, giving the queued notices up to d to go out. A nil
// webhook does nothing.
func (w *webhook) drain(d time.Duration) {
	if w == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := w.Close(ctx); err != nil {
		w.log.Warn("webhook did not drain", "err", err)
	}
}

func (w *webhook) loop() {
	defer close(w.done)
	for n := range w.queue {
		if w.ctx.Err() != nil {
			continue // Close gave up: drain without sending
		}
		if err := w.deliver(n); err != nil {
			w.failed.Add(1)
			w.log.Error("webhook: gave up on a notice", "kind", n.Kind, "attempts", w.cfg.Attempts, "target", w.target, "err", err)
			continue
		}
		w.delivered.Add(1)
	}
}

// deliver tries n up to Attempts times with a doubling backoff.
func (w *webhook) deliver(n notice) error {
	body, err := json.Marshal(n)
	if err != nil {
		return err
	}
	wait := w.cfg.Backoff
	for attempt := 1; ; attempt++ {
		err = w.post(body)
		if err == nil || attempt == w.cfg.Attempts {
			return err
		}
		w.log.Warn("webhook: attempt failed, retrying", "kind", n.Kind, "attempt", attempt, "wait", wait, "target", w.target, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-w.ctx.Done():
			t.Stop()
			return w.ctx.Err()
		}
		wait *= 2
	}
}

func (w *webhook) post(body []byte) error {
	ctx, cancel := context.WithTimeout(w.ctx, w.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return errors.New("webhook: bad request") // the error would quote the URL
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.cfg.Client.Do(req)
	if err != nil {
		// *url.Error quotes the whole URL, which may hold a token.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("webhook: post: %w", err)
	}
	// Drain a little so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook: post: http %d", resp.StatusCode)
	}
	return nil
}
