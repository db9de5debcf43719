package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

var servingAt = regexp.MustCompile(`msg="serving metrics" addr=(\S+)`)

// TestRunDemoServesMetrics: with MetricsAddr the bot serves /readyz (200
// once subscribed) and /metrics with the session's instruments, and stops
// serving when the meeting ends.
func TestRunDemoServesMetrics(t *testing.T) {
	var out, logs syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(context.Background(), config{Speed: 40, MetricsAddr: "127.0.0.1:0"}, &out, newLogger(&logs))
	}()
	var base string
	deadline := time.Now().Add(wait)
	for base == "" {
		if m := servingAt.FindStringSubmatch(logs.String()); m != nil {
			base = "http://" + m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no metrics address logged\n%s", logs.String())
		}
		time.Sleep(2 * time.Millisecond)
	}
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	get := func(path string) (int, string) {
		resp, err := hc.Get(base + path)
		if err != nil {
			return 0, ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	var ready, counted bool
	for !ready || !counted {
		if code, _ := get("/readyz"); code == 200 {
			ready = true
		}
		if _, page := get("/metrics"); strings.Contains(page, "confwatch_events_received_total{") {
			counted = true
		}
		if time.Now().After(deadline) {
			t.Fatalf("ready=%t events counted=%t", ready, counted)
		}
		time.Sleep(5 * time.Millisecond)
	}
	waitRun(t, done, &logs)
	if code, _ := get("/healthz"); code != 0 {
		t.Errorf("/healthz still answers %d after run returned", code)
	}
}
