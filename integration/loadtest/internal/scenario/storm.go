package scenario

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/integration/fakemeeting"
)

// countingProxy is a reverse proxy in front of the fake's REST API that
// records when each wsToken request arrived. The sockets do not pass
// through it: the token response's wsURL points at the fake itself.
type countingProxy struct {
	ln  net.Listener
	hs  *http.Server
	rt  *http.Transport
	wg  sync.WaitGroup
	mu  sync.Mutex
	wsT []time.Time
}

func startProxy(upstream string) (*countingProxy, error) {
	u, err := url.Parse(upstream)
	if err != nil {
		return nil, fmt.Errorf("scenario: proxy: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("scenario: proxy: listen: %w", err)
	}
	p := &countingProxy{ln: ln, rt: &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: 90 * time.Second}}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = p.rt
	p.hs = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == fakemeeting.PathWSToken {
			now := time.Now()
			p.mu.Lock()
			p.wsT = append(p.wsT, now)
			p.mu.Unlock()
		}
		rp.ServeHTTP(w, r)
	})}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		_ = p.hs.Serve(ln)
	}()
	return p, nil
}

func (p *countingProxy) URL() string { return "http://" + p.ln.Addr().String() }

// since returns the wsToken arrival times at or after t.
func (p *countingProxy) since(t time.Time) []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []time.Time
	for _, x := range p.wsT {
		if !x.Before(t) {
			out = append(out, x)
		}
	}
	return out
}

func (p *countingProxy) close() {
	p.hs.Close()
	p.wg.Wait()
	p.rt.CloseIdleConnections()
}

// StormRound is one drop of every socket.
type StormRound struct {
	// Buckets[i] counts the wsToken requests that arrived in the i-th
	// 100 ms after the drop.
	Buckets []int
	// Planned[i] counts the sessions whose first retry was scheduled
	// (Stats().NextRetryAt) in the i-th 100 ms after the drop: the backoff's
	// own spread, before this machine's scheduling delays.
	Planned       []int
	PlannedSeen   int     // sessions whose NextRetryAt was caught
	PlannedShare  float64 // the fullest planned window's share of PlannedSeen
	TokenRequests int     // wsToken requests after the drop
	MaxShare      float64 // the fullest bucket's share of TokenRequests
	// AllBack is drop → the last session's new Subscribe accepted.
	AllBack time.Duration
	// Back is the distribution of drop → Subscribe accepted.
	Back        summary
	GaveUp      int64
	NotBack     int // sessions not resubscribed within the time bound
	Reconnects  map[string]int64
	FakeWSToken int64 // the fake's own count of wsToken requests after the drop
	Refused     int64 // upgrades the fake refused after the drop
	// ClientCPU and FakeCPU are the processes' CPU time from the drop
	// until every session was back (or the bound passed); Wall is that span.
	ClientCPU, FakeCPU, Wall time.Duration
	LoadAvg                  string // /proc/loadavg at the drop
}

// StormResult is the reconnect storm's outcome.
type StormResult struct {
	N      int
	Rounds []StormRound
}

// Worst returns the round with the fullest observed window.
func (r *StormResult) Worst() StormRound {
	var w StormRound
	for _, x := range r.Rounds {
		if x.MaxShare >= w.MaxShare {
			w = x
		}
	}
	return w
}

// StormWindow is the bucket width of the storm's histogram.
const StormWindow = 100 * time.Millisecond

// stormBound is how long a round waits for every session to be back.
const stormBound = 30 * time.Second

// Storm subscribes N sessions with the default backoff to a fake in a
// child process, drops every socket at once, and records the token
// requests per 100 ms and the time until every session is subscribed
// again. Full mode repeats this with a fresh set of sessions (so that each
// drop meets the backoff's first, 1 s interval), since one drop on a noisy
// machine says little.
func Storm(ctx context.Context, o Options) (*StormResult, error) {
	n := pick(o, o.N, 100, 1000)
	rounds := pick(o, o.Rounds, 1, 3)
	r, err := startRemote(ctx, o.Spawn, o.fakeArgs())
	if err != nil {
		return nil, err
	}
	defer r.Close()
	proxy, err := startProxy(r.URL())
	if err != nil {
		return nil, err
	}
	defer proxy.close()
	res := &StormResult{N: n}
	for i := range rounds {
		round, err := stormRound(ctx, o, r, proxy, n)
		if err != nil {
			return nil, fmt.Errorf("scenario: storm: round %d: %w", i+1, err)
		}
		o.log().Info("storm", "round", i+1, "allBack", round.AllBack, "maxShare", round.MaxShare)
		res.Rounds = append(res.Rounds, *round)
	}
	res.print(o.out(), o.mode())
	return res, nil
}

func stormRound(ctx context.Context, o Options, r *remoteFake, proxy *countingProxy, n int) (*StormRound, error) {
	if err := r.WaitLive(0, 30*time.Second); err != nil {
		return nil, err
	}
	hc := newHTTPClient()
	defer hc.CloseIdleConnections()
	tc, err := newTokenClient(proxy.URL(), hc)
	if err != nil {
		return nil, err
	}
	back := make([]atomic.Int64, n) // BlindTo of each session's Resubscribed, unix ns
	var nBack atomic.Int64
	allBack := make(chan struct{})
	f, err := startFleet(ctx, fleetSpec{
		n: n, tgt: target{api: proxy.URL(), confID: r.ConferenceID(), password: r.Password()},
		tokens: tc, concurrency: 100,
		config: func(i int) (connector.Config, events.Handler) {
			return connector.Config{ReadBufferSize: MemoryBufferSize, WriteBufferSize: MemoryBufferSize, AllowPlainText: true},
				events.HandlerFunc(func(_ context.Context, e events.Event) {
					if rs, ok := e.(*events.Resubscribed); ok && back[i].CompareAndSwap(0, rs.BlindTo.UnixNano()) {
						if nBack.Add(1) == int64(n) {
							close(allBack)
						}
					}
				})
		},
	})
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*StormRound, error) {
		f.close()
		return nil, err
	}
	if _, err := f.waitAllUp(ctx, 120*time.Second); err != nil {
		return fail(err)
	}
	if err := r.WaitSubscribed(n, 60*time.Second); err != nil {
		return fail(err)
	}
	// Let the snapshot bursts of the ramp be handled before the drop.
	if err := sleepCtx(ctx, time.Second); err != nil {
		return fail(err)
	}
	st0, err := r.Stats()
	if err != nil {
		return fail(err)
	}
	load := loadAvg()
	u0, err := r.Usage()
	if err != nil {
		return fail(err)
	}
	c0, _ := processCPU()
	t0, err := r.DropAll()
	if err != nil {
		return fail(err)
	}
	planned := make([]time.Time, n)
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		samplePlanned(f, planned, back, 5*time.Second)
	}()
	t := time.NewTimer(stormBound)
	select {
	case <-allBack:
	case <-t.C:
	case <-ctx.Done():
	}
	t.Stop()
	c1, _ := processCPU()
	wall := time.Since(t0)
	u1, err := r.Usage()
	<-sampled
	if err != nil {
		return fail(err)
	}
	// Requests still in flight are counted only if they arrive before the
	// histogram is read; a short grace lets the last ones land.
	if err := sleepCtx(ctx, 200*time.Millisecond); err != nil {
		return fail(err)
	}
	st1, err := r.Stats()
	if err != nil {
		return fail(err)
	}
	res := &StormRound{Reconnects: f.stats().Reconnects, GaveUp: f.gaveUp.Load(),
		FakeWSToken: st1.WSTokenRequests - st0.WSTokenRequests, Refused: st1.UpgradesRefused - st0.UpgradesRefused,
		ClientCPU: c1 - c0, FakeCPU: u1.cpu - u0.cpu, Wall: wall, LoadAvg: load}
	var backs []time.Duration
	for i := range back {
		ns := back[i].Load()
		if ns == 0 {
			res.NotBack++
			continue
		}
		d := time.Unix(0, ns).Sub(t0)
		backs = append(backs, d)
		res.AllBack = max(res.AllBack, d)
	}
	res.Back = summarize(backs)
	reqs := proxy.since(t0)
	res.TokenRequests = len(reqs)
	res.Buckets, res.MaxShare = histogram(reqs, t0)
	var seen []time.Time
	for _, p := range planned {
		if !p.IsZero() {
			seen = append(seen, p)
		}
	}
	res.PlannedSeen = len(seen)
	res.Planned, res.PlannedShare = histogram(seen, t0)
	if err := f.close(); err != nil && res.GaveUp == 0 {
		return nil, err
	}
	return res, nil
}

// samplePlanned records each session's first scheduled retry time, by
// polling Stats().NextRetryAt (set while the session waits) every 5 ms
// until every session has one or is back, or for at most bound.
func samplePlanned(f *fleet, planned []time.Time, back []atomic.Int64, bound time.Duration) {
	deadline := time.Now().Add(bound)
	for time.Now().Before(deadline) {
		left := 0
		for i, s := range f.sessions {
			if !planned[i].IsZero() || back[i].Load() != 0 {
				continue
			}
			if next := s.Stats().NextRetryAt; !next.IsZero() {
				planned[i] = next
				continue
			}
			left++
		}
		if left == 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// histogram buckets ts by StormWindow from t0 and returns the buckets and
// the fullest one's share.
func histogram(ts []time.Time, t0 time.Time) ([]int, float64) {
	var b []int
	top := 0
	for _, x := range ts {
		i := max(int(x.Sub(t0)/StormWindow), 0)
		for len(b) <= i {
			b = append(b, 0)
		}
		b[i]++
		top = max(top, b[i])
	}
	return b, ratio(float64(top), float64(len(ts)))
}

func (r *StormResult) print(w io.Writer, mode string) {
	fmt.Fprintf(w, "\n== storm (%s): %d sessions, default backoff (1 s initial, full jitter), all sockets dropped at once; %d round(s) ==\n", mode, r.N, len(r.Rounds))
	for i, x := range r.Rounds {
		fmt.Fprintf(w, "-- round %d (load average at the drop: %s)\n", i+1, x.LoadAvg)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "window after drop\tretries planned\twsToken requests\tshare\t")
		for j := range max(len(x.Buckets), len(x.Planned)) {
			var b, p int
			if j < len(x.Buckets) {
				b = x.Buckets[j]
			}
			if j < len(x.Planned) {
				p = x.Planned[j]
			}
			share := ratio(float64(b), float64(x.TokenRequests))
			fmt.Fprintf(tw, "%4d–%4d ms\t%d\t%d\t%5.1f %%\t%s\n", j*100, (j+1)*100, p, b, 100*share, strings.Repeat("#", int(share*100+0.5)))
		}
		tw.Flush()
	}
	fmt.Fprintln(w, "-- summary")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "round\tfullest window (planned)\tfullest window (arrived)\ttoken requests\tback p50\tback p99\tall back\tnot back\tgave up\tclient CPU\tfake CPU\tof 2 cores\t")
	for i, x := range r.Rounds {
		fmt.Fprintf(tw, "%d\t%.1f %%\t%.1f %%\t%d (fake %d)\t%s\t%s\t%s\t%d\t%d\t%s\t%s\t%.2f\t\n", i+1, 100*x.PlannedShare, 100*x.MaxShare,
			x.TokenRequests, x.FakeWSToken, fmtDur(x.Back.P50), fmtDur(x.Back.P99), fmtDur(x.AllBack), x.NotBack, x.GaveUp,
			fmtDur(x.ClientCPU), fmtDur(x.FakeCPU), ratio(float64(x.ClientCPU+x.FakeCPU), float64(2*x.Wall)))
	}
	tw.Flush()
	fmt.Fprintln(w, "planned = Stats().NextRetryAt of each session (the backoff's draw); arrived = wsToken requests at the counting proxy")
	fmt.Fprintln(w, "targets: no 100 ms window > 15 % of the token requests, all resubscribed within 10 s, none gave up")
}
