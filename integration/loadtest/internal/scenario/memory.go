package scenario

import (
	"context"
	"fmt"
	"io"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/gorilla/websocket"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/token"
)

// MemoryBufferSize is the connector.Config Read/WriteBufferSize the memory
// and scale scenarios use, chosen from this scenario's figures: pushes are
// a few hundred bytes, and gorilla reads a larger frame through the buffer
// in pieces, so a 1 KiB read buffer costs only extra read calls on big
// snapshots, while it saves 3 KiB per idle socket. Writes use a shared pool
// and hold no buffer while idle, so their size costs nothing per session.
const MemoryBufferSize = 1024

// MemoryRow is one variant's cost per client.
type MemoryRow struct {
	Variant    string
	BufferSize int
	HeapPer    float64 // bytes of live heap per client
	StackPer   float64 // bytes of goroutine stack per client
	StackUsed  float64 // bytes of those stacks in use (scanned by the GC)
	Goroutines float64 // goroutines per client
	// Ratio is (heap+stack) per client over the baseline's with the same
	// buffer size; 1 for the baseline itself.
	Ratio float64
}

// Total is heap plus stacks per client.
func (r MemoryRow) Total() float64 { return r.HeapPer + r.StackPer }

// MemoryResult is the memory scenario's outcome.
type MemoryResult struct {
	N    int
	Rows []MemoryRow
}

// Find returns the row of variant with buffer size buf.
func (r *MemoryResult) Find(variant string, buf int) MemoryRow {
	for _, row := range r.Rows {
		if row.Variant == variant && row.BufferSize == buf {
			return row
		}
	}
	return MemoryRow{}
}

// Memory variants.
const (
	VariantBare       = "bare gorilla"
	VariantSession    = "session"
	VariantSessionMux = "session + own Mux"
)

// variants in the order Memory measures them; the baseline comes first.
var memoryVariants = []string{VariantBare, VariantSession, VariantSessionMux}

// Memory opens N idle subscribed clients against a fake in a child
// process and measures this process's live heap and goroutine stacks per
// client (after full collections): bare gorilla sockets with one reader
// goroutine each (the baseline), sessions sharing one events.Mux, and
// sessions with a Mux each; for the default buffer size and for
// MemoryBufferSize.
func Memory(ctx context.Context, o Options) (*MemoryResult, error) {
	n := pick(o, o.N, 200, 1000)
	sizes := []int{connector.DefaultBufferSize, MemoryBufferSize}
	switch {
	case o.BufferSize != 0:
		sizes = []int{o.BufferSize}
	case o.Quick:
		sizes = []int{MemoryBufferSize}
	}
	r, err := startRemote(ctx, o.Spawn, o.fakeArgs())
	if err != nil {
		return nil, err
	}
	defer r.Close()
	tgt := target{api: r.URL(), confID: r.ConferenceID(), password: r.Password()}
	res := &MemoryResult{N: n}
	for _, buf := range sizes {
		var base float64
		for _, v := range memoryVariants {
			row, err := measureMemory(ctx, r, tgt, v, n, buf)
			if err != nil {
				return nil, fmt.Errorf("scenario: memory: %s: %w", v, err)
			}
			if v == VariantBare {
				base = row.Total()
			}
			row.Ratio = ratio(row.Total(), base)
			o.log().Info("memory", "variant", v, "buf", buf, "perClient", kib(row.Total()))
			res.Rows = append(res.Rows, row)
		}
	}
	res.print(o.out(), o.mode())
	return res, nil
}

// measureMemory opens n clients of variant, measures, and closes them.
func measureMemory(ctx context.Context, r *remoteFake, tgt target, variant string, n, buf int) (MemoryRow, error) {
	if err := r.WaitLive(0, 30*time.Second); err != nil {
		return MemoryRow{}, err
	}
	hc := newHTTPClient()
	defer hc.CloseIdleConnections()
	tc, err := newTokenClient(tgt.api, hc)
	if err != nil {
		return MemoryRow{}, err
	}
	// The shared Mux exists before the first reading: it is the process's,
	// not a session's.
	shared := events.NewMux(nil)
	defer shared.Close(context.Background())
	events.On(shared, func(context.Context, *events.Push, *events.ParticipantsNotify) {}, events.HandlerOptions{})
	var own []*events.Mux
	var ownMu sync.Mutex
	defer func() {
		for _, m := range own {
			m.Close(context.Background())
		}
	}()

	before := settledMem()
	var closeAll func() error
	switch variant {
	case VariantBare:
		bs, err := openBare(ctx, tc, tgt, n, buf)
		if err != nil {
			return MemoryRow{}, err
		}
		closeAll = bs.close
	default:
		f, err := startFleet(ctx, fleetSpec{
			n: n, tgt: tgt, tokens: tc, concurrency: 100,
			config: func(int) (connector.Config, events.Handler) {
				h := events.Handler(shared)
				if variant == VariantSessionMux {
					m := events.NewMux(nil)
					m.HandleAll(events.HandlerFunc(func(context.Context, events.Event) {}), events.HandlerOptions{})
					ownMu.Lock()
					own = append(own, m)
					ownMu.Unlock()
					h = m
				}
				return connector.Config{ReadBufferSize: buf, WriteBufferSize: buf, AllowPlainText: true}, h
			},
		})
		if err != nil {
			return MemoryRow{}, err
		}
		closeAll = f.close
		if _, err := f.waitAllUp(ctx, 60*time.Second); err != nil {
			f.close()
			return MemoryRow{}, err
		}
	}
	err = r.WaitSubscribed(n, 60*time.Second)
	if err == nil {
		// Let the snapshot bursts be read and handled, so that what is
		// measured is the idle cost.
		err = sleepCtx(ctx, 500*time.Millisecond)
	}
	if err != nil {
		closeAll()
		return MemoryRow{}, err
	}
	// Idle keep-alive connections of the token client are shared by the
	// process, not owned by a session.
	hc.CloseIdleConnections()
	after := settledMem()
	if err := closeAll(); err != nil {
		return MemoryRow{}, err
	}
	return MemoryRow{
		Variant:    variant,
		BufferSize: buf,
		HeapPer:    (float64(after.heap) - float64(before.heap)) / float64(n),
		StackPer:   (float64(after.stacks) - float64(before.stacks)) / float64(n),
		StackUsed:  (float64(after.stackUsed) - float64(before.stackUsed)) / float64(n),
		Goroutines: float64(after.goroutines-before.goroutines) / float64(n),
	}, nil
}

// bareSet is n bare gorilla sockets, each with one reader goroutine.
type bareSet struct {
	conns []*websocket.Conn
	wg    sync.WaitGroup
}

// openBare dials n subscribed bare sockets, 50 at a time, sharing one
// control token.
func openBare(ctx context.Context, tc *token.Client, tgt target, n, buf int) (*bareSet, error) {
	ctl, err := bareLogin(ctx, tc, tgt)
	if err != nil {
		return nil, err
	}
	d := bareDialer(buf)
	bs := &bareSet{conns: make([]*websocket.Conn, n)}
	errs := make(chan error, n)
	slots := make(chan struct{}, 50)
	var dialing sync.WaitGroup
	for i := range n {
		slots <- struct{}{}
		dialing.Add(1)
		go func() {
			defer dialing.Done()
			defer func() { <-slots }()
			c, err := dialBare(ctx, tc, d, tgt, ctl, events.KnownActions())
			if err != nil {
				errs <- err
				return
			}
			bs.conns[i] = c
			bs.wg.Add(1)
			go func() {
				defer bs.wg.Done()
				for {
					_, rd, err := c.NextReader()
					if err != nil {
						return
					}
					if _, err := io.Copy(io.Discard, rd); err != nil {
						return
					}
				}
			}()
		}()
	}
	dialing.Wait()
	close(errs)
	if err := <-errs; err != nil {
		bs.close()
		return nil, err
	}
	return bs, nil
}

func (bs *bareSet) close() error {
	for _, c := range bs.conns {
		if c != nil {
			c.Close()
		}
	}
	bs.wg.Wait()
	return nil
}

func (r *MemoryResult) print(w io.Writer, mode string) {
	fmt.Fprintf(w, "\n== memory (%s): %d idle subscribed clients, this process only (fake in a child) ==\n", mode, r.N)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "client\tbuffers\theap/client\tstacks/client\t(in use)\ttotal/client\tgoroutines/client\tvs bare\t")
	for _, row := range r.Rows {
		fmt.Fprintf(tw, "%s\t%d B\t%s\t%s\t%s\t%s\t%.2f\t%.2f\t\n", row.Variant, row.BufferSize, kib(row.HeapPer), kib(row.StackPer), kib(row.StackUsed), kib(row.Total()), row.Goroutines, row.Ratio)
	}
	tw.Flush()
	fmt.Fprintln(w, "total = heap + stacks (allocated); targets for session (issue #20): ≤ 16 KiB with 4096 B buffers, ≤ 2× bare with the same buffers, ≤ 2 goroutines")
}
