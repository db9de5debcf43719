package scenario

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	natsfleet "github.com/confwatch/confwatch/fleet"
)

// FleetResult is the fleet scenario's outcome: M meetings on W worker
// processes, the fake service in another process, NATS embedded in this
// one.
type FleetResult struct {
	Meetings, Workers int
	Lease             time.Duration
	// Ramp is the time from writing the desired set (every worker running)
	// until the last meeting's session announced "subscribed"; RampP50 the
	// median meeting's. Placement is how many meetings each worker holds
	// after it.
	Ramp, RampP50 time.Duration
	Placement     []int
	Claims, Taken int64 // over the ramp, all workers

	Steady FleetSteady
	Pub    FleetPublish

	// Failover: a worker killed with SIGKILL; Moved is how many meetings
	// it held; Failover the time from the kill until each announced
	// "subscribed" from another worker.
	Moved    int
	Failover summary
	// Over the whole run, from the fake's front: the most live sockets a
	// meeting ever had at once, and ws tokens presented twice.
	MaxLiveSockets, TokenReuse int64
	LoadAvg                    string
}

// FleetSteady is the idle steady state over Window: every meeting held
// and subscribed, no pushes.
type FleetSteady struct {
	Window time.Duration
	// KVWrites is writes per second by bucket (each one a message of its
	// stream); API the JetStream API requests per second.
	KVWrites map[string]float64
	API      float64
	// WorkerCPU is each worker's CPU as a share of one core; NATS is this
	// process (the embedded server and the driver), Fake the fake's.
	WorkerCPU        []float64
	NATSCPU, Fake    float64
	WorkerRSS        []int64
	FakeRSS, NATSRSS int64
}

// FleetPublish is one worker's records under a flood of pushes on its
// meetings only.
type FleetPublish struct {
	Worker   string
	Meetings int
	Pushes   int64 // frames the fake sent to that worker's meetings
	// Records is what the worker published (Stats.Published), Errors what
	// it could not, over Span: from the flood's start to the last record.
	Records, Errors int64
	Span            time.Duration
	// Rate is Records per second; WorkerPerRecord and NATSPerRecord the
	// CPU each process spent per record beyond its idle steady-state rate.
	Rate                           float64
	WorkerPerRecord, NATSPerRecord time.Duration
	WorkerCPU, NATSCPU, FakeCPU    float64 // share of one core over Span
	StreamMsgs                     uint64  // messages the event stream gained
}

// fleetSize is a run's sizes.
type fleetSize struct {
	meetings, workers int
	lease, window     time.Duration
	flood             int // pushes per meeting of the flooded worker
}

func fleetSizes(o Options) fleetSize {
	return fleetSize{
		meetings: pick(o, o.N, 40, 1000),
		workers:  pick(o, o.Workers, 4, 4),
		lease:    pick(o, o.Lease, natsfleet.MinLease, natsfleet.DefaultLease),
		window:   pick(o, o.Window, 3*time.Second, 30*time.Second),
		flood:    pick(o, o.Rounds, 50, 200),
	}
}

// Fleet runs W `confwatch fleet`-equivalent worker processes (this
// binary's fleet-worker child role: fleet.Worker with the CLI's NATS
// options) against M meetings of internal/demo's fake service in another
// child process, with NATS (JetStream on a temporary data dir) embedded in
// this process. It measures the time until every meeting is owned and
// subscribed, the idle steady state (KV writes per second, CPU per
// process), one worker's publishing rate and CPU per record under a flood
// of pushes on its meetings, and the failover of a worker killed with
// SIGKILL. It fails if the fake ever saw two live sockets of a meeting or
// a ws token used twice.
func Fleet(ctx context.Context, o Options) (*FleetResult, error) {
	sz := fleetSizes(o)
	if lim := openFileLimit(); lim < uint64(sz.meetings)*2+1024 {
		return nil, fmt.Errorf("scenario: fleet: open-file limit %d is too low for %d meetings", lim, sz.meetings)
	}
	r, err := startFleetRun(ctx, o, sz)
	if err != nil {
		return nil, err
	}
	defer r.close()
	res := &FleetResult{Meetings: sz.meetings, Workers: sz.workers, Lease: sz.lease, LoadAvg: loadAvg()}
	for _, step := range []func(context.Context, *FleetResult) error{r.ramp, r.steady, r.publish, r.failover} {
		if err := step(ctx, res); err != nil {
			return nil, err
		}
	}
	c, err := r.fake.counters()
	if err != nil {
		return nil, err
	}
	res.MaxLiveSockets, res.TokenReuse = c.MaxLiveSockets, c.TokenReuse
	res.print(o.out(), o.mode())
	if c.MaxLiveSockets > 1 || c.TokenReuse != 0 {
		return res, fmt.Errorf("scenario: fleet: a meeting had %d live sockets at once, %d ws tokens were presented twice", c.MaxLiveSockets, c.TokenReuse)
	}
	return res, nil
}

// fleetRun is one run's processes and observers.
type fleetRun struct {
	o        Options
	sz       fleetSize
	dir      string
	ns       *natsfleet.Server
	nc       *nats.Conn
	js       jetstream.JetStream
	status   *statusLog
	fake     fleetChild
	workers  []fleetChild
	dead     []bool
	meetings []natsfleet.Meeting
	ids      []string
	idle     usageRates // from the steady state, per second
}

func startFleetRun(ctx context.Context, o Options, sz fleetSize) (*fleetRun, error) {
	dir, err := os.MkdirTemp("", "confwatch-fleet-load-")
	if err != nil {
		return nil, fmt.Errorf("scenario: fleet: %w", err)
	}
	r := &fleetRun{o: o, sz: sz, dir: dir}
	if err := r.start(ctx); err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

func (r *fleetRun) start(ctx context.Context) error {
	var err error
	if r.ns, err = natsfleet.StartServer(natsfleet.ServerConfig{Listen: "127.0.0.1:0", DataDir: filepath.Join(r.dir, "nats")}); err != nil {
		return err
	}
	if r.nc, err = nats.Connect(r.ns.ClientURL(), nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {})); err != nil {
		return fmt.Errorf("scenario: fleet: %w", err)
	}
	if r.js, err = jetstream.New(r.nc); err != nil {
		return fmt.Errorf("scenario: fleet: %w", err)
	}
	if r.status, err = watchStatus(r.nc); err != nil {
		return err
	}
	fake, err := startChild(ctx, r.o.Spawn, []string{roleFleetFake, "-meetings", fmt.Sprint(r.sz.meetings)})
	if err != nil {
		return err
	}
	r.fake = fleetChild{fake}
	if err := r.writeMeetings(); err != nil {
		return err
	}
	for i := range r.sz.workers {
		w, err := startChild(ctx, r.o.Spawn, []string{roleFleetWorker, "-nats", r.ns.ClientURL(), "-api", r.fake.URL(),
			"-name", fmt.Sprintf("w%d", i+1), "-lease", r.sz.lease.String()})
		if err != nil {
			return err
		}
		r.workers, r.dead = append(r.workers, fleetChild{w}), append(r.dead, false)
	}
	return nil
}

// writeMeetings writes one password file per meeting and the desired set
// to apply.
func (r *fleetRun) writeMeetings() error {
	ms, err := r.fake.meetings()
	if err != nil {
		return err
	}
	for _, m := range ms {
		f := filepath.Join(r.dir, m.ID+".pw")
		if err := os.WriteFile(f, []byte(m.Password+"\n"), 0o600); err != nil {
			return fmt.Errorf("scenario: fleet: %w", err)
		}
		r.meetings = append(r.meetings, natsfleet.Meeting{Conference: m.ID, PasswordFile: f})
		r.ids = append(r.ids, m.ID)
	}
	return nil
}

func (r *fleetRun) close() {
	for i, w := range r.workers {
		if !r.dead[i] {
			_ = w.Close()
		}
	}
	if r.fake.remoteFake != nil {
		_ = r.fake.Close()
	}
	if r.nc != nil {
		r.nc.Close()
	}
	if r.ns != nil {
		r.ns.Shutdown()
	}
	_ = os.RemoveAll(r.dir)
}

func (r *fleetRun) workerID(i int) string { return r.workers[i].info.Worker }

// ramp waits for every worker's heartbeat, writes the desired set and
// waits until every meeting announced "subscribed".
func (r *fleetRun) ramp(ctx context.Context, res *FleetResult) error {
	deadline := time.Now().Add(time.Minute)
	for countKeys(ctx, r.js, natsfleet.BucketWorkers) < r.sz.workers {
		if time.Now().After(deadline) {
			return errors.New("scenario: fleet: workers not all live within a minute")
		}
		if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
	r.o.log().Info("fleet: workers live; applying the desired set", "meetings", len(r.meetings))
	start := time.Now()
	actx, cancel := context.WithTimeout(ctx, time.Minute)
	_, err := natsfleet.Apply(actx, r.js, r.meetings)
	cancel()
	if err != nil {
		return err
	}
	at, err := r.status.waitSubscribed(ctx, r.ids, start, "", 10*time.Minute)
	if err != nil {
		return err
	}
	var took []time.Duration
	for _, t := range at {
		took = append(took, t.Sub(start))
	}
	s := summarize(took)
	res.Ramp, res.RampP50 = s.Max, s.P50
	// Let the last claims' state writes and any handover settle.
	if err := sleepCtx(ctx, r.sz.lease/3); err != nil {
		return err
	}
	owners, err := leaseOwners(ctx, r.js)
	if err != nil {
		return err
	}
	for i := range r.workers {
		res.Placement = append(res.Placement, countOwned(owners, r.workerID(i)))
		st, err := r.workers[i].fleetStats()
		if err != nil {
			return err
		}
		res.Claims, res.Taken = res.Claims+st.Claims, res.Taken+st.Taken
	}
	r.o.log().Info("fleet: all subscribed", "ramp", res.Ramp, "placement", res.Placement)
	return nil
}

func countOwned(owners map[string]string, worker string) int {
	n := 0
	for _, w := range owners {
		if w == worker {
			n++
		}
	}
	return n
}

// ownedBy lists the meetings whose lease names worker, sorted.
func ownedBy(owners map[string]string, worker string) []string {
	var out []string
	for id, w := range owners {
		if w == worker {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// failover kills the last worker with SIGKILL and times its meetings'
// moves.
func (r *fleetRun) failover(ctx context.Context, res *FleetResult) error {
	v := len(r.workers) - 1
	owners, err := leaseOwners(ctx, r.js)
	if err != nil {
		return err
	}
	victim := ownedBy(owners, r.workerID(v))
	killed := time.Now()
	r.workers[v].kill()
	r.dead[v] = true
	r.o.log().Info("fleet: worker killed", "worker", r.workerID(v), "meetings", len(victim))
	at, err := r.status.waitSubscribed(ctx, victim, killed, r.workerID(v), r.sz.lease+time.Minute)
	if err != nil {
		return err
	}
	var took []time.Duration
	for _, t := range at {
		took = append(took, t.Sub(killed))
	}
	res.Moved, res.Failover = len(victim), summarize(took)
	return nil
}

func (r *FleetResult) print(w io.Writer, mode string) {
	fmt.Fprintf(w, "\n== fleet (%s): %d meetings, %d worker processes, lease %v; fake service in a child process, NATS (JetStream, file store) embedded here ==\n",
		mode, r.Meetings, r.Workers, r.Lease)
	fmt.Fprintf(w, "desired set written → all subscribed: %s (median meeting %s); placement %v; claims %d, found taken %d\n",
		fmtDur(r.Ramp), fmtDur(r.RampP50), r.Placement, r.Claims, r.Taken)
	s := r.Steady
	var kv []string
	total := 0.0
	for _, name := range fleetStreams[:4] {
		kv = append(kv, fmt.Sprintf("%s %.1f", strings.TrimPrefix(name, "KV_confwatch-"), s.KVWrites[name]))
		total += s.KVWrites[name]
	}
	fmt.Fprintf(w, "steady state over %v, no pushes: KV writes %.1f/s (%s), JetStream API requests %.1f/s, event records %.1f/s\n",
		s.Window, total, strings.Join(kv, ", "), s.API, s.KVWrites[natsfleet.StreamEvents])
	fmt.Fprintf(w, "  CPU (%% of one core): workers %s; NATS+driver %.1f; fake %.1f.  RSS: workers %s MiB; NATS+driver %.0f MiB; fake %.0f MiB\n",
		pcts(s.WorkerCPU), 100*s.NATSCPU, 100*s.Fake, mibs(s.WorkerRSS), float64(s.NATSRSS)/(1<<20), float64(s.FakeRSS)/(1<<20))
	p := r.Pub
	fmt.Fprintf(w, "one worker publishing (%s, %d meetings, %d pushes sent by the fake): %d records in %s = %.0f records/s, %d not stored; stream +%d messages\n",
		p.Worker, p.Meetings, p.Pushes, p.Records, fmtDur(p.Span), p.Rate, p.Errors, p.StreamMsgs)
	fmt.Fprintf(w, "  CPU per record beyond idle: worker %.2f µs, NATS %.2f µs; over the span (%% of one core): worker %.0f, NATS+driver %.0f, fake %.0f\n",
		float64(p.WorkerPerRecord)/1e3, float64(p.NATSPerRecord)/1e3, 100*p.WorkerCPU, 100*p.NATSCPU, 100*p.FakeCPU)
	fmt.Fprintf(w, "kill -9 of a worker holding %d meetings → each subscribed again by another: p50 %s, p99 %s, max %s (lease %v)\n",
		r.Moved, fmtDur(r.Failover.P50), fmtDur(r.Failover.P99), fmtDur(r.Failover.Max), r.Lease)
	fmt.Fprintf(w, "fake: per-meeting live-socket high-water %d, ws tokens presented twice %d; load average %s\n", r.MaxLiveSockets, r.TokenReuse, r.LoadAvg)
}

func pcts(xs []float64) string {
	var out []string
	for _, x := range xs {
		out = append(out, fmt.Sprintf("%.1f", 100*x))
	}
	return strings.Join(out, " / ")
}

func mibs(xs []int64) string {
	var out []string
	for _, x := range xs {
		out = append(out, fmt.Sprintf("%.0f", float64(x)/(1<<20)))
	}
	return strings.Join(out, " / ")
}
