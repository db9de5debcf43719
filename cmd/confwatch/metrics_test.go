package main_test

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/integration/fakemeeting"
)

// metricsAddr waits for the "serving metrics" log line of p (JSON logs)
// and returns its address.
func metricsAddr(t *testing.T, p *proc) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for line := range strings.Lines(p.stderr.String()) {
			var l struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "serving metrics" && l.Addr != "" {
				return l.Addr
			}
		}
		select {
		case <-p.done:
			p.done <- nil
			t.Fatalf("confwatch exited before serving metrics\n%s", p.stderr.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
	t.Fatalf("no \"serving metrics\" line\n%s", p.stderr.String())
	return ""
}

// getPage returns the status and body of url; 0 when the request failed
// (the process may just have exited).
func getPage(hc *http.Client, url string) (int, string) {
	resp, err := hc.Get(url)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var (
	retryReconnects = regexp.MustCompile(`(?m)^confwatch_session_reconnects_total\{[^}]*confwatch_class="retry"[^}]*\} 1$`)
	lagCount        = regexp.MustCompile(`(?m)^confwatch_event_lag_seconds_count\{[^}]*\} ([0-9]+)$`)
	subscribedOne   = regexp.MustCompile(`(?m)^confwatch_session_state\{[^}]*confwatch_state="subscribed"[^}]*\} 1$`)
)

// TestDemoServesMetrics runs `confwatch demo --metrics-addr 127.0.0.1:0`
// and scrapes it until it exits: it is ready while subscribed, its one
// network drop shows as one reconnect of class retry, the lag histogram
// has samples, and the endpoint is gone when the demo ends.
func TestDemoServesMetrics(t *testing.T) {
	p := start(t, nil, "demo", "--speed", "20", "--metrics-addr", "127.0.0.1:0", "--log-format", "json")
	base := "http://" + metricsAddr(t, p)
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	seen := scrapeUntilExit(p, hc, base)
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("demo exit %d\n%s", code, p.stderr.String())
	}
	if seen != (scrapes{healthy: true, ready: true, subscribed: true, reconnected: true, lagged: true}) {
		t.Errorf("scrapes saw %+v, want every one true", seen)
	}
	if code, _ := getPage(hc, base+"/healthz"); code != 0 {
		t.Errorf("the endpoint still answers (%d) after the demo exited", code)
	}
}

// scrapes is what any scrape of a run showed.
type scrapes struct {
	healthy, ready, subscribed bool
	reconnected                bool // one reconnect of class retry
	lagged                     bool // lag samples
}

// scrapeUntilExit scrapes base every 20 ms until p exits.
func scrapeUntilExit(p *proc, hc *http.Client, base string) scrapes {
	var s scrapes
	for exited := false; !exited; {
		select {
		case <-p.done:
			p.done <- nil
			exited = true
		case <-time.After(20 * time.Millisecond):
		}
		code, _ := getPage(hc, base+"/healthz")
		s.healthy = s.healthy || code == 200
		code, _ = getPage(hc, base+"/readyz")
		s.ready = s.ready || code == 200
		_, page := getPage(hc, base+"/metrics")
		s.subscribed = s.subscribed || subscribedOne.MatchString(page)
		s.reconnected = s.reconnected || retryReconnects.MatchString(page)
		if m := lagCount.FindStringSubmatch(page); m != nil {
			n, _ := strconv.Atoi(m[1])
			s.lagged = s.lagged || n > 0
		}
	}
	return s
}

// TestTailMetricsHoldNoSecret scrapes a tail of a meeting whose password
// is the canary, and refuses a malformed --metrics-addr as a usage error.
func TestTailMetricsHoldNoSecret(t *testing.T) {
	fake := newFake(t, fakemeeting.Config{TokenCanary: "CNRYtok"})
	p := start(t, []string{"CONFWATCH_HOST_PASSWORD=" + canaryPassword},
		"tail", "--conference", fake.ConferenceID(), "--api", fake.URL(), "--metrics-addr", "127.0.0.1:0", "--log-format", "json")
	base := "http://" + metricsAddr(t, p)
	if err := fake.WaitSubscribed(ctx(t), 1); err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(30 * time.Second)
	for code, _ := getPage(hc, base+"/readyz"); code != 200; code, _ = getPage(hc, base+"/readyz") {
		if time.Now().After(deadline) {
			t.Fatalf("/readyz = %d, want 200 once subscribed", code)
		}
		time.Sleep(5 * time.Millisecond)
	}
	_, page := getPage(hc, base+"/metrics")
	for _, secret := range []string{canaryPassword, "CNRYtok", fake.ConferenceID()} {
		if strings.Contains(page, secret) {
			t.Errorf("/metrics holds %q", secret)
		}
	}
	if !subscribedOne.MatchString(page) {
		t.Errorf("/metrics does not show the session subscribed:\n%s", page)
	}
	if err := fake.Meeting().End(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if code := p.exit(t); code != 0 {
		t.Fatalf("tail exit %d\n%s", code, p.stderr.String())
	}
	noSecrets(t, p)

	bad := start(t, []string{"CONFWATCH_HOST_PASSWORD=" + canaryPassword},
		"tail", "--conference", fake.ConferenceID(), "--api", fake.URL(), "--metrics-addr", "no-port")
	if code := bad.exit(t); code != 2 {
		t.Errorf("a malformed --metrics-addr exits %d, want 2\n%s", code, bad.stderr.String())
	}
	if strings.Contains(bad.stderr.String(), "no-port") {
		t.Errorf("the bad value was echoed:\n%s", bad.stderr.String())
	}
}
