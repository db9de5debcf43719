package feed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
	"github.com/confwatch/confwatch/fleet"
)

// ErrNotWatched ends Run when the meeting is not, or no longer, in the
// fleet's desired set and every record the stream holds for it has been
// delivered: no owner will publish more.
var ErrNotWatched = errors.New("the fleet does not watch the meeting (it is not in the desired set)")

// DefaultLookback is Config.Lookback's default.
const DefaultLookback = 5 * time.Second

// Config configures a Feed.
type Config struct {
	// JetStream reaches the fleet's stream and buckets. Required.
	JetStream jetstream.JetStream
	// Conference is the meeting ID. Required.
	Conference string
	// Since > 0 replays the records published in the last Since first,
	// then goes on live. 0 starts from the meeting's current state: the
	// stored Snapshot, then the records after it.
	Since time.Duration
	// Logger receives notes about records that could not be read. Nil
	// means silent.
	Logger *slog.Logger
	// OnChange, when set, receives the semantic changes the owning worker
	// published, in stream order, including those it marked Inferred
	// after a failover. It is called from Run's goroutine.
	OnChange func(meeting.Change)
	// OnOwner, when set, is called with the meeting's owner (worker name)
	// each time it changes, "" = none. It is called from a goroutine of
	// Run's own, one call at a time, first with the owner when Run starts.
	OnOwner func(owner string)
	// Lookback is how far before the stored Snapshot was written Run
	// (Since 0) starts reading the stream, to find the records the
	// Snapshot already holds. Zero means DefaultLookback.
	Lookback time.Duration
}

// Feed delivers one meeting's records from the fleet's stream as the
// events a live session delivers. Make it with New; Run it once.
type Feed struct {
	cfg     Config
	log     *slog.Logger
	subject string

	mu       sync.Mutex
	seedRead bool
	seed     *Snapshot

	delivered, skipped, malformed, resyncs atomic.Uint64
}

// Stats counts what a Feed did.
type Stats struct {
	// Delivered records: events given to the handler and changes given
	// to OnChange.
	Delivered uint64
	// Skipped records were already in the seed Snapshot.
	Skipped uint64
	// Malformed records could not be read and were dropped.
	Malformed uint64
	// Resyncs counts the Resync calls (all refused).
	Resyncs uint64
}

// New checks cfg and returns a Feed. It does no I/O.
func New(cfg Config) (*Feed, error) {
	var errs []error
	if cfg.JetStream == nil {
		errs = append(errs, errors.New("a JetStream is required"))
	}
	if err := checkConference(cfg.Conference); err != nil {
		errs = append(errs, err)
	}
	if cfg.Since < 0 || cfg.Lookback < 0 {
		errs = append(errs, fmt.Errorf("since (%v) and lookback (%v) must not be negative", cfg.Since, cfg.Lookback))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("feed: invalid config: %w", errors.Join(errs...))
	}
	if cfg.Lookback == 0 {
		cfg.Lookback = DefaultLookback
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Feed{cfg: cfg, log: log.With(slog.String("conference", cfg.Conference)),
		subject: fleet.SubjectPrefix + "." + cfg.Conference + ".>"}, nil
}

// checkConference refuses what cannot be a meeting ID (and so a subject
// token): 1 to 32 digits, as fleet.Meeting.Validate.
func checkConference(c string) error {
	if c == "" {
		return errors.New("conference is required")
	}
	if len(c) > 32 || strings.Trim(c, "0123456789") != "" {
		return errors.New("conference: a meeting ID is 1 to 32 digits")
	}
	return nil
}

// Stats returns the counters.
func (f *Feed) Stats() Stats {
	return Stats{Delivered: f.delivered.Load(), Skipped: f.skipped.Load(), Malformed: f.malformed.Load(), Resyncs: f.resyncs.Load()}
}

// Resync is what a meeting.State fed by Run gets as Config.Resync: a
// reader cannot make the owner resubscribe, so it counts the request and
// refuses it (the State counts it as suppressed). The owner's own State
// saw the same gap and asked its session.
func (f *Feed) Resync(reason string) bool {
	f.resyncs.Add(1)
	f.log.Debug("feed: resync asked for; a reader cannot resync", slog.String("reason", reason))
	return false
}

// Seed returns the stored Snapshot that Run starts after (Since 0), read
// once and kept: nil when the meeting has none yet or Since > 0. Build
// the State that Run feeds from it (NewState does) before calling Run.
func (f *Feed) Seed(ctx context.Context) (*Snapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.seedRead {
		return f.seed, nil
	}
	if f.cfg.Since == 0 {
		s, err := readState(ctx, f.cfg.JetStream, f.cfg.Conference)
		if err != nil {
			return nil, err
		}
		f.seed = s
	}
	f.seedRead = true
	return f.seed, nil
}

// NewState returns the meeting.State that Run's events keep equal to the
// owner's: meeting.Continue from Seed's Snapshot (empty without one). A
// nil cfg.Resync becomes f.Resync.
func (f *Feed) NewState(ctx context.Context, cfg meeting.Config) (*meeting.State, error) {
	seed, err := f.Seed(ctx)
	if err != nil {
		return nil, err
	}
	if cfg.Resync == nil {
		cfg.Resync = f.Resync
	}
	if seed == nil {
		return meeting.New(cfg), nil
	}
	return meeting.Continue(cfg, seed.Snapshot), nil
}

// Run delivers the meeting's pushes (*events.Push with typed Payload, as
// events.Decode would give) and lifecycle events (*events.Subscribed,
// *events.Disconnected, *events.Resubscribed) to h, in stream order,
// until the meeting ends (returns an error wrapping
// token.ErrMeetingEnded, which is connector.ErrMeetingEnded, so callers
// treat it exactly like a session's end) or ctx is done (returns
// ctx.Err()). It also returns, wrapped, ErrNotWatched, and errors
// reaching NATS.
func (f *Feed) Run(ctx context.Context, h events.Handler) error {
	if h == nil {
		return errors.New("feed: Run: nil handler")
	}
	seed, err := f.Seed(ctx)
	if err != nil {
		return err
	}
	cons, err := f.consumer(ctx, seed)
	if err != nil {
		return err
	}
	it, err := cons.Messages()
	if err != nil {
		return f.errorf("read the stream %s: %w", fleet.StreamEvents, err)
	}
	rctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	defer it.Stop() // first: ends read's Next

	r := newRunner(ctx, f, h, cons, seed)
	wg.Go(func() { read(rctx, it, r.msgs, r.readErr) })
	wg.Go(func() { f.watchDesired(rctx, r.watched) })
	if f.cfg.OnOwner != nil {
		wg.Go(func() { f.watchOwner(rctx) })
	}
	return r.loop()
}

// read is Run's reader goroutine: it hands each record received to msgs
// until the iterator stops (the error goes to errs) or ctx is done.
func read(ctx context.Context, it jetstream.MessagesContext, msgs chan<- jetstream.Msg, errs chan<- error) {
	for {
		m, err := it.Next()
		if err != nil {
			errs <- err // buffered: read sends one
			return
		}
		select {
		case msgs <- m:
		case <-ctx.Done():
			return
		}
	}
}

func (f *Feed) errorf(format string, args ...any) error {
	return fmt.Errorf("feed: meeting %s: "+format, append([]any{f.cfg.Conference}, args...)...)
}

// consumer opens an ordered consumer on the meeting's subjects from where
// Run starts: Since ago, Lookback before the seed was stored, or the
// beginning.
func (f *Feed) consumer(ctx context.Context, seed *Snapshot) (jetstream.Consumer, error) {
	cc := jetstream.OrderedConsumerConfig{FilterSubjects: []string{f.subject}, DeliverPolicy: jetstream.DeliverAllPolicy}
	var start time.Time
	switch {
	case f.cfg.Since > 0:
		start = time.Now().Add(-f.cfg.Since)
	case seed != nil:
		start = seed.Updated.Add(-f.cfg.Lookback)
	}
	if !start.IsZero() {
		cc.DeliverPolicy, cc.OptStartTime = jetstream.DeliverByStartTimePolicy, &start
	}
	for {
		cons, err := f.cfg.JetStream.OrderedConsumer(ctx, fleet.StreamEvents, cc)
		if !errors.Is(err, jetstream.ErrStreamNotFound) {
			if err != nil {
				return nil, f.errorf("read the stream %s: %w", fleet.StreamEvents, err)
			}
			return cons, nil
		}
		// No worker has made the stream yet: wait for one, if the fleet
		// is to watch the meeting.
		if watched, err := f.desired(ctx); err != nil || !watched {
			if err == nil {
				err = ErrNotWatched
			}
			return nil, f.errorf("%w", err)
		}
		t := time.NewTimer(streamPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// streamPoll is how often Run looks for a stream no worker has made yet.
const streamPoll = 250 * time.Millisecond

// desired reports whether the meeting is in the desired set.
func (f *Feed) desired(ctx context.Context) (bool, error) {
	kv, err := f.cfg.JetStream.KeyValue(ctx, fleet.BucketDesired)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read the desired set: %w", err)
	}
	_, err = kv.Get(ctx, f.cfg.Conference)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound), errors.Is(err, jetstream.ErrKeyDeleted):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("read the desired set: %w", err)
	}
	return true, nil
}
