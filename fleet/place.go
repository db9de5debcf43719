package fleet

import (
	"context"
	"encoding/json"
	"hash/fnv"
	"log/slog"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// evaluateEvery is how often the placer looks again at meetings waiting
// for their turn, without any news.
const evaluateEvery = 100 * time.Millisecond

// placer decides what this worker holds. One goroutine (run) owns every
// field: the views of the three buckets, the holders and the timers of
// meetings waiting to be claimed.
type placer struct {
	w       *Worker
	st      *store
	d       *holderDeps
	self    string
	started time.Time

	desired map[string]Meeting
	leases  map[string]leaseView
	peers   map[string]peer // other workers, by ID
	// peersBefore is the picture a reload replaced, for the settle times.
	peersBefore map[string]peer
	holders     map[string]*handle
	exits       chan result

	unowned  map[string]time.Time // since when a desired meeting has no lease
	excluded map[string]exclusion // a meeting's last owner, not to be ranked for it
	backoff  map[string]time.Time // no claim before this
	views    [nViews]*view
	hctx     context.Context // the holders' context: outlives Run's, so that they can release
	// selfSeen is when the workers view last showed this worker's own
	// heartbeat: the echo that proves the watchers alive.
	selfSeen time.Time
	// reconnects is the connection's reconnect count when the views
	// were last started.
	reconnects uint64
}

type leaseView struct {
	owner string
	rev   uint64
}

type peer struct {
	hb   Heartbeat
	seen time.Time // first heartbeat seen, for the settle time
}

type exclusion struct {
	worker string
	until  time.Time
}

type handle struct {
	h        *holder
	spec     Meeting
	stopping bool
}

func newPlacer(w *Worker, st *store, d *holderDeps) *placer {
	p := &placer{
		w: w, st: st, d: d, self: w.id,
		desired: map[string]Meeting{}, leases: map[string]leaseView{}, peers: map[string]peer{},
		holders: map[string]*handle{}, exits: make(chan result),
		unowned: map[string]time.Time{}, excluded: map[string]exclusion{}, backoff: map[string]time.Time{},
	}
	p.views = [nViews]*view{
		viewDesired: {kv: st.desired, apply: p.applyDesired},
		viewLeases:  {kv: st.leases, apply: p.applyLease},
		viewWorkers: {kv: st.workers, apply: p.applyWorker},
	}
	return p
}

func (p *placer) run(ctx context.Context) error {
	p.started = time.Now()
	hctx, hcancel := context.WithCancel(context.WithoutCancel(ctx))
	defer hcancel()
	p.hctx = hctx
	wctx, wcancel := context.WithCancel(ctx)
	defer wcancel()
	p.reconnects = p.w.cfg.Conn.Stats().Reconnects
	for _, v := range p.views {
		if err := v.start(wctx); err != nil {
			return err
		}
	}
	hbDone := make(chan struct{})
	go func() {
		defer close(hbDone)
		p.w.heartbeat(wctx, p.st.workers)
	}()
	tick := time.NewTicker(evaluateEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			wcancel()
			<-hbDone // the heartbeat is deleted first: nobody ranks this worker any more
			p.shutdown()
			return nil
		case e, ok := <-p.views[viewDesired].updates():
			p.views[viewDesired].receive(wctx, e, ok)
		case e, ok := <-p.views[viewLeases].updates():
			p.views[viewLeases].receive(wctx, e, ok)
		case e, ok := <-p.views[viewWorkers].updates():
			p.views[viewWorkers].receive(wctx, e, ok)
		case r := <-p.exits:
			p.exited(r)
		case <-tick.C:
			p.rewatchIfStale(wctx, time.Now())
			for _, v := range p.views {
				v.restartIfStopped(wctx)
			}
		}
		p.evaluate(time.Now())
	}
}

// rewatchIfStale watches every bucket afresh after the connection
// reconnected, and when the workers view has not shown this worker's own
// heartbeat for two periods although the server acknowledged one since.
// The watchers then look alive on the client but may be dead on the
// server: a server restart forgets the consumers behind the KV watchers,
// and nats.go recreates them late (tens of seconds) and from past entries
// it never delivered, so the expiry of a lease would never be seen. Each
// new watcher replaces its picture whole once its initial values are in.
func (p *placer) rewatchIfStale(ctx context.Context, now time.Time) {
	why := ""
	if n := p.w.cfg.Conn.Stats().Reconnects; n != p.reconnects {
		p.reconnects, why = n, "NATS reconnected"
	} else if p.echoLost(now) {
		why = "own heartbeat not seen in the workers bucket"
	}
	if why == "" {
		return
	}
	p.d.log.Info("fleet: watching every bucket afresh", slog.String("why", why))
	for _, v := range p.views {
		v.restart(ctx)
	}
}

// echoLost reports whether the workers view missed two of this worker's
// heartbeats that the server acknowledged.
func (p *placer) echoLost(now time.Time) bool {
	v := p.views[viewWorkers]
	if v.w == nil || v.loading || !p.w.reachable(now) {
		return false
	}
	echo := p.selfSeen
	if echo.Before(v.startedAt) {
		echo = v.startedAt
	}
	return time.Unix(0, p.w.beat.Load()).Sub(echo) > 2*p.d.t.renewEvery
}

// shutdown stops every holder and waits for them: each stops its session,
// writes its last picture and releases its lease.
func (p *placer) shutdown() {
	for _, hd := range p.holders {
		p.send(hd, holderCmd{stop: stopShutdown})
	}
	for len(p.holders) > 0 {
		p.exited(<-p.exits)
	}
	for _, v := range p.views {
		v.stop()
	}
}

// send hands a command to a holder without blocking: a stop replaces a
// pending change, and nothing replaces a stop.
func (p *placer) send(hd *handle, c holderCmd) {
	if hd.stopping {
		return
	}
	hd.stopping = c.stop != ""
	select {
	case <-hd.h.cmds:
	default:
	}
	hd.h.cmds <- c
}

func (p *placer) exited(r result) {
	delete(p.holders, r.conf)
	p.w.held.Store(int64(len(p.holders)))
	now := time.Now()
	switch r.outcome {
	case outNotClaimed:
		p.backoff[r.conf] = now.Add(2 * p.d.t.claimStep)
		p.d.log.Warn("fleet: claim failed", slog.String("conference", r.conf), slog.Any("err", r.err))
	case outNoCredential:
		p.backoff[r.conf] = now.Add(30 * time.Second)
		p.d.log.Error("fleet: credential reference does not resolve on this worker", slog.String("conference", r.conf), slog.Any("err", r.err))
	case outFenced:
		// Let the others take it; this worker may be the one cut off.
		p.backoff[r.conf] = now.Add(p.d.t.lease)
	}
}

// evaluate stops what is no longer wanted, claims what is this worker's
// turn, and hands over what another worker should hold.
func (p *placer) evaluate(now time.Time) {
	for _, v := range p.views {
		if !v.everReady {
			return
		}
	}
	for conf, hd := range p.holders {
		m, ok := p.desired[conf]
		switch {
		case !ok:
			p.send(hd, holderCmd{stop: stopRemoved})
		case !sameMeeting(m, hd.spec):
			hd.spec = m
			p.send(hd, holderCmd{spec: &m})
		}
	}
	if now.Before(p.started.Add(p.d.t.grace)) {
		return
	}
	for _, conf := range sortedKeys(p.desired) {
		p.consider(conf, now)
	}
	p.rebalance(now)
}

func (p *placer) consider(conf string, now time.Time) {
	if p.holders[conf] != nil {
		return
	}
	if l, leased := p.leases[conf]; leased {
		delete(p.unowned, conf)
		if l.owner == p.self && now.After(p.backoff[conf]) {
			// A lease of ours with no holder: a claim whose reply was
			// lost, or a release that failed. No session runs for it.
			p.backoff[conf] = now.Add(p.d.t.claimStep)
			rctx, cancel := context.WithTimeout(p.hctx, p.d.t.request)
			_ = p.st.leases.Delete(rctx, conf, jetstream.LastRevision(l.rev))
			cancel()
		}
		return
	}
	since, ok := p.unowned[conf]
	if !ok {
		since = now
		p.unowned[conf] = now
	}
	if now.Before(p.backoff[conf]) || !p.hasRoom() {
		return
	}
	rank := slices.Index(p.ranking(conf, now, false), p.self)
	if rank < 0 || now.Sub(since) < time.Duration(rank)*p.d.t.claimStep {
		return
	}
	m := p.desired[conf]
	hd := &handle{h: newHolder(p.d, m), spec: m}
	p.holders[conf] = hd
	p.w.held.Store(int64(len(p.holders)))
	go func() { p.exits <- hd.h.run(p.hctx) }()
}

// rebalance hands over, one per evaluation, a meeting whose rendezvous
// owner is another settled worker with room: so a worker that joins
// takes its share, while a worker that leaves moves only its own.
//
// A worker cut off from NATS hands nothing over: its picture of the
// peers is stale, and the release could not reach NATS, so the meeting
// would go unwatched until its lease expired instead of moving at once
// when NATS answers again.
func (p *placer) rebalance(now time.Time) {
	settle := p.d.t.grace + p.d.t.renewEvery
	if now.Before(p.started.Add(settle)) || !p.w.reachable(now) {
		return
	}
	for _, conf := range sortedKeys(p.holders) {
		hd := p.holders[conf]
		if hd.stopping || !p.w.isOwned(conf) {
			continue
		}
		r := p.ranking(conf, now, true)
		if len(r) > 0 && r[0] != p.self {
			p.d.log.Info("fleet: handing over", slog.String("conference", conf), slog.String("to", r[0]))
			p.send(hd, holderCmd{stop: stopHandover})
			return
		}
	}
}

func (p *placer) hasRoom() bool {
	return p.w.cfg.MaxSessions == 0 || len(p.holders) < p.w.cfg.MaxSessions
}

// ranking orders the workers that could hold conf by rendezvous weight,
// highest first. This worker is in it unless it is full; a peer is in it
// unless its heartbeat says it is full, or it was conf's last owner and
// lost the lease. settled keeps only peers seen for a heartbeat period.
func (p *placer) ranking(conf string, now time.Time, settled bool) []string {
	cands := make([]string, 0, len(p.peers)+1)
	if p.hasRoom() || p.holders[conf] != nil {
		cands = append(cands, p.self)
	}
	ex, hasEx := p.excluded[conf]
	if hasEx && now.After(ex.until) {
		delete(p.excluded, conf)
		hasEx = false
	}
	for id, pr := range p.peers {
		switch {
		case pr.hb.MaxSessions > 0 && pr.hb.Sessions >= pr.hb.MaxSessions,
			hasEx && ex.worker == id,
			settled && now.Sub(pr.seen) < p.d.t.renewEvery:
			continue
		}
		cands = append(cands, id)
	}
	slices.SortFunc(cands, func(a, b string) int {
		wa, wb := weight(conf, a), weight(conf, b)
		switch {
		case wa > wb:
			return -1
		case wa < wb:
			return 1
		}
		return compareStrings(a, b)
	})
	return cands
}

// weight is the rendezvous weight of a worker for a meeting: FNV-1a
// mixed by splitmix64's finalizer, so that similar IDs spread well.
func weight(conf, worker string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(conf))
	h.Write([]byte{0})
	h.Write([]byte(worker))
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func sameMeeting(a, b Meeting) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func (p *placer) applyDesired(key string, e jetstream.KeyValueEntry, reset bool) {
	if reset {
		clear(p.desired)
	}
	if e == nil {
		return
	}
	if e.Operation() != jetstream.KeyValuePut {
		delete(p.desired, key)
		return
	}
	var m Meeting
	if err := json.Unmarshal(e.Value(), &m); err != nil || m.Conference != key || m.Validate() != nil {
		p.d.log.Warn("fleet: desired entry ignored: not a valid meeting", slog.String("key", key))
		delete(p.desired, key)
		return
	}
	p.desired[key] = m
}

func (p *placer) applyLease(key string, e jetstream.KeyValueEntry, reset bool) {
	if reset {
		clear(p.leases)
	}
	if e == nil {
		return
	}
	if e.Operation() != jetstream.KeyValuePut {
		prev, ok := p.leases[key]
		delete(p.leases, key)
		if ok && prev.owner != p.self {
			p.excluded[key] = exclusion{worker: prev.owner, until: time.Now().Add(p.d.t.lease)}
		}
		p.unowned[key] = time.Now()
		return
	}
	var l Lease
	_ = json.Unmarshal(e.Value(), &l)
	p.leases[key] = leaseView{owner: l.Worker, rev: e.Revision()}
}

func (p *placer) applyWorker(key string, e jetstream.KeyValueEntry, reset bool) {
	if reset {
		p.peersBefore, p.peers = p.peers, map[string]peer{}
	}
	if e == nil {
		return
	}
	if key == p.self {
		if e.Operation() == jetstream.KeyValuePut {
			p.selfSeen = time.Now()
		}
		return
	}
	if e.Operation() != jetstream.KeyValuePut {
		delete(p.peers, key)
		return
	}
	var hb Heartbeat
	if err := json.Unmarshal(e.Value(), &hb); err != nil {
		return
	}
	pr, ok := p.peers[key]
	if !ok {
		pr.seen = time.Now()
		if old, known := p.peersBefore[key]; known {
			pr.seen = old.seen
		}
	}
	pr.hb = hb
	p.peers[key] = pr
}

func (w *Worker) isOwned(conf string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.owned[conf]
}
