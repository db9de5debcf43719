package feed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
	"github.com/confwatch/confwatch/fleet"
	"github.com/confwatch/confwatch/internal/record"
)

// runner is one Run's position in the stream. It is owned by Run's
// goroutine.
type runner struct {
	f   *Feed
	h   events.Handler
	ctx context.Context
	// From Run's goroutines: records, the reader's end, and whether the
	// meeting is in the desired set.
	msgs    chan jetstream.Msg
	readErr chan error
	watched chan bool
	// pending is how many records the server held after the last one
	// received; inSet is -1 unknown, 0 no, 1 yes.
	pending uint64
	inSet   int
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

func newRunner(ctx context.Context, f *Feed, h events.Handler, cons jetstream.Consumer, seed *Snapshot) *runner {
	r := &runner{f: f, h: h, ctx: ctx, inSet: -1,
		msgs: make(chan jetstream.Msg), readErr: make(chan error, 1), watched: make(chan bool)}
	if info := cons.CachedInfo(); info != nil {
		r.pending = info.NumPending
	}
	if seed != nil {
		r.seeded(seed)
	}
	return r
}

// loop delivers records until one ends the run, or ctx does.
func (r *runner) loop() error {
	for {
		if err := r.next(); err != nil {
			return err
		}
		if err := r.caughtUp(); err != nil {
			return err
		}
	}
}

// next waits for one thing to happen: a record, the reader's end, news of
// the desired set, ctx done.
func (r *runner) next() error {
	select {
	case <-r.ctx.Done():
		return r.ctx.Err()
	case err := <-r.readErr:
		if r.ctx.Err() != nil {
			return r.ctx.Err()
		}
		return r.f.errorf("read the stream %s: %w", fleet.StreamEvents, err)
	case in := <-r.watched:
		r.inSet = 0
		if in {
			r.inSet = 1
		}
		return nil
	case m := <-r.msgs:
		return r.message(m)
	}
}

// caughtUp ends the run once every record the stream holds is delivered
// and nothing more can come.
func (r *runner) caughtUp() error {
	if r.pending > 0 || r.buf != nil {
		return nil
	}
	switch {
	case r.seedEnded:
		// The stored picture is of the end, and the stream no longer
		// holds the end record (it aged out).
		return r.f.errorf("%w", connector.ErrMeetingEnded)
	case r.inSet == 0:
		return r.f.errorf("%w", ErrNotWatched)
	}
	return nil
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
