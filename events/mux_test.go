package events

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"pgregory.net/rapid"
)

// muxLeakCheck fails t if goroutines started during the test outlive it.
// Call it first, so that its cleanup runs after every other.
func muxLeakCheck(t *testing.T) {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
}

// muxPush returns a push of action whose Version is seq.
func muxPush(action string, seq int) *Push {
	return &Push{Action: action, Version: int64(seq), MsgID: strconv.Itoa(seq)}
}

// muxRecorder records the events a handler receives.
type muxRecorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *muxRecorder) HandleEvent(_ context.Context, e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *muxRecorder) got() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// versions returns the Version of every recorded push.
func (r *muxRecorder) versions() []int64 {
	var v []int64
	for _, e := range r.got() {
		if p, ok := e.(*Push); ok {
			v = append(v, p.Version)
		}
	}
	return v
}

// muxGated is a handler that records events and, on the first one,
// reports that it started and then waits for release, ignoring its ctx.
type muxGated struct {
	muxRecorder
	started chan struct{}
	release chan struct{}
	once    sync.Once
}

func newMuxGated() *muxGated {
	return &muxGated{started: make(chan struct{}), release: make(chan struct{})}
}

func (g *muxGated) HandleEvent(ctx context.Context, e Event) {
	g.muxRecorder.HandleEvent(ctx, e)
	first := false
	g.once.Do(func() { first = true })
	if first {
		close(g.started)
		<-g.release
	}
}

// muxSeq returns 1..n.
func muxSeq(n int) []int64 {
	s := make([]int64, n)
	for i := range s {
		s[i] = int64(i + 1)
	}
	return s
}

// muxWaitFor yields until cond holds; the test's own timeout bounds it.
func muxWaitFor(cond func() bool) {
	for !cond() {
		runtime.Gosched()
	}
}

func muxCloseOK(t *testing.T, m *Mux) {
	t.Helper()
	if err := m.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func TestMuxOrderSingleProducer(t *testing.T) {
	muxLeakCheck(t)
	const n = 2000
	m := NewMux(nil)
	var parts, all, speakers muxRecorder
	// Tiny queues make HandleEvent block and wake often.
	m.Handle(ActionParticipants, &parts, HandlerOptions{Queue: 1})
	m.Handle(ActionSpeakerChange, &speakers, HandlerOptions{Queue: 2})
	m.HandleAll(&all, HandlerOptions{Queue: 3})

	var wantParts, wantSpeakers []int64
	for i := 1; i <= n; i++ {
		action := ActionParticipants
		if i%3 == 0 {
			action = ActionSpeakerChange
			wantSpeakers = append(wantSpeakers, int64(i))
		} else {
			wantParts = append(wantParts, int64(i))
		}
		m.HandleEvent(t.Context(), muxPush(action, i))
	}
	muxCloseOK(t, m)

	for _, tc := range []struct {
		name string
		got  []int64
		want []int64
	}{
		{"participants", parts.versions(), wantParts},
		{"speakers", speakers.versions(), wantSpeakers},
		{"all", all.versions(), muxSeq(n)},
	} {
		if !slices.Equal(tc.got, tc.want) {
			t.Errorf("%s handler: got %d events out of order or incomplete (first %v), want %d in order",
				tc.name, len(tc.got), tc.got[:min(len(tc.got), 10)], len(tc.want))
		}
	}
	for _, h := range m.Stats() {
		if h.Dropped != 0 || h.Abandoned != 0 || h.Panics != 0 {
			t.Errorf("handler %s: %+v, want nothing dropped, abandoned or panicked", h.Name, h)
		}
	}
}

func TestMuxOrderConcurrentProducers(t *testing.T) {
	muxLeakCheck(t)
	const producers, perProducer = 4, 500
	tests := []struct {
		name   string
		opts   HandlerOptions
		lossy  bool
		action string // "" for HandleAll
	}{
		{name: "block-action", opts: HandlerOptions{Queue: 1}, action: ActionParticipants},
		{name: "block-all", opts: HandlerOptions{Queue: 4}},
		{name: "drop-oldest", opts: HandlerOptions{Queue: 2, Overflow: DropOldest}, lossy: true},
		{name: "drop-newest", opts: HandlerOptions{Queue: 2, Overflow: DropNewest}, lossy: true},
	}
	m := NewMux(nil)
	recs := make([]*muxRecorder, len(tests))
	regs := make([]*Registration, len(tests))
	for i, tc := range tests {
		recs[i] = &muxRecorder{}
		if tc.action == "" {
			regs[i] = m.HandleAll(recs[i], tc.opts)
		} else {
			regs[i] = m.Handle(tc.action, recs[i], tc.opts)
		}
	}

	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			for i := 1; i <= perProducer; i++ {
				push := muxPush(ActionParticipants, i)
				push.ConfID = strconv.Itoa(p)
				m.HandleEvent(context.Background(), push)
			}
		})
	}
	wg.Wait()
	muxCloseOK(t, m)

	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			last := make(map[string]int64)
			count := make(map[string]int)
			for _, e := range recs[i].got() {
				p := e.(*Push)
				if p.Version <= last[p.ConfID] {
					t.Fatalf("producer %s: version %d after %d", p.ConfID, p.Version, last[p.ConfID])
				}
				last[p.ConfID] = p.Version
				count[p.ConfID]++
			}
			st := regs[i].Stats()
			if got := st.Delivered + st.Dropped; got != producers*perProducer {
				t.Errorf("delivered %d + dropped %d = %d, want %d", st.Delivered, st.Dropped, got, producers*perProducer)
			}
			if !tc.lossy {
				for p := range producers {
					if c := count[strconv.Itoa(p)]; c != perProducer {
						t.Errorf("producer %d: %d events delivered, want %d", p, c, perProducer)
					}
				}
			}
		})
	}
}

func TestMuxSlowHandlerDoesNotDelayOthers(t *testing.T) {
	muxLeakCheck(t)
	const n = 100
	m := NewMux(nil)
	stuck := newMuxGated()
	stuckReg := m.HandleAll(stuck, HandlerOptions{Name: "stuck", Queue: 1, Overflow: DropNewest})
	var fast muxRecorder
	fastReg := m.HandleAll(&fast, HandlerOptions{Name: "fast", Queue: 1})

	m.HandleEvent(t.Context(), muxPush(ActionParticipants, 1))
	<-stuck.started
	for i := 2; i <= n; i++ {
		m.HandleEvent(t.Context(), muxPush(ActionParticipants, i))
	}
	// Closing the fast registration waits for it to drain, while the stuck
	// handler still holds event 1.
	if err := fastReg.Close(context.Background()); err != nil {
		t.Fatalf("fast Close: %v", err)
	}
	if got := fast.versions(); !slices.Equal(got, muxSeq(n)) {
		t.Errorf("fast handler got %d events, want 1..%d in order", len(got), n)
	}
	st := stuckReg.Stats()
	if st.Delivered != 0 || st.Queued != 1 || st.Dropped != n-2 {
		t.Errorf("stuck handler stats = %+v, want Delivered 0, Queued 1, Dropped %d", st, n-2)
	}

	close(stuck.release)
	muxCloseOK(t, m)
	if got := stuck.versions(); !slices.Equal(got, []int64{1, 2}) {
		t.Errorf("stuck handler got %v, want [1 2]", got)
	}
}

func TestMuxOverflowPolicies(t *testing.T) {
	muxLeakCheck(t)
	const queue, n = 3, 10
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name        string
		policy      OverflowPolicy
		ctx         context.Context
		wantVersion []int64
	}{
		{"drop-newest", DropNewest, context.Background(), []int64{1, 2, 3, 4}},
		{"drop-oldest", DropOldest, context.Background(), []int64{1, 8, 9, 10}},
		// Under Block, a done ctx gives up on each event that finds the
		// queue full.
		{"block-ctx-done", Block, canceled, []int64{1, 2, 3, 4}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMux(nil)
			h := newMuxGated()
			reg := m.Handle(ActionParticipants, h, HandlerOptions{Name: tc.name, Queue: queue, Overflow: tc.policy})
			m.HandleEvent(tc.ctx, muxPush(ActionParticipants, 1))
			<-h.started
			for i := 2; i <= n; i++ {
				m.HandleEvent(tc.ctx, muxPush(ActionParticipants, i))
			}
			before := reg.Stats()
			close(h.release)
			muxCloseOK(t, m)

			wantDropped := uint64(n - len(tc.wantVersion))
			if before.Queued != queue || before.Dropped != wantDropped {
				t.Errorf("while blocked: Queued %d Dropped %d, want %d and %d", before.Queued, before.Dropped, queue, wantDropped)
			}
			if got := h.versions(); !slices.Equal(got, tc.wantVersion) {
				t.Errorf("delivered %v, want %v", got, tc.wantVersion)
			}
			st := reg.Stats()
			want := HandlerStats{Name: tc.name, Action: ActionParticipants, Overflow: tc.policy, Capacity: queue,
				Delivered: uint64(len(tc.wantVersion)), Dropped: wantDropped}
			if st != want {
				t.Errorf("Stats() = %+v, want %+v", st, want)
			}
		})
	}
}

func TestMuxBlockPolicy(t *testing.T) {
	muxLeakCheck(t)
	m := NewMux(nil)
	h := newMuxGated()
	reg := m.Handle(ActionParticipants, h, HandlerOptions{Queue: 1})
	m.HandleEvent(t.Context(), muxPush(ActionParticipants, 1))
	<-h.started
	m.HandleEvent(t.Context(), muxPush(ActionParticipants, 2)) // fills the queue

	// Event 3 must wait: the handler holds 1 and the queue holds 2.
	blocked := make(chan struct{})
	go func() {
		defer close(blocked)
		m.HandleEvent(context.Background(), muxPush(ActionParticipants, 3))
	}()
	// Event 4 waits too, then gives up when its ctx is cancelled.
	ctx, cancel := context.WithCancel(context.Background())
	gaveUp := make(chan struct{})
	go func() {
		defer close(gaveUp)
		m.HandleEvent(ctx, muxPush(ActionParticipants, 4))
	}()
	select {
	case <-blocked:
		t.Fatal("HandleEvent returned while the queue was full")
	default:
	}
	cancel()
	<-gaveUp
	select {
	case <-blocked:
		t.Fatal("cancelling one HandleEvent released another")
	default:
	}
	if st := reg.Stats(); st.Dropped != 1 || st.Queued != 1 {
		t.Errorf("after cancel: %+v, want Dropped 1, Queued 1", st)
	}

	close(h.release)
	<-blocked
	muxCloseOK(t, m)
	if got := h.versions(); !slices.Equal(got, []int64{1, 2, 3}) {
		t.Errorf("delivered %v, want [1 2 3]", got)
	}
	if st := reg.Stats(); st.Delivered != 3 || st.Dropped != 1 {
		t.Errorf("Stats() = %+v, want Delivered 3, Dropped 1", st)
	}
}

func TestMuxBlockedProducerReleasedByClose(t *testing.T) {
	muxLeakCheck(t)
	m := NewMux(nil)
	h := newMuxGated()
	reg := m.HandleAll(h, HandlerOptions{Queue: 1})
	m.HandleEvent(t.Context(), muxPush(ActionParticipants, 1))
	<-h.started
	m.HandleEvent(t.Context(), muxPush(ActionParticipants, 2))
	blocked := make(chan struct{})
	go func() {
		defer close(blocked)
		m.HandleEvent(context.Background(), muxPush(ActionParticipants, 3))
	}()

	// The producer must be inside offer, not yet past Mux's closed check.
	muxWaitFor(func() bool { reg.mu.Lock(); defer reg.mu.Unlock(); return reg.waiters == 1 })
	closed := make(chan error, 1)
	go func() { closed <- m.Close(context.Background()) }()
	// Close stops the registration, which wakes the blocked producer and
	// drops its event; the queued event is still delivered.
	<-blocked
	close(h.release)
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := h.versions(); !slices.Equal(got, []int64{1, 2}) {
		t.Errorf("delivered %v, want [1 2]", got)
	}
	if st := reg.Stats(); st.Delivered != 2 || st.Dropped != 1 {
		t.Errorf("Stats() = %+v, want Delivered 2, Dropped 1", st)
	}
}

func TestMuxPanicRecovery(t *testing.T) {
	muxLeakCheck(t)
	var logs bytes.Buffer
	m := NewMux(slog.New(slog.NewJSONHandler(&logs, nil)))
	var got []int64
	reg := m.Handle(ActionParticipants, HandlerFunc(func(_ context.Context, e Event) {
		v := e.(*Push).Version
		if v == 2 {
			panic("boom on 2")
		}
		got = append(got, v)
	}), HandlerOptions{Name: "roster"})
	for i := 1; i <= 5; i++ {
		m.HandleEvent(t.Context(), muxPush(ActionParticipants, i))
	}
	muxCloseOK(t, m)

	if want := []int64{1, 3, 4, 5}; !slices.Equal(got, want) {
		t.Errorf("handled %v, want %v", got, want)
	}
	if st := reg.Stats(); st.Panics != 1 || st.Delivered != 5 {
		t.Errorf("Stats() = %+v, want Panics 1, Delivered 5", st)
	}
	out := logs.String()
	for _, want := range []string{`"level":"ERROR"`, "panicked", `"handler":"roster"`, "boom on 2", "mux_test.go", "TestMuxPanicRecovery"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if c := strings.Count(out, `"level":"ERROR"`); c != 1 {
		t.Errorf("%d error records, want 1", c)
	}
}

func TestMuxCloseDrains(t *testing.T) {
	muxLeakCheck(t)
	m := NewMux(nil)
	h := newMuxGated()
	reg := m.HandleAll(h, HandlerOptions{})
	for i := 1; i <= 5; i++ {
		m.HandleEvent(t.Context(), muxPush(ActionParticipants, i))
	}
	<-h.started
	go close(h.release)
	muxCloseOK(t, m)

	if got := h.versions(); !slices.Equal(got, muxSeq(5)) {
		t.Errorf("delivered before Close returned: %v, want 1..5", got)
	}
	m.HandleEvent(t.Context(), muxPush(ActionParticipants, 6))
	if got := len(h.got()); got != 5 {
		t.Errorf("event after Close delivered: %d events", got)
	}
	if hs := reg.Stats(); hs.Delivered != 5 || hs.Queued != 0 || hs.Abandoned != 0 {
		t.Errorf("handler stats %+v, want Delivered 5, nothing queued or abandoned", hs)
	}
}

func TestMuxCloseDeadline(t *testing.T) {
	tests := []struct {
		name string
		// handler is called once per event; the first call blocks until
		// release is closed or, when it honours ctx, until ctx is done.
		honourCtx bool
	}{
		{name: "handler ignores ctx"},
		{name: "handler honours ctx", honourCtx: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			muxLeakCheck(t)
			m := NewMux(nil)
			started, release := make(chan struct{}), make(chan struct{})
			ctxErr := make(chan error, 1)
			var calls int
			reg := m.Handle(ActionParticipants, HandlerFunc(func(ctx context.Context, _ Event) {
				calls++
				if calls > 1 {
					return
				}
				close(started)
				if tc.honourCtx {
					<-ctx.Done()
				} else {
					<-release
				}
				ctxErr <- ctx.Err()
			}), HandlerOptions{Name: "stuck"})
			m.HandleEvent(t.Context(), muxPush(ActionParticipants, 1))
			<-started
			for i := 2; i <= 4; i++ {
				m.HandleEvent(t.Context(), muxPush(ActionParticipants, i))
			}

			expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
			defer cancel()
			err := m.Close(expired)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Close(expired) = %v, want an error wrapping DeadlineExceeded", err)
			}
			for _, want := range []string{"3 queued event(s) abandoned", `"stuck"`} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Close error %q lacks %q", err, want)
				}
			}
			if st := reg.Stats(); st.Abandoned != 3 || st.Queued != 0 {
				t.Errorf("Stats() = %+v, want Abandoned 3, Queued 0", st)
			}

			close(release)
			// Giving up cancels the handler's context.
			if err := <-ctxErr; !errors.Is(err, context.Canceled) {
				t.Errorf("handler ctx.Err() = %v, want Canceled", err)
			}
			// A second Close joins the goroutine once the handler returned.
			muxCloseOK(t, m)
			if st := reg.Stats(); st.Delivered != 1 || st.Abandoned != 3 {
				t.Errorf("final Stats() = %+v, want Delivered 1, Abandoned 3", st)
			}
		})
	}
}

func TestMuxHandlerGoexit(t *testing.T) {
	muxLeakCheck(t)
	var logs bytes.Buffer
	m := NewMux(slog.New(slog.NewTextHandler(&logs, nil)))
	reg := m.Handle(ActionParticipants, HandlerFunc(func(context.Context, Event) {
		runtime.Goexit()
	}), HandlerOptions{Name: "quitter", Queue: 1})
	// None of these may hang, though the queue is full and the policy is
	// Block: the registration stops when its goroutine ends.
	for i := 1; i <= 3; i++ {
		m.HandleEvent(t.Context(), muxPush(ActionParticipants, i))
	}
	muxCloseOK(t, m)
	st := reg.Stats()
	if st.Delivered != 1 || st.Delivered+st.Dropped+st.Abandoned != 3 || st.Queued != 0 {
		t.Errorf("Stats() = %+v, want Delivered 1 and the other 2 dropped or abandoned", st)
	}
	if out := logs.String(); !strings.Contains(out, "level=ERROR") || !strings.Contains(out, "handler=quitter") {
		t.Errorf("goroutine end not logged at Error:\n%s", out)
	}
}

func TestMuxRegistrationClose(t *testing.T) {
	muxLeakCheck(t)
	m := NewMux(nil)
	leaving := newMuxGated()
	var staying muxRecorder
	leavingReg := m.Handle(ActionParticipants, leaving, HandlerOptions{Name: "leaving"})
	m.Handle(ActionParticipants, &staying, HandlerOptions{Name: "staying"})
	for i := 1; i <= 3; i++ {
		m.HandleEvent(t.Context(), muxPush(ActionParticipants, i))
	}
	<-leaving.started
	go close(leaving.release)
	if err := leavingReg.Close(context.Background()); err != nil {
		t.Fatalf("Registration.Close: %v", err)
	}
	if got := leaving.versions(); !slices.Equal(got, muxSeq(3)) {
		t.Errorf("closed handler got %v before Close returned, want [1 2 3]", got)
	}
	m.HandleEvent(t.Context(), muxPush(ActionParticipants, 4))
	if err := leavingReg.Close(context.Background()); err != nil {
		t.Errorf("second Registration.Close: %v", err)
	}
	muxCloseOK(t, m)

	if got := leaving.versions(); !slices.Equal(got, muxSeq(3)) {
		t.Errorf("closed handler got %v, want only [1 2 3]", got)
	}
	if got := staying.versions(); !slices.Equal(got, muxSeq(4)) {
		t.Errorf("other handler got %v, want [1 2 3 4]", got)
	}
	hs := m.Stats()
	if len(hs) != 1 || hs[0].Name != "staying" {
		t.Errorf("Mux.Stats() = %+v, want only staying", hs)
	}
	if st := leavingReg.Stats(); st.Delivered != 3 || st.Dropped != 0 {
		t.Errorf("closed registration stats %+v, want Delivered 3, Dropped 0", st)
	}
}

func TestMuxHandleAfterClose(t *testing.T) {
	muxLeakCheck(t)
	m := NewMux(nil)
	muxCloseOK(t, m)
	var rec muxRecorder
	reg := m.HandleAll(&rec, HandlerOptions{Name: "late"})
	m.HandleEvent(t.Context(), muxPush(ActionParticipants, 1))
	if err := reg.Close(context.Background()); err != nil {
		t.Errorf("Registration.Close: %v", err)
	}
	if got := rec.got(); len(got) != 0 {
		t.Errorf("late handler got %d events, want 0", len(got))
	}
	if st := m.Stats(); len(st) != 0 {
		t.Errorf("Stats() = %+v, want no handlers", st)
	}
}

func TestMuxHandlePanicsOnMisuse(t *testing.T) {
	muxLeakCheck(t)
	m := NewMux(nil)
	defer muxCloseOK(t, m)
	tests := []struct {
		name string
		call func()
	}{
		{"empty action", func() { m.Handle("", &muxRecorder{}, HandlerOptions{}) }},
		{"nil handler", func() { m.Handle(ActionParticipants, nil, HandlerOptions{}) }},
		{"nil catch-all", func() { m.HandleAll(nil, HandlerOptions{}) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if v := recover(); v == nil || !strings.HasPrefix(v.(string), "events: handle: ") {
					t.Errorf("recovered %v, want an events: handle: panic", v)
				}
			}()
			tc.call()
		})
	}
	if hs := m.Stats(); len(hs) != 0 {
		t.Errorf("misuse registered %d handlers", len(hs))
	}
}

func TestMuxLifecycleOrder(t *testing.T) {
	muxLeakCheck(t)
	m := NewMux(nil)
	var all, life, parts muxRecorder
	m.HandleAll(&all, HandlerOptions{})
	m.HandleLifecycle(&life, HandlerOptions{})
	m.Handle(ActionParticipants, &parts, HandlerOptions{})

	sub := &Subscribed{At: time.Unix(1, 0)}
	p1 := muxPush(ActionParticipants, 1)
	disc := &Disconnected{At: time.Unix(2, 0), Err: errors.New("eof"), Class: "retry"}
	resub := &Resubscribed{BlindFrom: time.Unix(2, 0), BlindTo: time.Unix(3, 0)}
	p2 := muxPush(ActionParticipants, 2)
	stream := []Event{sub, p1, disc, resub, p2}
	for _, e := range stream {
		m.HandleEvent(t.Context(), e)
	}
	muxCloseOK(t, m)

	for _, tc := range []struct {
		name string
		got  []Event
		want []Event
	}{
		{"HandleAll", all.got(), stream},
		{"HandleLifecycle", life.got(), []Event{sub, disc, resub}},
		{"ParticipantsNotify", parts.got(), []Event{p1, p2}},
	} {
		if !slices.Equal(tc.got, tc.want) {
			t.Errorf("%s handler got %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

// muxCheckOn registers On[T] and checks that it receives payload, sent
// under action, and nothing else.
func muxCheckOn[T Payload](t *testing.T, action string, payload T) {
	t.Helper()
	m := NewMux(nil)
	type call struct {
		p       *Push
		payload T
	}
	var calls []call
	reg := On(m, func(_ context.Context, p *Push, v T) { calls = append(calls, call{p, v}) }, HandlerOptions{})
	match := &Push{Action: action, Payload: payload}
	other := &Push{Action: "OtherNotify"}
	for _, e := range []Event{&Subscribed{}, other, match, &Disconnected{}} {
		m.HandleEvent(t.Context(), e)
	}
	muxCloseOK(t, m)
	if len(calls) != 1 || calls[0].p != match || any(calls[0].payload) != any(payload) {
		t.Errorf("On[%T] got %d calls %v, want the one %s push with its payload", payload, len(calls), calls, action)
	}
	if st := reg.Stats(); st.Action != action || st.Name != action {
		t.Errorf("On[%T] registration %+v, want action and name %s", payload, st, action)
	}
}

func TestMuxOnTyped(t *testing.T) {
	muxLeakCheck(t)
	tests := []struct {
		action string
		check  func(t *testing.T, action string)
	}{
		{ActionConfBasicInfo, func(t *testing.T, a string) { muxCheckOn(t, a, &ConfBasicInfoNotify{Title: "x"}) }},
		{ActionConfDynamicInfo, func(t *testing.T, a string) { muxCheckOn(t, a, &ConfDynamicInfoNotify{State: "Created"}) }},
		{ActionParticipants, func(t *testing.T, a string) {
			muxCheckOn(t, a, &ParticipantsNotify{Participants: []Participant{{PID: "p1"}}})
		}},
		{ActionAttendees, func(t *testing.T, a string) { muxCheckOn(t, a, &AttendeesNotify{}) }},
		{ActionSpeakerChange, func(t *testing.T, a string) { muxCheckOn(t, a, &SpeakerChangeNotify{}) }},
		{ActionNetCondition, func(t *testing.T, a string) { muxCheckOn(t, a, &NetConditionNotify{}) }},
		{ActionInviteResult, func(t *testing.T, a string) { muxCheckOn(t, a, &InviteResultNotify{}) }},
		{ActionRealTimeSubtitle, func(t *testing.T, a string) { muxCheckOn(t, a, &RealTimeSubtitleNotify{}) }},
		{ActionWaitingList, func(t *testing.T, a string) { muxCheckOn(t, a, &WaitingListNotify{}) }},
		{ActionInterpreterGroup, func(t *testing.T, a string) { muxCheckOn(t, a, &InterpreterGroupNotify{}) }},
	}
	covered := make(map[string]bool)
	for _, tc := range tests {
		covered[tc.action] = true
		t.Run(tc.action, func(t *testing.T) { tc.check(t, tc.action) })
	}
	for _, a := range KnownActions() {
		if !covered[a] {
			t.Errorf("known action %s has no On test", a)
		}
	}
}

func TestMuxOnSkipsMismatchedPayload(t *testing.T) {
	muxLeakCheck(t)
	var logs bytes.Buffer
	m := NewMux(slog.New(slog.NewTextHandler(&logs, nil)))
	var got []*ParticipantsNotify
	reg := On(m, func(_ context.Context, _ *Push, n *ParticipantsNotify) { got = append(got, n) }, HandlerOptions{})
	want := &ParticipantsNotify{}
	m.HandleEvent(t.Context(), &Push{Action: ActionParticipants, MsgID: "undecoded"})
	m.HandleEvent(t.Context(), &Push{Action: ActionParticipants, MsgID: "mislabelled", Payload: &SpeakerChangeNotify{}})
	m.HandleEvent(t.Context(), &Push{Action: ActionParticipants, Payload: want})
	muxCloseOK(t, m)
	if len(got) != 1 || got[0] != want {
		t.Errorf("typed handler got %v, want only the decoded payload", got)
	}
	if st := reg.Stats(); st.Delivered != 3 {
		t.Errorf("Delivered = %d, want 3", st.Delivered)
	}
	if out := logs.String(); !strings.Contains(out, "level=WARN") || !strings.Contains(out, "msg_id=undecoded") ||
		!strings.Contains(out, "msg_id=mislabelled") {
		t.Errorf("skipped push not logged at Warn:\n%s", out)
	}
}

// TestMuxOnNilFunc checks that On treats a nil func as Handle treats a nil
// handler. (A T that is not a payload type no longer compiles.)
func TestMuxOnNilFunc(t *testing.T) {
	muxLeakCheck(t)
	m := NewMux(nil)
	defer muxCloseOK(t, m)
	defer func() {
		if v := recover(); v == nil || !strings.HasPrefix(fmt.Sprint(v), "events: on") {
			t.Errorf("On(nil) recovered %v, want an events: on panic", v)
		}
		if hs := m.Stats(); len(hs) != 0 {
			t.Errorf("failed On registered %d handlers", len(hs))
		}
	}()
	On[*ParticipantsNotify](m, nil, HandlerOptions{})
}

func TestMuxStatsDefaults(t *testing.T) {
	muxLeakCheck(t)
	m := NewMux(nil)
	m.Handle(ActionParticipants, &muxRecorder{}, HandlerOptions{Overflow: DropOldest})
	m.HandleLifecycle(&muxRecorder{}, HandlerOptions{Queue: 7})
	m.HandleAll(&muxRecorder{}, HandlerOptions{Queue: 2})
	m.HandleEvent(t.Context(), muxPush(ActionParticipants, 1))
	m.HandleEvent(t.Context(), nil)
	m.HandleEvent(t.Context(), (*Push)(nil))
	muxCloseOK(t, m)

	// With a catch-all registered nothing is unrouted; check that case on
	// a Mux with one action handler.
	m2 := NewMux(nil)
	m2.Handle(ActionParticipants, &muxRecorder{}, HandlerOptions{})
	m2.HandleEvent(t.Context(), muxPush(ActionSpeakerChange, 1))
	m2.HandleEvent(t.Context(), &Subscribed{})
	muxCloseOK(t, m2)

	tests := []struct {
		name             string
		got, want        []HandlerStats
		unrouted, wantUn uint64
	}{
		{"with catch-all", m.Stats(), []HandlerStats{
			{Name: ActionParticipants, Action: ActionParticipants, Overflow: DropOldest, Capacity: defaultMuxQueue, Delivered: 1},
			{Name: "lifecycle", Capacity: 7},
			{Name: "*", Capacity: 2, Delivered: 1},
		}, m.Unrouted(), 0},
		{"unrouted", m2.Stats(), []HandlerStats{
			{Name: ActionParticipants, Action: ActionParticipants, Capacity: defaultMuxQueue},
		}, m2.Unrouted(), 2},
	}
	for _, tc := range tests {
		if tc.unrouted != tc.wantUn || !slices.Equal(tc.got, tc.want) {
			t.Errorf("%s: Stats() = %+v, Unrouted %d; want %+v, %d", tc.name, tc.got, tc.unrouted, tc.want, tc.wantUn)
		}
	}
}

func TestMuxOverflowPolicyString(t *testing.T) {
	tests := []struct {
		p    OverflowPolicy
		want string
	}{
		{Block, "block"}, {DropOldest, "drop-oldest"}, {DropNewest, "drop-newest"}, {OverflowPolicy(9), "overflow(9)"},
	}
	for _, tc := range tests {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("%d.String() = %q, want %q", int(tc.p), got, tc.want)
		}
	}
}

// TestMuxRing checks the ring buffer against a slice model.
func TestMuxRing(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		size := rapid.IntRange(1, 8).Draw(t, "size")
		q := newMuxRing(size, -1)
		var model []Event
		next := 0
		for range rapid.IntRange(0, 100).Draw(t, "ops") {
			switch rapid.IntRange(0, 5).Draw(t, "op") {
			case 0, 1, 2:
				next++
				e := muxPush(ActionParticipants, next)
				ok := q.push(e)
				if ok != (len(model) < size) {
					t.Fatalf("push with %d/%d queued = %v", len(model), size, ok)
				}
				if ok {
					model = append(model, e)
				}
			case 3, 4:
				var want Event
				if len(model) > 0 {
					want, model = model[0], model[1:]
				}
				if got := q.pop(); got != want {
					t.Fatalf("pop = %v, want %v", got, want)
				}
			case 5:
				if n := q.clear(); n != len(model) {
					t.Fatalf("clear = %d, want %d", n, len(model))
				}
				model = nil
			}
			if q.len() != len(model) {
				t.Fatalf("len = %d, want %d", q.len(), len(model))
			}
		}
		// Every slot not holding a queued event is cleared.
		live := 0
		for _, e := range q.buf {
			if e != nil {
				live++
			}
		}
		if live != len(model) {
			t.Fatalf("%d non-nil slots, %d queued", live, len(model))
		}
	})
}

// BenchmarkMuxDispatch measures HandleEvent fanning one decoded push out to
// typed no-op handlers, including the handoff to their goroutines.
func BenchmarkMuxDispatch(b *testing.B) {
	for _, bc := range []struct {
		name     string
		handlers int
		policy   OverflowPolicy
	}{
		{"typed-1/block", 1, Block},
		{"typed-1/drop-newest", 1, DropNewest},
		{"typed-8/block", 8, Block},
	} {
		b.Run(bc.name, func(b *testing.B) {
			m := NewMux(nil)
			for range bc.handlers {
				On(m, func(context.Context, *Push, *ParticipantsNotify) {}, HandlerOptions{Overflow: bc.policy})
			}
			p := &Push{Action: ActionParticipants, Payload: &ParticipantsNotify{}}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				m.HandleEvent(ctx, p)
			}
			b.StopTimer()
			if err := m.Close(context.Background()); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// TestMuxQueueBytesCountsTheDecodedFrame checks that the byte bound counts
// the frame a push was decoded from even when Raw was not kept, as a
// session delivers decoded pushes, and Raw otherwise.
func TestMuxQueueBytesCountsTheDecodedFrame(t *testing.T) {
	muxLeakCheck(t)
	frame := readFrame(t, "ParticipantsNotify.full.json")
	decoded := func() *Push {
		p, err := Decode(frame)
		if err != nil {
			t.Fatal(err)
		}
		p.Raw = nil // what a session delivers for a decoded push
		return p
	}
	kept := &Push{Action: ActionParticipants, Raw: frame}
	for name, next := range map[string]func() *Push{"decoded": decoded, "raw": func() *Push { return kept }} {
		t.Run(name, func(t *testing.T) {
			m := NewMux(nil)
			h := newMuxGated()
			// Room for one frame's bytes: with the first push in the
			// handler, the second fills the bound and the third is dropped.
			reg := m.HandleAll(h, HandlerOptions{QueueBytes: int64(len(frame)), Overflow: DropNewest})
			m.HandleEvent(t.Context(), next())
			<-h.started
			m.HandleEvent(t.Context(), next())
			m.HandleEvent(t.Context(), next())
			if st := reg.Stats(); st.Dropped != 1 || st.Queued != 1 {
				t.Errorf("Stats() = %+v, want 1 queued and 1 dropped by the byte bound", st)
			}
			close(h.release)
			muxCloseOK(t, m)
		})
	}
}
