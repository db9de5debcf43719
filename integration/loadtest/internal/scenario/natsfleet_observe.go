package scenario

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	natsfleet "github.com/confwatch/confwatch/fleet"
	"github.com/confwatch/confwatch/internal/record"
)

// fleetChild is a fleet scenario child process: the fake service or a
// worker, on the serve line protocol.
type fleetChild struct{ *remoteFake }

// kill ends the child with SIGKILL and reaps it.
func (c fleetChild) kill() {
	_ = c.cmd.Process.Kill()
	<-c.exited
}

// fleetStats returns a worker child's fleet.Stats.
func (c fleetChild) fleetStats() (natsfleet.Stats, error) {
	var st natsfleet.Stats
	raw, err := c.callRaw("stats")
	if err != nil {
		return st, err
	}
	return st, json.Unmarshal([]byte(raw), &st)
}

// counters returns the fake child's counters.
func (c fleetChild) counters() (fakeCounters, error) {
	var fc fakeCounters
	raw, err := c.callRaw("counters")
	if err != nil {
		return fc, err
	}
	return fc, json.Unmarshal([]byte(raw), &fc)
}

// meetings returns the fake child's meetings and passwords.
func (c fleetChild) meetings() ([]fleetMeeting, error) {
	var ms []fleetMeeting
	raw, err := c.callRaw("meetings")
	if err != nil {
		return nil, err
	}
	return ms, json.Unmarshal([]byte(raw), &ms)
}

// flood makes the fake child send n pushes to each of ids at once.
func (c fleetChild) flood(n int, ids []string, timeout time.Duration) (int64, error) {
	f, err := c.call(fmt.Sprintf("flood %d mixed %d %s", n, ms(timeout), strings.Join(ids, ",")))
	if err != nil {
		return 0, err
	}
	if len(f) < 1 {
		return 0, errors.New("scenario: fleet flood: short reply")
	}
	return strconv.ParseInt(f[0], 10, 64)
}

// statusLog records, from a core subscription on every meeting's status
// subject, when each meeting's session announced "subscribed" and from
// which worker: the moment its socket is live for the fleet's consumers.
type statusLog struct {
	sub *nats.Subscription

	mu   sync.Mutex
	subs map[string][]statusAt // conference → its "subscribed" records, in arrival order
}

type statusAt struct {
	worker string
	at     time.Time
}

func watchStatus(nc *nats.Conn) (*statusLog, error) {
	l := &statusLog{subs: map[string][]statusAt{}}
	sub, err := nc.Subscribe(natsfleet.SubjectPrefix+".*.status", func(m *nats.Msg) {
		at := time.Now()
		var r record.Record
		if json.Unmarshal(m.Data, &r) != nil || r.Status != record.StatusSubscribed {
			return
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		l.subs[r.Conference] = append(l.subs[r.Conference], statusAt{worker: m.Header.Get(natsfleet.HeaderWorker), at: at})
	})
	if err != nil {
		return nil, fmt.Errorf("scenario: fleet: subscribe: %w", err)
	}
	if err := sub.SetPendingLimits(-1, -1); err != nil {
		return nil, err
	}
	l.sub = sub
	return l, nil
}

// subscribedSince returns, for each of ids that announced "subscribed"
// after t from a worker other than not, the first such time.
func (l *statusLog) subscribedSince(ids []string, t time.Time, not string) map[string]time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]time.Time{}
	for _, id := range ids {
		for _, s := range l.subs[id] {
			if s.at.After(t) && s.worker != not {
				out[id] = s.at
				break
			}
		}
	}
	return out
}

// waitSubscribed polls until every id announced "subscribed" after t
// from a worker other than not, and returns the times.
func (l *statusLog) waitSubscribed(ctx context.Context, ids []string, t time.Time, not string, timeout time.Duration) (map[string]time.Time, error) {
	deadline := time.Now().Add(timeout)
	for {
		got := l.subscribedSince(ids, t, not)
		if len(got) == len(ids) {
			return got, nil
		}
		if time.Now().After(deadline) {
			return got, fmt.Errorf("scenario: fleet: %d of %d meetings subscribed after %v", len(got), len(ids), timeout)
		}
		if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
			return got, err
		}
	}
}

// jsCounters are the JetStream figures of one moment: each bucket's and
// the event stream's last sequence (every write is one message), and the
// account's API request count.
type jsCounters struct {
	seq map[string]uint64
	api uint64
}

// fleetStreams are the streams counted: the four buckets' and the events'.
var fleetStreams = []string{
	"KV_" + natsfleet.BucketLeases, "KV_" + natsfleet.BucketWorkers, "KV_" + natsfleet.BucketState, "KV_" + natsfleet.BucketDesired, natsfleet.StreamEvents,
}

func readJS(ctx context.Context, js jetstream.JetStream) (jsCounters, error) {
	c := jsCounters{seq: map[string]uint64{}}
	for _, name := range fleetStreams {
		s, err := js.Stream(ctx, name)
		if err != nil {
			return c, fmt.Errorf("scenario: fleet: stream %s: %w", name, err)
		}
		info, err := s.Info(ctx)
		if err != nil {
			return c, fmt.Errorf("scenario: fleet: stream %s: %w", name, err)
		}
		c.seq[name] = info.State.LastSeq
	}
	ai, err := js.AccountInfo(ctx)
	if err != nil {
		return c, fmt.Errorf("scenario: fleet: account info: %w", err)
	}
	c.api = ai.API.Total
	return c, nil
}

// leaseOwners maps each leased meeting to the worker on its lease.
func leaseOwners(ctx context.Context, js jetstream.JetStream) (map[string]string, error) {
	kv, err := js.KeyValue(ctx, natsfleet.BucketLeases)
	if err != nil {
		return nil, err
	}
	w, err := kv.WatchAll(ctx)
	if err != nil {
		return nil, err
	}
	defer w.Stop()
	out := map[string]string{}
	for e := range w.Updates() {
		if e == nil {
			break
		}
		var l natsfleet.Lease
		if e.Operation() == jetstream.KeyValuePut && json.Unmarshal(e.Value(), &l) == nil {
			out[e.Key()] = l.Worker
		}
	}
	return out, nil
}

// countKeys returns how many live keys a bucket holds, or 0 while it does
// not exist.
func countKeys(ctx context.Context, js jetstream.JetStream, bucket string) int {
	kv, err := js.KeyValue(ctx, bucket)
	if err != nil {
		return 0
	}
	keys, err := kv.Keys(ctx)
	if err != nil {
		return 0
	}
	return len(keys)
}
