package scenario

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/gorilla/websocket"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/integration/fakemeeting"
	"github.com/confwatch/confwatch/secret"
	"github.com/confwatch/confwatch/token"
)

// tsKey is the extra pinfoMap key whose value carries the push's send
// time, in ns since latencyEpoch.
const tsKey = "TS"

// latencyEpoch is the reference of the TS values: a monotonic reading, so
// that a wall-clock step cannot skew a sample. Fake and client share this
// process, hence this clock.
var latencyEpoch = time.Now()

func sinceEpoch() int64 { return int64(time.Since(latencyEpoch)) }

// LatencyRow is one client at one rate.
type LatencyRow struct {
	Client   string // "bare" or "session"
	Rate     int    // pushes per second asked for
	Achieved float64
	Sent     int
	Received int
	// Overflows counts sockets the fake dropped because their send queue
	// (fakemeeting.DefaultSendQueue frames) was full during the run.
	Overflows int64
	// Reconnects counts the session's lost links during the run.
	Reconnects int64
	// Resets counts the pacer's restarts after this process was paused.
	Resets int
	Lat    summary
	// RatioP50 and RatioP99 are the session's over the bare client's at
	// the same rate (1 for bare).
	RatioP50, RatioP99 float64
}

// LatencyResult is the latency scenario's outcome.
type LatencyResult struct {
	Rows []LatencyRow
}

// Find returns the row of client at rate.
func (r *LatencyResult) Find(client string, rate int) LatencyRow {
	for _, row := range r.Rows {
		if row.Client == client && row.Rate == rate {
			return row
		}
	}
	return LatencyRow{}
}

// Latency measures the time from the fake's push (fake.Meeting().Update
// with a nanosecond timestamp in the pinfoMap) to the handler, at a light and a
// heavy rate, for a bare gorilla client (parse the timestamp out of the raw
// frame) and a session (connector, Mux, events.On handler).
func Latency(ctx context.Context, o Options) (*LatencyResult, error) {
	rates := []int{50, 5000}
	windows := map[int]time.Duration{
		50:   pick(o, o.Window, time.Second, 20*time.Second),
		5000: pick(o, o.Window, 500*time.Millisecond, 10*time.Second),
	}
	// A send queue of 1024 frames (the default is 256, 51 ms at 5,000/s)
	// keeps a pause of this noisy 2-core machine from making the fake drop
	// the socket; drops are still counted and reported.
	srv, err := fakemeeting.New(fakemeeting.Config{Participants: roster(DefaultParticipants), SendQueue: 1024})
	if err != nil {
		return nil, fmt.Errorf("scenario: latency: %w", err)
	}
	defer srv.Close()
	pid := srv.Meeting().View().Order[1]
	hc := newHTTPClient()
	defer hc.CloseIdleConnections()
	res := &LatencyResult{}
	for _, rate := range rates {
		var bare LatencyRow
		for _, client := range []string{"bare", "session"} {
			row, err := latencyRun(ctx, srv, hc, pid, client, rate, windows[rate])
			if err != nil {
				return nil, fmt.Errorf("scenario: latency: %s at %d/s: %w", client, rate, err)
			}
			if client == "bare" {
				bare = row
			}
			row.RatioP50 = ratio(float64(row.Lat.P50), float64(bare.Lat.P50))
			row.RatioP99 = ratio(float64(row.Lat.P99), float64(bare.Lat.P99))
			o.log().Info("latency", "client", client, "rate", rate, "p50", row.Lat.P50, "p99", row.Lat.P99)
			res.Rows = append(res.Rows, row)
		}
	}
	res.print(o.out(), o.mode())
	return res, nil
}

// samples collects latencies from one goroutine and hands them over once.
type samples struct {
	from int64 // TS values before this are ignored
	mu   sync.Mutex
	d    []time.Duration
}

func (s *samples) add(ts string) {
	sent, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sent < s.from {
		// A snapshot repeats the TS of an earlier run's last push.
		return
	}
	d := time.Duration(sinceEpoch() - sent)
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
}

func (s *samples) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.d)
}

func (s *samples) take() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.d
	s.d = nil
	return out
}

// latencyRun connects one client, pushes at rate for window, and returns
// the latencies.
func latencyRun(ctx context.Context, srv *fakemeeting.Server, hc *http.Client, pid, client string, rate int, window time.Duration) (LatencyRow, error) {
	row := LatencyRow{Client: client, Rate: rate}
	tc, err := newTokenClient(srv.URL(), hc)
	if err != nil {
		return row, err
	}
	s := &samples{from: sinceEpoch()}
	st0 := srv.Stats()
	var sess *connector.Session
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var stop func()
	switch client {
	case "bare":
		tgt := target{api: srv.URL(), confID: srv.ConferenceID(), password: srv.HostPassword()}
		ctl, err := bareLogin(ctx, tc, tgt)
		if err != nil {
			return row, err
		}
		conn, err := dialBare(ctx, tc, bareDialer(connector.DefaultBufferSize), tgt, ctl, []string{events.ActionParticipants})
		if err != nil {
			return row, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			readTS(conn, s)
		}()
		stop = func() { conn.Close() }
	case "session":
		mux := events.NewMux(nil)
		events.On(mux, func(_ context.Context, _ *events.Push, p *events.ParticipantsNotify) {
			for _, e := range p.Participants {
				if ts, ok := e.Info[tsKey]; ok {
					s.add(ts)
				}
			}
		}, events.HandlerOptions{})
		prov, err := token.NewProvider(tc, token.ProviderConfig{ConferenceID: srv.ConferenceID(), Password: secret.New(srv.HostPassword())})
		if err != nil {
			return row, err
		}
		sess, err = connector.New(connector.Config{ConferenceID: srv.ConferenceID(), Tokens: prov, Types: []string{events.ActionParticipants}, AllowPlainText: true})
		if err != nil {
			return row, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sess.Run(rctx, mux)
		}()
		stop = func() {
			cancel()
			wg.Wait()
			cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer ccancel()
			mux.Close(cctx)
		}
	}
	defer func() {
		stop()
		wg.Wait()
	}()
	if err := srv.WaitSubscribed(ctx, 1); err != nil {
		return row, err
	}
	// Snapshots first: pushes sent after this reach the client after them.
	if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
		return row, err
	}
	interval := time.Second / time.Duration(rate)
	count := int(window / interval)
	start := time.Now()
	next := start
	for range count {
		// Pace against a schedule, so that sleeping's overshoot does not
		// slow the rate down; but when this process was paused for longer
		// than a few sends, start the schedule afresh instead of catching
		// up in a burst that no real meeting would send.
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		} else if d < -5*interval {
			next = time.Now()
			row.Resets++
		}
		next = next.Add(interval)
		if err := srv.Meeting().Update(pid, map[string]string{tsKey: strconv.FormatInt(sinceEpoch(), 10)}); err != nil {
			return row, err
		}
		row.Sent++
		if ctx.Err() != nil {
			return row, ctx.Err()
		}
	}
	row.Achieved = float64(row.Sent) / time.Since(start).Seconds()
	deadline := time.Now().Add(5 * time.Second)
	for s.len() < row.Sent && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	row.Overflows = srv.Stats().QueueOverflows - st0.QueueOverflows
	if sess != nil {
		for _, n := range sess.Stats().Reconnects {
			row.Reconnects += n
		}
	}
	lat := s.take()
	row.Received = len(lat)
	row.Lat = summarize(lat)
	if row.Received == 0 {
		return row, fmt.Errorf("scenario: latency: none of %d pushes arrived", row.Sent)
	}
	return row, nil
}

// readTS is the bare client: it finds the TS value in each raw frame.
func readTS(conn *websocket.Conn, s *samples) {
	key := []byte(`"` + tsKey + `":"`)
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			return
		}
		i := bytes.Index(data, key)
		if i < 0 {
			continue
		}
		v := data[i+len(key):]
		if j := bytes.IndexByte(v, '"'); j > 0 {
			s.add(string(v[:j]))
		}
	}
}

func (r *LatencyResult) print(w io.Writer, mode string) {
	fmt.Fprintf(w, "\n== latency (%s): fake.Update → handler, one client at a time, fake in this process ==\n", mode)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "client\trate\tachieved\treceived\tp50\tp90\tp99\tmax\tp50 vs bare\tp99 vs bare\tfake drops\treconnects\tpacer resets\t")
	for _, row := range r.Rows {
		fmt.Fprintf(tw, "%s\t%d/s\t%.0f/s\t%d/%d\t%s\t%s\t%s\t%s\t%.2f\t%.2f\t%d\t%d\t%d\t\n", row.Client, row.Rate, row.Achieved, row.Received, row.Sent,
			fmtDur(row.Lat.P50), fmtDur(row.Lat.P90), fmtDur(row.Lat.P99), fmtDur(row.Lat.Max), row.RatioP50, row.RatioP99, row.Overflows, row.Reconnects, row.Resets)
	}
	tw.Flush()
}
