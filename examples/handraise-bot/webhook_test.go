package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/confwatch/confwatch/examples/internal/fleettest"
)

func TestMain(m *testing.M) {
	fleettest.RunWorkerIfAsked() // the -nats tests' fleet workers are this binary
	goleak.VerifyTestMain(m)
}

// wait is how long a test waits for something that should happen at once on
// an idle machine; generous so that a loaded CI runner does not flake.
const wait = 15 * time.Second

// syncBuffer is a bytes.Buffer safe for the concurrent writes of loggers and
// the bot's output, and for reading while they write.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// hookServer is a webhook receiver that answers with the statuses the test
// scripts and records every request body.
type hookServer struct {
	*httptest.Server
	mu       sync.Mutex
	bodies   [][]byte
	ctypes   []string
	statuses []int // answered in order; when empty, fallback
	fallback int
	attempts atomic.Int64
}

func newHookServer(t *testing.T, fallback int, statuses ...int) *hookServer {
	h := &hookServer{statuses: statuses, fallback: fallback}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		status := h.fallback
		if len(h.statuses) > 0 {
			status, h.statuses = h.statuses[0], h.statuses[1:]
		}
		h.bodies = append(h.bodies, body)
		h.ctypes = append(h.ctypes, r.Header.Get("Content-Type"))
		h.mu.Unlock()
		h.attempts.Add(1)
		w.WriteHeader(status)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookServer) requests() (bodies [][]byte, ctypes []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([][]byte(nil), h.bodies...), append([]string(nil), h.ctypes...)
}

func (h *hookServer) setFallback(status int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fallback = status
}

// eventually polls cond every 5 ms until it holds or wait passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", wait, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func closeHook(t *testing.T, w *webhook) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := w.Close(ctx); err != nil {
		t.Errorf("Close: %v", err)
	}
}

var sample = notice{
	Kind: "HandRaised", Text: "Zhang Min raised a hand", Conference: "986112045",
	PID: "pid-zhang-min", Name: "Zhang Min", At: time.Date(2026, 1, 6, 9, 30, 0, 0, time.UTC),
}

func TestWebhookDeliversNoticeAsJSON(t *testing.T) {
	h := newHookServer(t, http.StatusOK)
	w, err := newWebhook(webhookConfig{URL: h.URL + "/hook"})
	if err != nil {
		t.Fatal(err)
	}
	w.Send(sample)
	closeHook(t, w) // Close drains the queue: the notice has been delivered
	bodies, ctypes := h.requests()
	if len(bodies) != 1 {
		t.Fatalf("got %d requests, want 1", len(bodies))
	}
	if ctypes[0] != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ctypes[0])
	}
	var got map[string]any
	if err := json.Unmarshal(bodies[0], &got); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, bodies[0])
	}
	want := map[string]any{
		"kind": "HandRaised", "text": "Zhang Min raised a hand", "conferenceId": "986112045",
		"pid": "pid-zhang-min", "name": "Zhang Min", "at": "2026-01-06T09:30:00Z",
	}
	if len(got) != len(want) {
		t.Errorf("body has keys %v, want exactly %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("body[%q] = %v, want %v", k, got[k], v)
		}
	}
	if w.delivered.Load() != 1 || w.failed.Load() != 0 {
		t.Errorf("delivered=%d failed=%d, want 1 and 0", w.delivered.Load(), w.failed.Load())
	}
}

func TestWebhookRetriesUntilDelivered(t *testing.T) {
	h := newHookServer(t, http.StatusOK, http.StatusInternalServerError, http.StatusInternalServerError)
	var logs syncBuffer
	w, err := newWebhook(webhookConfig{URL: h.URL, Backoff: time.Millisecond, Logger: newLogger(&logs)})
	if err != nil {
		t.Fatal(err)
	}
	w.Send(sample)
	closeHook(t, w)
	bodies, _ := h.requests()
	if len(bodies) != 3 {
		t.Fatalf("got %d attempts, want 3 (500, 500, 200)", len(bodies))
	}
	for i, b := range bodies[1:] {
		if !bytes.Equal(b, bodies[0]) {
			t.Errorf("retry %d sent %s, want the same body %s", i+1, b, bodies[0])
		}
	}
	if w.delivered.Load() != 1 || w.failed.Load() != 0 {
		t.Errorf("delivered=%d failed=%d, want 1 and 0", w.delivered.Load(), w.failed.Load())
	}
	if n := strings.Count(logs.String(), "attempt failed, retrying"); n != 2 {
		t.Errorf("logged %d retries, want 2:\n%s", n, logs.String())
	}
}

func TestWebhookGivesUpAndKeepsGoing(t *testing.T) {
	h := newHookServer(t, http.StatusInternalServerError)
	var logs syncBuffer
	// The path stands for the secret part of a real webhook URL.
	w, err := newWebhook(webhookConfig{URL: h.URL + "/services/T0/B0/canary-hook-secret", Attempts: 4, Backoff: time.Millisecond, Logger: newLogger(&logs)})
	if err != nil {
		t.Fatal(err)
	}
	w.Send(sample)
	eventually(t, "the webhook to give up", func() bool { return w.failed.Load() == 1 })
	if got := h.attempts.Load(); got != 4 {
		t.Errorf("got %d attempts, want 4", got)
	}
	// The counter is bumped before the line is logged: wait for the line.
	eventually(t, "the give-up logged with its attempts", func() bool {
		return strings.Contains(logs.String(), "gave up on a notice") && strings.Contains(logs.String(), "attempts=4")
	})

	// The webhook recovers: the next notice goes through.
	h.setFallback(http.StatusNoContent)
	next := sample
	next.Kind, next.Text = "HandLowered", "Zhang Min lowered a hand"
	w.Send(next)
	closeHook(t, w)
	if w.delivered.Load() != 1 {
		t.Errorf("delivered=%d after the webhook recovered, want 1", w.delivered.Load())
	}
	bodies, _ := h.requests()
	if last := string(bodies[len(bodies)-1]); !strings.Contains(last, `"HandLowered"`) {
		t.Errorf("last request %s, want the HandLowered notice", last)
	}
	if strings.Contains(logs.String(), "canary-hook-secret") {
		t.Errorf("the webhook URL's secret path reached the log:\n%s", logs.String())
	}
}

func TestWebhookTimeoutAndFullQueueNeverBlockSend(t *testing.T) {
	release := make(chan struct{})
	var started atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started.Add(1)
		select { // a webhook that hangs until the test ends
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	var logs syncBuffer
	w, err := newWebhook(webhookConfig{URL: srv.URL, Attempts: 2, Timeout: 50 * time.Millisecond, Backoff: time.Millisecond, Queue: 4, Logger: newLogger(&logs)})
	if err != nil {
		t.Fatal(err)
	}
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		for range 100 {
			w.Send(sample)
		}
	}()
	select {
	case <-sent:
	case <-time.After(wait):
		t.Fatal("Send blocked on a hanging webhook")
	}
	// The queue holds 4 while the first attempt hangs: most were dropped.
	if w.dropped.Load() == 0 {
		t.Error("no notice was dropped: the queue is not bounded")
	}
	// The per-request timeout ends each hanging attempt, so the queue drains.
	eventually(t, "the first notice to fail by timeout", func() bool { return w.failed.Load() >= 1 })
	if !strings.Contains(logs.String(), "deadline exceeded") {
		t.Errorf("the timeout is not logged:\n%s", logs.String())
	}
	closeHook(t, w)
	if got := w.failed.Load() + w.delivered.Load() + w.dropped.Load(); got != 100 {
		t.Errorf("failed+delivered+dropped = %d, want 100", got)
	}
}

func TestWebhookConfigValidate(t *testing.T) {
	for _, c := range []webhookConfig{
		{URL: ""}, {URL: "hooks.example.com/x"}, {URL: "ftp://example.com/x"},
		{URL: "https://example.com/x", Attempts: -1}, {URL: "https://example.com/x", Timeout: -time.Second},
	} {
		if c.Validate() == nil {
			t.Errorf("Validate(%+v) = nil, want an error", c)
		}
	}
	if err := (webhookConfig{URL: "https://hooks.example.com/x"}).Validate(); err != nil {
		t.Errorf("Validate of a good config: %v", err)
	}
}
