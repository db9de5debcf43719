package feed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
	"github.com/confwatch/confwatch/fleet"
	"github.com/confwatch/confwatch/internal/record"
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
	defer it.Stop()

	msgs, readErr := make(chan jetstream.Msg), make(chan error, 1)
	wg.Go(func() {
		for {
			m, err := it.Next()
			if err != nil {
				readErr <- err
				return
			}
			select {
			case msgs <- m:
			case <-rctx.Done():
				return
			}
		}
	})
	watched := make(chan bool)
	wg.Go(func() { f.watchDesired(rctx, watched) })
	if f.cfg.OnOwner != nil {
		wg.Go(func() { f.watchOwner(rctx) })
	}

	r := &runner{f: f, h: h, ctx: ctx, watched: -1}
	if info := cons.CachedInfo(); info != nil {
		r.pending = info.NumPending
	}
	if seed != nil {
		r.seeded(seed)
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-readErr:
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return f.errorf("read the stream %s: %w", fleet.StreamEvents, err)
		case w := <-watched:
			r.watched = 0
			if w {
				r.watched = 1
			}
		case m := <-msgs:
			if err := r.message(m); err != nil {
				return err
			}
		}
		caughtUp := r.pending == 0 && r.buf == nil
		switch {
		case caughtUp && r.seedEnded:
			// The stored picture is of the end, and the stream no longer
			// holds the end record (it aged out).
			return f.errorf("%w", connector.ErrMeetingEnded)
		case caughtUp && r.watched == 0:
			return f.errorf("%w", ErrNotWatched)
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

// watchDesired sends on out whether the meeting is in the desired set,
// once known and at each change.
func (f *Feed) watchDesired(ctx context.Context, out chan<- bool) {
	send := func(v bool) bool {
		select {
		case out <- v:
			return true
		case <-ctx.Done():
			return false
		}
	}
	kv, err := f.cfg.JetStream.KeyValue(ctx, fleet.BucketDesired)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		send(false)
		return
	}
	if err != nil {
		f.log.Warn("feed: desired set not readable; going on as if the meeting were watched", slog.Any("err", err))
		return
	}
	watchKey(ctx, kv, f.cfg.Conference, f.log, func(e jetstream.KeyValueEntry) bool {
		return send(e != nil && e.Operation() == jetstream.KeyValuePut)
	})
}

// watchOwner calls OnOwner with the lease's worker at each change.
func (f *Feed) watchOwner(ctx context.Context) {
	kv, err := f.cfg.JetStream.KeyValue(ctx, fleet.BucketLeases)
	if err != nil {
		if !errors.Is(err, jetstream.ErrBucketNotFound) {
			f.log.Warn("feed: leases not readable", slog.Any("err", err))
		}
		f.cfg.OnOwner("")
		return
	}
	last := "\x00"
	watchKey(ctx, kv, f.cfg.Conference, f.log, func(e jetstream.KeyValueEntry) bool {
		if o := ownerOf(e); o != last {
			last = o
			f.cfg.OnOwner(o)
		}
		return true
	})
}

// watchKey calls fn with key's entry once its current value is known (nil
// when it has none), then with each change, until ctx is done or fn
// returns false.
func watchKey(ctx context.Context, kv jetstream.KeyValue, key string, log *slog.Logger, fn func(jetstream.KeyValueEntry) bool) {
	w, err := kv.Watch(ctx, key)
	if err != nil {
		if ctx.Err() == nil {
			log.Warn("feed: cannot watch", slog.String("bucket", kv.Bucket()), slog.Any("err", err))
		}
		return
	}
	defer w.Stop()
	var latest jetstream.KeyValueEntry
	initial := true
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-w.Updates():
			switch {
			case !ok:
				return
			case initial && e != nil:
				latest = e
				continue
			case initial:
				initial = false
				e = latest
			}
			if !fn(e) {
				return
			}
		}
	}
}

// ownerOf is the worker named by a lease entry, "" for none.
func ownerOf(e jetstream.KeyValueEntry) string {
	if e == nil || e.Operation() != jetstream.KeyValuePut {
		return ""
	}
	var l fleet.Lease
	if json.Unmarshal(e.Value(), &l) != nil {
		return ""
	}
	return l.Worker
}

// runner is one Run's position in the stream. It is owned by Run's
// goroutine.
type runner struct {
	f   *Feed
	h   events.Handler
	ctx context.Context
	// pending is how many records the server held after the last one
	// received; watched is -1 unknown, 0 no, 1 yes.
	pending uint64
	watched int
	// While a seed's records are looked for, the records received (non-
	// nil while buffering) and the seed's versions.
	buf      []parsed
	versions map[string]meeting.TypeVersion

	seedEnded         bool // the seed is the picture of the meeting's end
	started, blind    bool // a session's stream has begun; it is between a Disconnected and a (re)subscribe
	blindFrom, lastAt time.Time
	lastWorker        string
}

// parsed is one record as read from the stream.
type parsed struct {
	r      wireRecord
	at     time.Time
	worker string
}

// wireRecord is record.Record as read back: the payload kept as JSON.
type wireRecord struct {
	Time       string              `json:"time"`
	Conference string              `json:"conference"`
	Kind       string              `json:"kind"`
	Action     string              `json:"action"`
	Mode       string              `json:"mode"`
	Version    int64               `json:"version"`
	MsgID      string              `json:"msgID"`
	Payload    json.RawMessage     `json:"payload"`
	Status     string              `json:"status"`
	BlindMs    int64               `json:"blindMs"`
	Reason     string              `json:"reason"`
	Change     *record.NamedChange `json:"change"`
}

// seeded sets the runner up to continue from seed: the records up to the
// last one seed holds are skipped.
func (r *runner) seeded(seed *Snapshot) {
	r.started = true
	r.blind, r.blindFrom = !seed.Snapshot.Connected, seed.Snapshot.BlindSince
	r.lastAt = seed.Updated
	r.seedEnded = ended(seed.Snapshot)
	if r.pending > 0 {
		r.buf, r.versions = []parsed{}, seed.Snapshot.Versions
	}
}

func (r *runner) message(m jetstream.Msg) error {
	if meta, err := m.Metadata(); err == nil {
		r.pending = meta.NumPending
	}
	p, ok := r.parse(m)
	if r.buf != nil {
		if ok {
			r.buf = append(r.buf, p)
		}
		if r.pending > 0 {
			return nil
		}
		return r.flush()
	}
	if !ok {
		return nil
	}
	return r.deliver(p)
}

// flush ends the search for the seed's last record: the records after the
// last push the seed holds (the newest one whose action, mode and version
// are the seed's for that action) are delivered, the others skipped.
func (r *runner) flush() error {
	buf := r.buf
	r.buf = nil
	from := 0
	for i, p := range buf {
		if p.r.Kind != record.KindPush {
			continue
		}
		if tv, ok := r.versions[p.r.Action]; ok && tv.Mode.String() == p.r.Mode && tv.Version == p.r.Version {
			from = i + 1
		}
	}
	r.f.skipped.Add(uint64(from))
	for _, p := range buf[from:] {
		if err := r.deliver(p); err != nil {
			return err
		}
	}
	return nil
}

func (r *runner) parse(m jetstream.Msg) (parsed, bool) {
	var p parsed
	err := json.Unmarshal(m.Data(), &p.r)
	if err == nil && p.r.Conference != r.f.cfg.Conference {
		err = fmt.Errorf("conference %q", p.r.Conference)
	}
	if err == nil {
		p.at, err = parseTime(p.r.Time)
	}
	if err != nil {
		r.f.malformed.Add(1)
		r.f.log.Warn("feed: record dropped", slog.String("subject", m.Subject()), slog.Any("err", err))
		return p, false
	}
	p.worker = m.Headers().Get(fleet.HeaderWorker)
	return p, true
}

// parseTime reads a record's time; in the local zone, as events.Decode
// gives times.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.IsZero() {
		return time.Time{}, err
	}
	return t.Local(), nil
}

// deliver hands one record to the handler as the event it was made from.
func (r *runner) deliver(p parsed) error {
	defer func() { r.lastAt, r.lastWorker = p.at, p.worker }()
	switch p.r.Kind {
	case record.KindPush:
		push, err := pushOf(p)
		if err != nil {
			r.f.malformed.Add(1)
			r.f.log.Warn("feed: push dropped", slog.String("action", p.r.Action), slog.Any("err", err))
			return nil
		}
		r.started = true
		r.emit(push)
	case record.KindStatus:
		return r.status(p)
	case record.KindChange:
		if p.r.Change != nil && r.f.cfg.OnChange != nil {
			r.f.delivered.Add(1)
			r.f.cfg.OnChange(p.r.Change.Change)
		}
	}
	return nil
}

func (r *runner) emit(e events.Event) {
	r.f.delivered.Add(1)
	r.h.HandleEvent(r.ctx, e)
}

// status delivers a lifecycle record. A subscribed record after the
// stream has begun (a new owner's first session after a failover or a
// handover, or the owner's session started again) reaches the handler as
// a Resubscribed, after a Disconnected when the stream had none, so that
// the State learns what changed meanwhile as after a reconnect.
func (r *runner) status(p parsed) error {
	switch p.r.Status {
	case record.StatusSubscribed:
		if !r.started {
			r.emit(&events.Subscribed{At: p.at})
			break
		}
		if !r.blind {
			at := r.lastAt
			if at.IsZero() {
				at = p.at
			}
			r.emit(&events.Disconnected{At: at, Err: handover(r.lastWorker, p.worker)})
			r.blindFrom = at
		}
		r.emit(&events.Resubscribed{BlindFrom: r.blindFrom, BlindTo: p.at})
	case record.StatusDisconnected:
		r.emit(&events.Disconnected{At: p.at, Err: errors.New(p.r.Reason)})
		r.started, r.blind, r.blindFrom = true, true, p.at
		return nil
	case record.StatusResubscribed:
		r.emit(&events.Resubscribed{BlindFrom: p.at.Add(-time.Duration(p.r.BlindMs) * time.Millisecond), BlindTo: p.at})
	case record.StatusEnded:
		r.f.delivered.Add(1)
		return r.f.errorf("%w", connector.ErrMeetingEnded)
	default: // stopped is a CLI's own end, never published
		return nil
	}
	r.started, r.blind = true, false
	return nil
}

// handover says why a Disconnected was inferred.
func handover(from, to string) error {
	if from == to || from == "" {
		return errors.New("the owner's session started again")
	}
	return fmt.Errorf("worker %s took the meeting over from %s", to, from)
}

// pushOf rebuilds the push a record was made from. Raw is the record's
// payload (join links REDACTED), not the frame, which the stream does not
// keep.
func pushOf(p parsed) (*events.Push, error) {
	payload, err := decodePayload(p.r.Action, p.r.Payload)
	if err != nil {
		return nil, err
	}
	push := &events.Push{Payload: payload, Raw: []byte(p.r.Payload)}
	push.Action, push.Version, push.CreateTime, push.MsgID, push.ConfID = p.r.Action, p.r.Version, p.at, p.r.MsgID, p.r.Conference
	push.Mode = events.ModeDelta
	if p.r.Mode == events.ModeFull.String() {
		push.Mode = events.ModeFull
	}
	return push, nil
}
