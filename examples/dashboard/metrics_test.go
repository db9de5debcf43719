package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

var servingAt = regexp.MustCompile(`msg="serving metrics" addr=(\S+)`)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestRunServesMetrics: with MetricsAddr the dashboard's session is
// observed: /readyz turns 200 once it subscribes and /metrics counts its
// pushes.
func TestRunServesMetrics(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs lockedBuffer
	_, done := startRun(t, ctx, config{Speed: 40, MetricsAddr: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	m := servingAt.FindStringSubmatch(logs.String()) // logged before the page listens
	if m == nil {
		t.Fatalf("no metrics address logged\n%s", logs.String())
	}
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	get := func(path string) (int, string) {
		resp, err := hc.Get("http://" + m[1] + path)
		if err != nil {
			return 0, ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	deadline := time.Now().Add(wait)
	for {
		code, _ := get("/readyz")
		_, page := get("/metrics")
		if code == 200 && strings.Contains(page, `confwatch_events_received_total{confwatch_action="ParticipantsNotify"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz %d and no pushes counted:\n%s", code, page)
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run = %v after interrupt", err)
		}
	case <-time.After(wait):
		t.Fatal("run did not return")
	}
	if code, _ := get("/healthz"); code != 0 {
		t.Errorf("/healthz still answers %d after run returned", code)
	}
}
