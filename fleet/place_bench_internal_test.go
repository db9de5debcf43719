package fleet

import (
	"fmt"
	"hash/fnv"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// BenchmarkEvaluate is one placement decision of a worker holding 250 of
// 1,000 meetings among 4 live workers, in the steady state: nothing to
// claim, stop or hand over. The placer makes one after every change it
// watches, and the fleet renews every lease every Lease/3, so its cost
// times the number of meetings is what an idle worker spends.
func BenchmarkEvaluate(b *testing.B) {
	// A live connection, so that the worker counts NATS as reachable and
	// rebalances.
	ns, err := StartServer(ServerConfig{Listen: "127.0.0.1:0", DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer ns.Shutdown()
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	p := steadyPlacer(nc, 1000, 250, 4)
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		p.evaluate(now)
	}
}

// steadyPlacer returns a placer that holds held of n meetings, every other
// one leased by one of peers-1 other workers, settled long ago, and whose
// held meetings all rank it first.
func steadyPlacer(nc *nats.Conn, n, held, peers int) *placer {
	w := &Worker{cfg: Config{Conn: nc}, t: timingOf(DefaultLease), id: "self", owned: map[string]bool{}}
	d := &holderDeps{t: w.t, log: slog.New(slog.DiscardHandler)}
	p := newPlacer(w, &store{}, d)
	p.started = time.Now().Add(-time.Hour)
	for _, v := range p.views {
		v.everReady = true
	}
	w.beat.Store(time.Now().UnixNano())
	for i := 1; i < peers; i++ {
		id := fmt.Sprintf("peer%d", i)
		p.peers[id] = peer{hb: Heartbeat{Worker: id}, seen: time.Now().Add(-time.Hour)}
	}
	for i := 0; len(p.holders) < held || len(p.desired) < n; i++ {
		conf := fmt.Sprint(986112000 + i)
		m := Meeting{Conference: conf, PasswordFile: "/etc/confwatch/" + conf + ".pw"}
		r := p.ranking(conf, time.Now(), true)
		switch {
		case r[0] == p.self && len(p.holders) < held:
			p.holders[conf] = &handle{h: &holder{cmds: make(chan holderCmd, 1)}, spec: m}
			p.leases[conf] = leaseView{owner: p.self, rev: 1}
			w.owned[conf] = true
		case r[0] != p.self && len(p.desired)-len(p.holders) < n-held:
			p.leases[conf] = leaseView{owner: r[0], rev: 1}
		default:
			continue
		}
		p.desired[conf] = m
	}
	return p
}

// TestWeightIsFNV: the rendezvous weight is FNV-1a of the conference, a 0
// byte and the worker, mixed, as it always was: workers of two releases
// in one fleet must rank alike.
func TestWeightIsFNV(t *testing.T) {
	for _, c := range []struct{ conf, worker string }{{"986112000", "w1-0e9613"}, {"", ""}, {"1", "host_name-ab12cd"}} {
		h := fnv.New64a()
		h.Write([]byte(c.conf))
		h.Write([]byte{0})
		h.Write([]byte(c.worker))
		x := h.Sum64()
		x ^= x >> 30
		x *= 0xbf58476d1ce4e5b9
		x ^= x >> 27
		x *= 0x94d049bb133111eb
		x ^= x >> 31
		if got := weight(c.conf, c.worker); got != x {
			t.Errorf("weight(%q, %q) = %#x, want %#x", c.conf, c.worker, got, x)
		}
	}
}
