package scenario

import (
	"context"
	"time"

	natsfleet "github.com/confwatch/confwatch/fleet"
)

// usageSnap is every process's CPU and counters at one moment.
type usageSnap struct {
	at      time.Time
	nats    time.Duration // this process's CPU: the embedded server and the driver
	fake    procUsage
	workers []procUsage // zero for a dead worker
	stats   []natsfleet.Stats
	js      jsCounters
}

// usageRates are CPU seconds per second of wall time.
type usageRates struct {
	nats    float64
	workers []float64
}

func (r *fleetRun) snapshot(ctx context.Context) (usageSnap, error) {
	s := usageSnap{at: time.Now(), workers: make([]procUsage, len(r.workers)), stats: make([]natsfleet.Stats, len(r.workers))}
	var err error
	if s.js, err = readJS(ctx, r.js); err != nil {
		return s, err
	}
	s.nats, _ = processCPU()
	if s.fake, err = r.fake.Usage(); err != nil {
		return s, err
	}
	for i, w := range r.workers {
		if r.dead[i] {
			continue
		}
		if s.workers[i], err = w.Usage(); err != nil {
			return s, err
		}
		if s.stats[i], err = w.fleetStats(); err != nil {
			return s, err
		}
	}
	return s, nil
}

func perSecond(d time.Duration, span time.Duration) float64 { return d.Seconds() / span.Seconds() }

// steady measures the idle fleet over the window: every meeting held and
// subscribed, no pushes, only renewals, heartbeats and the sessions' own
// heartbeats.
func (r *fleetRun) steady(ctx context.Context, res *FleetResult) error {
	a, err := r.snapshot(ctx)
	if err != nil {
		return err
	}
	if err := sleepCtx(ctx, r.sz.window); err != nil {
		return err
	}
	b, err := r.snapshot(ctx)
	if err != nil {
		return err
	}
	span := b.at.Sub(a.at)
	st := FleetSteady{Window: span.Round(time.Millisecond), KVWrites: map[string]float64{}}
	for _, name := range fleetStreams {
		st.KVWrites[name] = float64(b.js.seq[name]-a.js.seq[name]) / span.Seconds()
	}
	st.API = float64(b.js.api-a.js.api) / span.Seconds()
	for i := range r.workers {
		st.WorkerCPU = append(st.WorkerCPU, perSecond(b.workers[i].cpu-a.workers[i].cpu, span))
		st.WorkerRSS = append(st.WorkerRSS, b.workers[i].rss)
	}
	st.NATSCPU = perSecond(b.nats-a.nats, span)
	st.Fake = perSecond(b.fake.cpu-a.fake.cpu, span)
	st.FakeRSS = b.fake.rss
	st.NATSRSS, _ = rssBytes(pidSelf())
	r.idle = usageRates{nats: st.NATSCPU, workers: st.WorkerCPU}
	res.Steady = st
	return nil
}

// publish floods the first worker's meetings and measures what it
// publishes, until no record has been published for a second.
func (r *fleetRun) publish(ctx context.Context, res *FleetResult) error {
	owners, err := leaseOwners(ctx, r.js)
	if err != nil {
		return err
	}
	const x = 0
	ids := ownedBy(owners, r.workerID(x))
	a, err := r.snapshot(ctx)
	if err != nil {
		return err
	}
	r.o.log().Info("fleet: flooding one worker's meetings", "worker", r.workerID(x), "meetings", len(ids), "pushes each", r.sz.flood)
	pushes, err := r.fake.flood(r.sz.flood, ids, 10*time.Minute)
	if err != nil {
		return err
	}
	lastAt, err := r.waitPublished(ctx, x, a.stats[x].Published)
	if err != nil {
		return err
	}
	b, err := r.snapshot(ctx)
	if err != nil {
		return err
	}
	p := FleetPublish{Worker: r.workerID(x), Meetings: len(ids), Pushes: pushes, Span: lastAt.Sub(a.at),
		Records: b.stats[x].Published - a.stats[x].Published, Errors: b.stats[x].PublishErrors - a.stats[x].PublishErrors,
		StreamMsgs: b.js.seq[natsfleet.StreamEvents] - a.js.seq[natsfleet.StreamEvents]}
	whole := b.at.Sub(a.at)
	workerCPU, natsCPU := b.workers[x].cpu-a.workers[x].cpu, b.nats-a.nats
	if p.Records > 0 {
		p.Rate = float64(p.Records) / p.Span.Seconds()
		p.WorkerPerRecord = (workerCPU - time.Duration(r.idle.workers[x]*float64(whole))) / time.Duration(p.Records)
		p.NATSPerRecord = (natsCPU - time.Duration(r.idle.nats*float64(whole))) / time.Duration(p.Records)
	}
	p.WorkerCPU, p.NATSCPU, p.FakeCPU = perSecond(workerCPU, whole), perSecond(natsCPU, whole), perSecond(b.fake.cpu-a.fake.cpu, whole)
	res.Pub = p
	return nil
}

// waitPublished polls worker i's Published count every 100 ms until it
// has not moved for a second, and returns when it last moved.
func (r *fleetRun) waitPublished(ctx context.Context, i int, from int64) (time.Time, error) {
	last, lastAt := from, time.Now()
	for time.Since(lastAt) < time.Second {
		if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
			return lastAt, err
		}
		st, err := r.workers[i].fleetStats()
		if err != nil {
			return lastAt, err
		}
		if st.Published != last {
			last, lastAt = st.Published, time.Now()
		}
	}
	return lastAt, nil
}
