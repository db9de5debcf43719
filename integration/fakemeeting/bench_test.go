package fakemeeting_test

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/confwatch/confwatch/clock"
	"github.com/confwatch/confwatch/integration/fakemeeting"
)

// openSessions opens n subscribed sockets sharing one control token.
func openSessions(tb testing.TB, srv *fakemeeting.Server, n int, types []string) []*websocket.Conn {
	tb.Helper()
	c := srv.Client()
	ctl := login(tb, srv, c)
	conns := make([]*websocket.Conn, 0, n)
	for i := 0; i < n; i++ {
		ws, _, err := dialer(srv).Dial(connURL(srv, wsToken(tb, srv, c, ctl)), nil)
		if err != nil {
			tb.Fatalf("dial %d: %v", i, err)
		}
		tb.Cleanup(func() { ws.Close() })
		sendSubscribe(tb, ws, "s", ctl, types, true)
		conns = append(conns, ws)
	}
	if err := srv.WaitSubscribed(ctxT(tb), n); err != nil {
		tb.Fatal(err)
	}
	return conns
}

// drain reads frames until the socket fails.
func drain(wg *sync.WaitGroup, ws *websocket.Conn) {
	defer wg.Done()
	for {
		if _, _, err := ws.NextReader(); err != nil {
			return
		}
	}
}

// TestManySessionsMemory opens 1000 sessions and reports the heap and
// goroutines they cost (client and server sides together: both run in
// this process).
func TestManySessionsMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	srv, _ := newFake(t, fakemeeting.Config{Clock: clock.Real()})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	g0 := runtime.NumGoroutine()
	const n = 1000
	openSessions(t, srv, n, []string{"ConfDynamicInfoNotify"})
	runtime.GC()
	runtime.ReadMemStats(&after)
	t.Logf("%d sessions: %.1f KiB heap per session (client+server), %.1f goroutines per session",
		n, float64(after.HeapAlloc-before.HeapAlloc)/n/1024, float64(runtime.NumGoroutine()-g0)/n)
	if st := srv.Stats(); st.LiveSockets != n {
		t.Errorf("LiveSockets %d", st.LiveSockets)
	}
}

// BenchmarkFlood measures frames per second delivered by Flood to 100
// sockets (b.N pushes, each to every socket).
func BenchmarkFlood(b *testing.B) {
	srv, err := fakemeeting.New(fakemeeting.Config{Participants: roster})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	conns := openSessions(b, srv, 100, []string{"ParticipantsNotify", "SpeakerChangeNotify"})
	var wg sync.WaitGroup
	for _, ws := range conns {
		wg.Add(1)
		go drain(&wg, ws)
	}
	b.ResetTimer()
	start := time.Now()
	queued, err := srv.Meeting().Flood(context.Background(), b.N, fakemeeting.FloodMixed)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(queued)/time.Since(start).Seconds(), "frames/s")
	b.StopTimer()
	srv.Faults().DropAll()
	wg.Wait()
}
