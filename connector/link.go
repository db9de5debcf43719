package connector

import (
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

// link is one live socket: exactly one reader goroutine and one writer
// goroutine, both started by start and joined by shutdown. Every frame
// sent, heartbeats included, goes through the writer.
type link struct {
	env  *linkEnv
	conn *websocket.Conn
	ctl  *token.Control

	// ann is what the reader announces (Subscribed or Resubscribed) when
	// the Subscribe reply accepts, so that it precedes the snapshots. A
	// copy made before the dial: the supervisor's fields are its own.
	ann announcement

	out      chan outFrame             // to the writer
	subReply chan *wire.SubscribeReply // capacity 1
	stop     chan struct{}             // closed by shutdown: writer exits
	readDone chan struct{}             // closed by the reader on exit
	wrDone   chan struct{}             // closed by the writer on exit

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
	sendBye atomic.Bool
}

type outFrame struct {
	data   []byte
	result chan error // capacity 1, may be nil
}

var errClosedByUs = errors.New("connector: link closed by the session")

// Link phases (link.phase).
const (
	phaseWaiting int32 = iota
	phaseLive
	phaseAbandoned
)

func newLink(env *linkEnv, conn *websocket.Conn, ctl *token.Control, ann announcement) *link {
	l := &link{
		env: env, conn: conn, ctl: ctl, ann: ann,
		out:      make(chan outFrame, 4),
		subReply: make(chan *wire.SubscribeReply, 1),
		stop:     make(chan struct{}),
		readDone: make(chan struct{}),
		wrDone:   make(chan struct{}),
	}
	l.lastRecv.Store(env.cfg.Clock.Now().UnixNano())
	conn.SetPingHandler(func(data string) error {
		err := conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(env.cfg.WriteTimeout))
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

func (l *link) start(subscribe []byte) {
	go l.read()
	go l.write(subscribe)
}

// fail records why the link ended (first reason wins) and closes the
// socket, which ends the reader.
func (l *link) fail(err error) {
	l.errOnce.Do(func() { l.err = err })
	l.conn.Close()
}

// result is why the link ended; valid after readDone.
func (l *link) result() error {
	l.errOnce.Do(func() { l.err = errors.New("connector: link ended") })
	return l.err
}

// shutdown ends the link and joins both goroutines. With bye, a normal
// close frame is sent first (bounded by DefaultCloseTimeout).
func (l *link) shutdown(bye bool) {
	l.sendBye.Store(bye)
	close(l.stop)
	<-l.wrDone
	l.fail(errClosedByUs)
	<-l.readDone
}

func (l *link) write(subscribe []byte) {
	defer close(l.wrDone)
	cfg := l.env.cfg
	// Timers first: once Subscribe is on the wire the reply (and anyone
	// watching the session reach "subscribed") may come before this
	// goroutine runs again, and the heartbeat schedule starts now.
	beat := cfg.Clock.NewTimer(cfg.HeartbeatInterval)
	defer beat.Stop()
	watchdog := cfg.Clock.NewTimer(cfg.ReadTimeout)
	defer watchdog.Stop()
	if err := l.send(websocket.TextMessage, subscribe); err != nil {
		l.fail(err)
		return
	}
	var sent int64
	for {
		select {
		case <-l.stop:
			if l.sendBye.Load() {
				msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
				l.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(DefaultCloseTimeout))
			}
			return
		case f := <-l.out:
			err := l.send(websocket.TextMessage, f.data)
			if f.result != nil {
				f.result <- err
			}
			if err != nil {
				l.fail(err)
				return
			}
		case now := <-beat.C():
			if err := l.beat(now, beat, &sent); err != nil {
				l.fail(err)
				return
			}
		case now := <-watchdog.C():
			if err := l.checkSilence(now, watchdog); err != nil {
				l.fail(err)
				return
			}
		}
	}
}

// beat sends a heartbeat, or fails the link when heartbeats have gone
// unanswered while no data arrived either: behind a large frame on a slow
// link the echoes are merely queued.
func (l *link) beat(now time.Time, t clock.Timer, sent *int64) error {
	cfg := l.env.cfg
	quiet := !l.busy.Load() && now.Sub(time.Unix(0, l.lastRecv.Load())) >= cfg.HeartbeatInterval
	if missed := *sent - l.echoes.Load(); quiet && missed >= int64(cfg.MaxMissedHeartbeats) {
		return fmt.Errorf("%w: %d heartbeats without an echo", ErrDeadLink, missed)
	}
	// Re-arm and count before sending: the schedule does not drift by the
	// write's duration, and an echo never precedes its count.
	t.Reset(cfg.HeartbeatInterval)
	*sent++
	l.env.c.heartbeatsSent.Add(1)
	return l.send(websocket.TextMessage, wire.EncodeHeartBeat(wire.Sequence(cfg.Clock.Now())))
}

// checkSilence fails the link when no data arrived for ReadTimeout, and
// re-arms t otherwise.
func (l *link) checkSilence(now time.Time, t clock.Timer) error {
	cfg := l.env.cfg
	if l.busy.Load() {
		t.Reset(cfg.ReadTimeout / 8)
		return nil
	}
	silent := now.Sub(time.Unix(0, l.lastRecv.Load()))
	if silent >= cfg.ReadTimeout {
		return fmt.Errorf("%w: nothing received for %v", ErrDeadLink, silent.Round(time.Millisecond))
	}
	t.Reset(cfg.ReadTimeout - silent)
	return nil
}

func (l *link) send(mt int, data []byte) error {
	l.conn.SetWriteDeadline(time.Now().Add(l.env.cfg.WriteTimeout))
	if err := l.conn.WriteMessage(mt, data); err != nil {
		return fmt.Errorf("connector: write: %w", err)
	}
	return nil
}
