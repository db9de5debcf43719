package main_test

import (
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// TestFleetMetricsAndReadiness: a fleet worker with --metrics-addr answers
// /readyz 200 once it is connected and taking part, reports the meetings
// it owns, and /readyz turns 503 when its NATS goes away.
func TestFleetMetricsAndReadiness(t *testing.T) {
	r := newFleetRig(t, 2)
	apply := start(t, nil, "fleet", "apply", "-f", r.meetingsFile(), "--nats", r.ns.ClientURL())
	if code := apply.exit(t); code != 0 {
		t.Fatalf("apply exited %d: %s", code, apply.stderr.String())
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	w := start(t, nil, "fleet", "--nats", r.ns.ClientURL(), "--api", r.svc.URL(), "--name", "m1",
		"--lease", processLease.String(), "--log-format", "json", "--metrics-addr", addr)
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			return 0, ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	poll(t, 30*time.Second, "/readyz 200", func() bool { code, _ := get("/readyz"); return code == 200 })
	poll(t, 30*time.Second, "both meetings owned in /metrics", func() bool {
		_, body := get("/metrics")
		return metricLine(body, "confwatch_fleet_owned") == "2"
	})
	if _, body := get("/metrics"); !strings.Contains(body, "confwatch_session_state") {
		t.Errorf("/metrics lacks the sessions' state:\n%.2000s", body)
	}
	r.ns.Shutdown()
	poll(t, 30*time.Second, "/readyz 503 without NATS", func() bool { code, _ := get("/readyz"); return code == 503 })
	w.cmd.Process.Signal(os.Interrupt)
	w.exit(t)
}

// metricLine returns the value of the first sample of name in a
// Prometheus text page, or "".
func metricLine(page, name string) string {
	for _, l := range strings.Split(page, "\n") {
		if strings.HasPrefix(l, name+"{") || strings.HasPrefix(l, name+" ") {
			return l[strings.LastIndexByte(l, ' ')+1:]
		}
	}
	return ""
}
