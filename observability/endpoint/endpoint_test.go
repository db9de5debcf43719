package endpoint_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/integration/fakemeeting"
	"github.com/confwatch/confwatch/internal/demo"
	"github.com/confwatch/confwatch/observability/endpoint"
	"github.com/confwatch/confwatch/secret"
	"github.com/confwatch/confwatch/token"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// waitLong bounds every wait; generous for a loaded machine, never a
// timing assertion.
const waitLong = 30 * time.Second

// The canaries: distinctive enough that finding one in a scrape can only
// mean a leak.
const (
	canaryPassword = "cnryPW-h0st-Qz58"
	canaryGuest    = "cnryPW-guest-Wv36"
	tokenCanary    = "CNRYtok"
)

// scraper fetches the server's pages with a client that keeps no idle
// connection (so that nothing outlives the test).
type scraper struct {
	t    *testing.T
	base string
	hc   *http.Client
}

func newScraper(t *testing.T, srv *endpoint.Server) *scraper {
	return &scraper{t: t, base: "http://" + srv.Addr(), hc: &http.Client{
		Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true},
	}}
}

// get returns the status and body of path; a failed request is status 0.
func (s *scraper) get(path string) (int, string) {
	resp, err := s.hc.Get(s.base + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err.Error()
	}
	return resp.StatusCode, string(b)
}

// value returns the sample of metric name whose labels include every
// name="value" pair of labels, from a Prometheus text page; -1 when there
// is none.
func value(page, name string, labels ...string) float64 {
	for line := range strings.Lines(page) {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		ok := true
		for i := 0; i+1 < len(labels); i += 2 {
			if !strings.Contains(line, labels[i]+`="`+labels[i+1]+`"`) {
				ok = false
			}
		}
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err == nil {
			return v
		}
	}
	return -1
}

// sessionState is the state whose confwatch_session_state sample is 1,
// or "none".
func sessionState(page string) string {
	for _, st := range []string{"connecting", "subscribed", "reconnecting"} {
		if value(page, "confwatch_session_state", "confwatch_state", st) == 1 {
			return st
		}
	}
	return "none"
}

// sample is one scrape of /readyz and /metrics.
type sample struct {
	ready int
	state string
}

// TestDemoScrapedOverHTTP plays the demo meeting (one network drop) on a
// fake with canary secrets, with a session observed by a Server, scraping
// it over HTTP all along: /readyz is 503 before the first Subscribe and
// while reconnecting, 200 when subscribed; the state instrument follows
// subscribed → reconnecting → subscribed; the drop is one reconnect of
// class retry; lag and blind histograms have samples; and no scrape holds a
// secret.
func TestDemoScrapedOverHTTP(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*waitLong)
	defer cancel()
	cfg := demo.Config()
	cfg.HostPassword, cfg.GuestPassword, cfg.TokenCanary = canaryPassword, canaryGuest, tokenCanary
	fake, err := fakemeeting.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	srv, err := endpoint.Start(endpoint.Config{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := srv.Close(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	sc := newScraper(t, srv)
	sess := demoSession(t, fake, srv)

	if code, _ := sc.get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d, want 200", code)
	}
	ready, _ := sc.get("/readyz")
	_, page := sc.get("/metrics")
	samples := []sample{{ready, sessionState(page)}}
	if samples[0] != (sample{503, "connecting"}) {
		t.Errorf("before Run: %v, want 503 and connecting", samples[0])
	}

	runErr := make(chan error, 1)
	go func() { runErr <- sess.Run(ctx, nil) }()
	played := make(chan error, 1)
	go func() {
		if err := fake.WaitSubscribed(ctx, 1); err != nil {
			played <- err
			return
		}
		played <- demo.Play(ctx, fake, 40, nil)
	}()

	samples, pages := scrapeUntilStopped(t, sc, runErr, samples, []string{page})
	if err := <-played; err != nil {
		t.Fatalf("demo: %v", err)
	}

	want := []sample{{503, "connecting"}, {200, "subscribed"}, {503, "reconnecting"}, {200, "subscribed"}}
	if !hasSubsequence(samples, want) {
		t.Errorf("scrapes saw (readyz, state) %v, want %v in order", samples, want)
	}
	if last := samples[len(samples)-1]; last != (sample{503, "none"}) {
		t.Errorf("after the meeting ended: %v, want 503 with no session counted", last)
	}
	checkFinal(t, pages[len(pages)-1])
	auditPages(t, pages, canaryPassword, canaryGuest, tokenCanary, fake.ConferenceID())
}

// scrapeUntilStopped scrapes /readyz and /metrics every 15 ms until Run
// returns (then once more), adding each new (readyz, state) pair to
// samples and every page to pages.
func scrapeUntilStopped(t *testing.T, sc *scraper, runErr <-chan error, samples []sample, pages []string) ([]sample, []string) {
	for stopped := false; !stopped; {
		select {
		case err := <-runErr:
			if !errors.Is(err, connector.ErrMeetingEnded) {
				t.Errorf("Run: %v, want the meeting's end", err)
			}
			stopped = true
		case <-time.After(15 * time.Millisecond):
		}
		ready, _ := sc.get("/readyz")
		_, page := sc.get("/metrics")
		pages = append(pages, page)
		if s := (sample{ready, sessionState(page)}); samples[len(samples)-1] != s {
			samples = append(samples, s)
		}
	}
	return samples, pages
}

// checkFinal checks the counters of the last scrape, after the demo's
// one drop and its end.
func checkFinal(t *testing.T, final string) {
	t.Helper()
	checks := []struct {
		what string
		got  float64
		ok   func(float64) bool
	}{
		{"reconnects{class=retry,stage=live}", value(final, "confwatch_session_reconnects_total", "confwatch_class", "retry", "confwatch_stage", "live"), eq(1)},
		{"reconnects in all", sum(final, "confwatch_session_reconnects_total"), eq(1)},
		{"ws tokens fetched", value(final, "confwatch_wstoken_fetches_total", "confwatch_outcome", "ok"), eq(2)},
		{"blind windows after a failure", value(final, "confwatch_outage_blind_seconds_count", "confwatch_resync", "false"), eq(1)},
		{"lag samples", value(final, "confwatch_event_lag_seconds_count"), gt(2)},
		{"ParticipantsNotify received", value(final, "confwatch_events_received_total", "confwatch_action", "ParticipantsNotify"), gt(0)},
		{"drops", sum(final, "confwatch_events_dropped_total"), eq(0)},
		{"the backoff observed", value(final, "confwatch_session_reconnect_delay_seconds_sum", "confwatch_class", "retry"), gt(0.49)},
	}
	for _, c := range checks {
		if !c.ok(c.got) {
			t.Errorf("%s = %v", c.what, c.got)
		}
	}
	if t.Failed() {
		t.Logf("final scrape:\n%s", final)
	}
}

// demoSession makes the session the demo test runs: observed by srv, with
// a fixed 500 ms backoff so that a scrape sees it reconnecting.
func demoSession(t *testing.T, fake *fakemeeting.Server, srv *endpoint.Server) *connector.Session {
	t.Helper()
	client, err := token.New(token.Config{BaseURL: fake.URL()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.CloseIdleConnections)
	prov, err := token.NewProvider(client, token.ProviderConfig{ConferenceID: fake.ConferenceID(), Password: secret.New(fake.HostPassword())})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := connector.New(connector.Config{
		ConferenceID: fake.ConferenceID(), Tokens: prov, AllowPlainText: true,
		Backoff:  connector.Backoff{Initial: 500 * time.Millisecond, Max: 500 * time.Millisecond, Jitter: connector.NoJitter},
		Observer: srv.Metrics().Observer(fake.ConferenceID()),
	})
	if err != nil {
		t.Fatal(err)
	}
	return sess
}

func eq(want float64) func(float64) bool { return func(v float64) bool { return v == want } }
func gt(min float64) func(float64) bool  { return func(v float64) bool { return v > min } }

// sum adds every sample of name.
func sum(page, name string) float64 {
	var total float64
	for line := range strings.Lines(page) {
		if strings.HasPrefix(line, name+"{") || strings.HasPrefix(line, name+" ") {
			if v, err := strconv.ParseFloat(strings.TrimSpace(line[strings.LastIndexByte(line, ' ')+1:]), 64); err == nil {
				total += v
			}
		}
	}
	return total
}

func hasSubsequence(got, want []sample) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

// auditPages fails for every secret found in any page, and for a meeting
// ID: none is recorded without PerConference.
func auditPages(t *testing.T, pages []string, secrets ...string) {
	t.Helper()
	if len(pages) == 0 {
		t.Fatal("nothing was scraped")
	}
	bytes := 0
	for _, p := range pages {
		bytes += len(p)
	}
	for _, s := range secrets {
		re := regexp.MustCompile(`(^|[^0-9A-Za-z])` + regexp.QuoteMeta(s) + `($|[^0-9A-Za-z])`)
		if strings.HasPrefix(s, "CNRY") {
			re = regexp.MustCompile(regexp.QuoteMeta(s))
		}
		for i, p := range pages {
			if loc := re.FindStringIndex(p); loc != nil {
				t.Errorf("scrape %d holds %q: …%s…", i, s, p[max(loc[0]-80, 0):min(loc[1]+80, len(p))])
				break
			}
		}
	}
	t.Logf("audited %d scrapes, %d bytes", len(pages), bytes)
}

// TestProbesAndErrors: /healthz is 200 and /readyz follows Config.Ready;
// other paths and methods are refused; Start refuses a missing or taken
// address.
func TestProbesAndErrors(t *testing.T) {
	var mu sync.Mutex
	ready := false
	srv, err := endpoint.Start(endpoint.Config{Addr: "127.0.0.1:0", Ready: func() bool { mu.Lock(); defer mu.Unlock(); return ready }})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())
	sc := newScraper(t, srv)
	for _, c := range []struct {
		path string
		want int
	}{{"/healthz", 200}, {"/readyz", 503}, {"/", 404}, {"/metrics/x", 404}} {
		if code, _ := sc.get(c.path); code != c.want {
			t.Errorf("GET %s = %d, want %d", c.path, code, c.want)
		}
	}
	mu.Lock()
	ready = true
	mu.Unlock()
	if code, _ := sc.get("/readyz"); code != 200 {
		t.Errorf("/readyz once ready = %d, want 200", code)
	}
	resp, err := sc.hc.Post(sc.base+"/metrics", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /metrics = %d, want 405", resp.StatusCode)
	}
	code, page := sc.get("/metrics")
	if code != 200 || !strings.Contains(page, "go_goroutines") || !strings.Contains(page, `service_name="confwatch"`) {
		t.Errorf("/metrics = %d without the runtime collector or target_info:\n%s", code, page)
	}
	if _, err := endpoint.Start(endpoint.Config{}); err == nil {
		t.Error("Start without Addr succeeded")
	}
	if _, err := endpoint.Start(endpoint.Config{Addr: srv.Addr()}); err == nil {
		t.Error("Start on a taken address succeeded")
	}
}
