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

	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/internal/wire"
	"github.com/confwatch/confwatch/token"
)

// link is one live socket: exactly one reader goroutine and one writer
// goroutine, both started by start and joined by shutdown. Every frame
// sent, heartbeats included, goes through the writer.
type link struct {
	s    *Session
	conn *websocket.Conn
	ctl  *token.Control

	// onSubscribed builds the lifecycle event the reader enqueues when the
	// Subscribe reply accepts, so that it precedes the snapshots.
	onSubscribed func(at time.Time) events.Event

	out      chan outFrame             // to the writer
	subReply chan *wire.SubscribeReply // capacity 1
	stop     chan struct{}             // closed by shutdown: writer exits
	readDone chan struct{}             // closed by the reader on exit
	wrDone   chan struct{}             // closed by the writer on exit

	lastRecv *atomic.Int64 // clock time of the last bytes read, unix ns (see liveConn)
	echoes   atomic.Int64  // heartbeat echoes received
	ended    atomic.Bool   // a Destroyed status arrived
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

func (s *Session) newLink(conn *websocket.Conn, last *atomic.Int64, ctl *token.Control, onSubscribed func(time.Time) events.Event) *link {
	l := &link{
		s: s, conn: conn, ctl: ctl, onSubscribed: onSubscribed, lastRecv: last,
		out:      make(chan outFrame, 4),
		subReply: make(chan *wire.SubscribeReply, 1),
		stop:     make(chan struct{}),
		readDone: make(chan struct{}),
		wrDone:   make(chan struct{}),
	}
	l.lastRecv.Store(s.cfg.Clock.Now().UnixNano())
	conn.SetPingHandler(func(data string) error {
		err := conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(s.cfg.WriteTimeout))
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

func (l *link) read() {
	defer close(l.readDone)
	s := l.s
	replied := false
	for {
		mt, data, err := l.conn.ReadMessage()
		if err != nil {
			l.fail(readError(s, err))
			return
		}
		s.c.framesIn.Add(1)
		s.c.bytesIn.Add(int64(len(data)))
		if mt != websocket.TextMessage {
			s.c.binary.Add(1)
			s.log.Warn("skipping a binary frame", slog.Int("bytes", len(data)))
			continue
		}
		f, err := decodeFrame(data)
		if err != nil {
			s.c.malformed.Add(1)
			s.log.Warn("skipping a frame that does not decode", slog.Int("bytes", len(data)), slog.Any("err", err))
			continue
		}
		switch f := f.(type) {
		case *wire.HeartBeat:
			l.echoes.Add(1)
			s.c.heartbeatsEcho.Add(1)
		case *wire.SubscribeReply:
			// Only the first reply decides; later ones are ignored.
			if replied {
				continue
			}
			replied = true
			if f.OK() && l.phase.CompareAndSwap(phaseWaiting, phaseLive) {
				// Counted here, before the event is queued, so that a
				// handler seeing Subscribed (or any push after it) never
				// reads Stats that lag behind.
				s.c.subscribes.Add(1)
				s.q.put(l.onSubscribed(s.cfg.Clock.Now()), true)
			}
			l.subReply <- f // capacity 1, the only send
		case *events.Push:
			if !s.q.put(f, false) {
				s.c.dropped.Add(1)
				s.Resync("handler queue full")
			}
			if dyn, ok := f.Payload.(*events.ConfDynamicInfoNotify); ok && dyn.Ended() {
				l.ended.Store(true)
				l.fail(ErrMeetingEnded)
				return
			}
		}
	}
}

// decodeFrame decodes a server frame: a push, or the Subscribe reply or
// HeartBeat echo, which events.Decode leaves to the connector (with one
// scan for the action, Decode's).
func decodeFrame(data []byte) (any, error) {
	p, err := events.Decode(data)
	if err != nil {
		return nil, err
	}
	switch p.Action {
	case wire.ActionHeartBeat:
		return frameOf(wire.DecodeHeartBeat(data))
	case wire.ActionSubscribe:
		return frameOf(wire.DecodeSubscribeReply(data))
	}
	return p, nil
}

// frameOf returns f, or a nil interface (not a typed nil) with err.
func frameOf[F any](f *F, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return f, nil
}

// readError turns a read failure into the link's reason.
func readError(s *Session, err error) error {
	if errors.Is(err, websocket.ErrReadLimit) {
		s.c.oversize.Add(1)
		s.log.Warn("a frame exceeded the read limit; redialing", slog.Int64("limit", s.cfg.ReadLimit))
		return fmt.Errorf("%w (%d bytes)", ErrFrameTooLarge, s.cfg.ReadLimit)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%w: nothing received for %v", ErrDeadLink, s.cfg.ReadTimeout)
	}
	return fmt.Errorf("connector: read: %w", err)
}

func (l *link) write(subscribe []byte) {
	defer close(l.wrDone)
	s := l.s
	// Timers first: once Subscribe is on the wire the reply (and anyone
	// watching the session reach "subscribed") may come before this
	// goroutine runs again, and the heartbeat schedule starts now.
	beat := s.cfg.Clock.NewTimer(s.cfg.HeartbeatInterval)
	defer beat.Stop()
	watchdog := s.cfg.Clock.NewTimer(s.cfg.ReadTimeout)
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
			// Unanswered heartbeats mean a dead link only while nothing
			// else arrives either: behind a large frame on a slow link the
			// echoes are merely queued.
			quiet := now.Sub(time.Unix(0, l.lastRecv.Load())) >= s.cfg.HeartbeatInterval
			if missed := sent - l.echoes.Load(); quiet && missed >= int64(s.cfg.MaxMissedHeartbeats) {
				l.fail(fmt.Errorf("%w: %d heartbeats without an echo", ErrDeadLink, missed))
				return
			}
			// Re-arm and count before sending: the schedule does not drift
			// by the write's duration, and an echo never precedes its count.
			beat.Reset(s.cfg.HeartbeatInterval)
			sent++
			s.c.heartbeatsSent.Add(1)
			if err := l.send(websocket.TextMessage, wire.EncodeHeartBeat(wire.Sequence(s.cfg.Clock.Now()))); err != nil {
				l.fail(err)
				return
			}
		case now := <-watchdog.C():
			silent := now.Sub(time.Unix(0, l.lastRecv.Load()))
			if silent >= s.cfg.ReadTimeout {
				l.fail(fmt.Errorf("%w: nothing received for %v", ErrDeadLink, silent.Round(time.Millisecond)))
				return
			}
			watchdog.Reset(s.cfg.ReadTimeout - silent)
		}
	}
}

func (l *link) send(mt int, data []byte) error {
	l.conn.SetWriteDeadline(time.Now().Add(l.s.cfg.WriteTimeout))
	if err := l.conn.WriteMessage(mt, data); err != nil {
		return fmt.Errorf("connector: write: %w", err)
	}
	return nil
}
