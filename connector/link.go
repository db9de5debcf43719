package connector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/confwatch/confwatch/clock"
	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/internal/wire"
	"github.com/confwatch/confwatch/token"
)

// linkEnv is all a link needs from its session: the configuration, where
// to deliver events and request resyncs, the counters, the logger and the
// text cleaner. One per session, shared by its links.
type linkEnv struct {
	cfg *Config
	log *slog.Logger
	c   *counters
	// deliver queues a push whose frame had n bytes; false: the queue
	// is full. announce queues a lifecycle event, which is never refused.
	deliver  func(p *events.Push, n int64) bool
	announce func(e events.Event)
	resync   func(reason string)
	clean    func(string) string
}

// link is one live socket. It has one goroutine, the reader, started by
// start and joined by shutdown. Frames are written by whoever sends them,
// one at a time under the link's write lock: Subscribe and heartbeats by
// the supervisor (Run's goroutine, which also serves the link's timers
// while it waits in awaitReply and live), a subtitle control by its
// caller. An idle session therefore holds two goroutines, Run's and the
// reader (BENCHMARKS.md, memory).
type link struct {
	env  *linkEnv
	conn *websocket.Conn
	ctl  *token.Control

	// ann is what the reader announces (Subscribed or Resubscribed) when
	// the Subscribe reply accepts, so that it precedes the snapshots. A
	// copy made before the dial: the supervisor's fields are its own.
	ann announcement

	subReply chan *wire.SubscribeReply // capacity 1
	readDone chan struct{}             // closed by the reader on exit

	// wlock is the write lock: a token of capacity 1 rather than a
	// mutex, so that a caller can stop waiting for it when its context
	// ends. closed is set when the link fails and by shutdown before
	// anything else: no frame is written after it (write checks it under
	// the lock; a write already under way fails when the socket closes).
	wlock  chan struct{}
	closed atomic.Bool

	// beat and watchdog are the link's liveness timers, on the session's
	// clock, served by the supervisor (heartbeat, checkSilence). sent counts the
	// heartbeats sent; only the supervisor touches it.
	beat, watchdog clock.Timer
	sent           int64

	// lastRecv is the clock time, unix ns, when message data last
	// arrived. Only data counts as life: WebSocket pings, pongs and empty
	// fragments do not, so a proxy that keeps pinging for a dead backend
	// cannot hold the link open; a large frame arriving slowly does count,
	// byte by byte (RELIABILITY.md, bug 1).
	lastRecv atomic.Int64
	// busy is set while the reader decodes and delivers a message it has
	// read whole: a 2 MB snapshot can take longer than a heartbeat
	// interval to decode (under the race detector, on a loaded machine),
	// and the echoes waiting behind it are not missing. Decoding is
	// bounded by ReadLimit, so a server cannot keep the link busy.
	busy   atomic.Bool
	echoes atomic.Int64 // heartbeat echoes received
	ended  atomic.Bool  // a Destroyed status arrived
	// phase is phaseWaiting until the first Subscribe reply decides it:
	// the reader moves it to phaseLive on an acceptance, the attempt to
	// phaseAbandoned when it gives up. Whoever moves it first wins, so a
	// Subscribed event is announced only for a link the session keeps.
	phase atomic.Int32

	errOnce sync.Once
	err     error // first reason the link ended
}

var (
	errClosedByUs = errors.New("connector: link closed by the session")
	errLinkClosed = errors.New("connector: the link is closed")
)

// Link phases (link.phase).
const (
	phaseWaiting int32 = iota
	phaseLive
	phaseAbandoned
)

// newLink wraps a dialled socket. Its timers start now: the heartbeat
// schedule and the silence watchdog run from before Subscribe is sent, so
// that whoever sees the session subscribed (a test moving a fake clock)
// finds them armed.
func newLink(env *linkEnv, conn *websocket.Conn, ctl *token.Control, ann announcement) *link {
	cfg := env.cfg
	l := &link{
		env: env, conn: conn, ctl: ctl, ann: ann,
		subReply: make(chan *wire.SubscribeReply, 1),
		readDone: make(chan struct{}),
		wlock:    make(chan struct{}, 1),
		beat:     cfg.Clock.NewTimer(cfg.HeartbeatInterval),
		watchdog: cfg.Clock.NewTimer(cfg.ReadTimeout),
	}
	l.lastRecv.Store(cfg.Clock.Now().UnixNano())
	conn.SetPingHandler(func(data string) error {
		// WriteControl may run beside a write under wlock (gorilla allows
		// it), so the reader answers pings without waiting for the lock.
		err := conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(cfg.WriteTimeout))
		if errors.Is(err, websocket.ErrCloseSent) {
			return nil
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil
		}
		return err
	})
	return l
}

// start starts the reader and sends Subscribe; a failed send fails the
// link, which the reader's end then reports.
func (l *link) start(ctx context.Context, subscribe []byte) {
	go l.read()
	l.write(ctx, subscribe)
}

// fail records why the link ended (first reason wins) and closes the
// socket, which ends the reader.
func (l *link) fail(err error) {
	l.errOnce.Do(func() { l.err = err })
	l.closed.Store(true) // a failed link takes no more writes
	l.conn.Close()
}

// result is why the link ended; valid after readDone.
func (l *link) result() error {
	l.errOnce.Do(func() { l.err = errors.New("connector: link ended") })
	return l.err
}

// shutdown ends the link and joins the reader. With bye, a normal close
// frame is sent first (bounded by DefaultCloseTimeout); gorilla lets it
// pass beside a write under way, and refuses any data frame after it.
func (l *link) shutdown(bye bool) {
	l.closed.Store(true)
	if bye {
		msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
		l.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(DefaultCloseTimeout))
	}
	l.fail(errClosedByUs)
	<-l.readDone
	l.beat.Stop()
	l.watchdog.Stop()
}

// write sends one text frame under the write lock, bounded by
// WriteTimeout; waiting for the lock ends with ctx. A failed write fails
// the link. After shutdown it fails with errLinkClosed and writes nothing.
func (l *link) write(ctx context.Context, data []byte) error {
	select {
	case l.wlock <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-l.wlock }()
	if l.closed.Load() {
		return errLinkClosed
	}
	l.conn.SetWriteDeadline(time.Now().Add(l.env.cfg.WriteTimeout))
	if err := l.conn.WriteMessage(websocket.TextMessage, data); err != nil {
		if l.closed.Load() {
			return errLinkClosed // the link ended under the write
		}
		err = fmt.Errorf("connector: write: %w", err)
		l.fail(err)
		return err
	}
	return nil
}

// heartbeat serves the beat timer: it sends a heartbeat, or fails the
// link when heartbeats have gone unanswered while no data arrived either
// (behind a large frame on a slow link the echoes are merely queued).
func (l *link) heartbeat(ctx context.Context, now time.Time) {
	cfg := l.env.cfg
	quiet := !l.busy.Load() && now.Sub(time.Unix(0, l.lastRecv.Load())) >= cfg.HeartbeatInterval
	if missed := l.sent - l.echoes.Load(); quiet && missed >= int64(cfg.MaxMissedHeartbeats) {
		l.fail(fmt.Errorf("%w: %d heartbeats without an echo", ErrDeadLink, missed))
		return
	}
	// Re-arm and count before sending: the schedule does not drift by the
	// write's duration, and an echo never precedes its count.
	l.beat.Reset(cfg.HeartbeatInterval)
	l.sent++
	l.env.c.heartbeatsSent.Add(1)
	l.write(ctx, wire.EncodeHeartBeat(wire.Sequence(cfg.Clock.Now())))
}

// checkSilence serves the watchdog timer: it fails the link when no data
// arrived for ReadTimeout, and re-arms the timer otherwise.
func (l *link) checkSilence(now time.Time) {
	cfg := l.env.cfg
	if l.busy.Load() {
		l.watchdog.Reset(cfg.ReadTimeout / 8)
		return
	}
	silent := now.Sub(time.Unix(0, l.lastRecv.Load()))
	if silent >= cfg.ReadTimeout {
		l.fail(fmt.Errorf("%w: nothing received for %v", ErrDeadLink, silent.Round(time.Millisecond)))
		return
	}
	l.watchdog.Reset(cfg.ReadTimeout - silent)
}
