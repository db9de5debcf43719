package secrets_test

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/confwatch/confwatch/integration/fakemeeting"
)

// servingMetrics matches the JSON log line that names the metrics address.
var servingMetrics = regexp.MustCompile(`"msg":"serving metrics"[^\n]*"addr":"([^"]+)"`)

// TestMetricsLeakNothing runs `confwatch tail --metrics-addr` through a
// drop and a re-authentication, scraping /metrics, /healthz and /readyz
// all along; every page is audited with the process's output, and holds
// no meeting ID either: none is recorded by default.
func TestMetricsLeakNothing(t *testing.T) {
	t.Parallel()
	fake := newFake(t, fakemeeting.Config{})
	a := newAudit(t, canaryPassword, canaryGuest, tokenCanary)
	c := startCLI(t, a, "", []string{"CONFWATCH_HOST_PASSWORD=" + canaryPassword},
		"tail", "--conference", fake.ConferenceID(), "--api", fake.URL(), "--metrics-addr", "127.0.0.1:0",
		"--log-level", "debug", "--log-format", "json")
	var addr string
	waitFor(t, "the metrics address in the log", func() bool {
		m := servingMetrics.FindStringSubmatch(a.text("tail stderr"))
		if m != nil {
			addr = m[1]
		}
		return m != nil
	})
	pages := a.writer("/metrics")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	scrapes := 0
	go func() {
		defer wg.Done()
		hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		for {
			for _, path := range []string{"/metrics", "/healthz", "/readyz"} {
				if resp, err := hc.Get("http://" + addr + path); err == nil {
					io.Copy(pages, resp.Body)
					resp.Body.Close()
					scrapes++
				}
			}
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	playTail(t, a, "tail stdout", fake)
	code := c.exit(t)
	close(stop)
	wg.Wait()
	if code != 0 {
		t.Errorf("exit %d, want 0 after the meeting ended", code)
	}
	if page := a.text("/metrics"); scrapes == 0 || !strings.Contains(page, `confwatch_class="reauth"`) {
		t.Fatalf("%d scrapes, none showing the re-authentication: the scenario did not run", scrapes)
	}
	a.check()
	// The meeting ID is in the tail's own output by design; the pages
	// must not hold it.
	ids := newAudit(t, fake.ConferenceID())
	io.WriteString(ids.writer("/metrics"), a.text("/metrics"))
	ids.check()
}
