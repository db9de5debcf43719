package scenario

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/integration/fakemeeting"
	"github.com/confwatch/confwatch/secret"
	"github.com/confwatch/confwatch/token"
)

// RecoveryDelay is the backoff delay of the recovery scenario: constant
// (Multiplier 1, no jitter), so that it can be subtracted exactly.
const RecoveryDelay = time.Millisecond

// RecoveryResult is the recovery scenario's outcome. Every duration is
// per drop, from the instant before fake.Faults().DropAll.
type RecoveryResult struct {
	Drops int
	// Recovery is drop → Resubscribed delivered to the handler, minus
	// RecoveryDelay: the time the client spent, not the time it waited.
	Recovery summary
	// Detect is drop → the session noticed the loss (Disconnected.At /
	// Resubscribed.BlindFrom).
	Detect summary
	// Redial is loss noticed → new Subscribe accepted
	// (Resubscribed.BlindTo), minus RecoveryDelay: token, dial, Subscribe.
	Redial summary
	// Deliver is Subscribe accepted → Resubscribed in the handler.
	Deliver summary
	// Delays is the backoff delay the sessions chose, read from
	// Stats().NextRetryAt where it was caught while pending.
	DelayChecked int
	DelayMax     time.Duration
}

// Recovery drops the socket of one stable session again and again and
// measures how long it takes to be subscribed again. The fake runs in
// this process, so that the drop instant and the handler's clock are the
// same clock.
func Recovery(ctx context.Context, o Options) (*RecoveryResult, error) {
	drops := pick(o, o.N, 50, 500)
	srv, err := fakemeeting.New(fakemeeting.Config{Participants: roster(DefaultParticipants)})
	if err != nil {
		return nil, fmt.Errorf("scenario: recovery: %w", err)
	}
	defer srv.Close()
	hc := newHTTPClient()
	defer hc.CloseIdleConnections()
	tc, err := newTokenClient(srv.URL(), hc)
	if err != nil {
		return nil, err
	}
	prov, err := token.NewProvider(tc, token.ProviderConfig{ConferenceID: srv.ConferenceID(), Password: secret.New(srv.HostPassword())})
	if err != nil {
		return nil, fmt.Errorf("scenario: recovery: %w", err)
	}

	type lifecycle struct {
		e  events.Event
		at time.Time // when the handler got it
	}
	got := make(chan lifecycle, 16)
	h := events.HandlerFunc(func(_ context.Context, e events.Event) {
		switch e.(type) {
		case *events.Subscribed, *events.Resubscribed:
			got <- lifecycle{e, time.Now()}
		}
	})
	sess, err := connector.New(connector.Config{
		AllowPlainText: true,
		ConferenceID:   srv.ConferenceID(), Tokens: prov,
		Backoff: connector.Backoff{Initial: RecoveryDelay, Multiplier: 1, Jitter: connector.NoJitter},
	})
	if err != nil {
		return nil, fmt.Errorf("scenario: recovery: %w", err)
	}
	rctx, cancel := context.WithCancel(ctx)
	runErr := make(chan error, 1)
	go func() { runErr <- sess.Run(rctx, h) }()
	stop := func() error {
		cancel()
		err := <-runErr
		if err != nil && rctx.Err() == nil {
			return err
		}
		return nil
	}

	wait := func() (lifecycle, error) {
		t := time.NewTimer(10 * time.Second)
		defer t.Stop()
		select {
		case l := <-got:
			return l, nil
		case err := <-runErr:
			runErr <- err
			return lifecycle{}, fmt.Errorf("scenario: recovery: session stopped: %w", err)
		case <-t.C:
			return lifecycle{}, fmt.Errorf("scenario: recovery: not resubscribed within 10s (%+v)", sess.Stats())
		}
	}
	if _, err := wait(); err != nil {
		stop()
		return nil, err
	}
	res := &RecoveryResult{Drops: drops}
	var recov, detect, redial, deliver []time.Duration
	for i := range drops {
		// A stable link: the snapshot burst is handled and the link has
		// been quiet for a moment.
		if err := sleepCtx(ctx, 5*time.Millisecond); err != nil {
			stop()
			return nil, err
		}
		t0 := time.Now()
		srv.Faults().DropAll()
		// Catch the pending retry, where possible, to check the delay
		// the session chose against the one configured.
		if next := sess.Stats().NextRetryAt; !next.IsZero() {
			res.DelayChecked++
			res.DelayMax = max(res.DelayMax, next.Sub(t0))
		}
		l, err := wait()
		if err != nil {
			stop()
			return nil, err
		}
		r, ok := l.e.(*events.Resubscribed)
		if !ok {
			stop()
			return nil, fmt.Errorf("scenario: recovery: drop %d: got %T, want *events.Resubscribed", i, l.e)
		}
		recov = append(recov, l.at.Sub(t0)-RecoveryDelay)
		detect = append(detect, r.BlindFrom.Sub(t0))
		redial = append(redial, r.BlindTo.Sub(r.BlindFrom)-RecoveryDelay)
		deliver = append(deliver, l.at.Sub(r.BlindTo))
	}
	if err := stop(); err != nil {
		return nil, fmt.Errorf("scenario: recovery: %w", err)
	}
	res.Recovery, res.Detect, res.Redial, res.Deliver = summarize(recov), summarize(detect), summarize(redial), summarize(deliver)
	o.log().Info("recovery", "p50", res.Recovery.P50, "p99", res.Recovery.P99)
	res.print(o.out(), o.mode())
	return res, nil
}

func (r *RecoveryResult) print(w io.Writer, mode string) {
	fmt.Fprintf(w, "\n== recovery (%s): %d drops of one session, backoff %v constant (subtracted) ==\n", mode, r.Drops, RecoveryDelay)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\tp50\tp90\tp99\tmax\t")
	for _, row := range []struct {
		name string
		s    summary
	}{
		{"drop → resubscribed (handler)", r.Recovery},
		{"  drop → loss noticed", r.Detect},
		{"  noticed → Subscribe accepted", r.Redial},
		{"  accepted → handler", r.Deliver},
	} {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", row.name, fmtDur(row.s.P50), fmtDur(row.s.P90), fmtDur(row.s.P99), fmtDur(row.s.Max))
	}
	tw.Flush()
	if r.DelayChecked > 0 {
		fmt.Fprintf(w, "backoff delay seen in Stats().NextRetryAt for %d drops: at most %v after the drop\n", r.DelayChecked, fmtDur(r.DelayMax))
	}
	fmt.Fprintln(w, "target: p99 ≤ 20 ms")
}
