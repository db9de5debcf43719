package connector

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"

	"github.com/gorilla/websocket"

	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/internal/wire"
)

// The reader reads each message into a buffer from frameBufs, decodes it
// there and gives the buffer back before it reads the next one. Nothing
// delivered aliases the buffer: a decoded payload never aliases its frame
// (events.Decode), and Push.Raw, when kept, is a copy (keepRaw). So a
// process's sessions share a few buffers, and an idle session holds none.
var frameBufs = sync.Pool{New: func() any {
	b := make([]byte, 0, frameBufSize)
	return &b
}}

const (
	// frameBufSize is a new frame buffer's capacity: most pushes are a
	// few hundred bytes.
	frameBufSize = 1024
	// maxPooledFrame is the largest buffer given back to frameBufs; one
	// grown by a larger message (a full snapshot) is left to the garbage
	// collector, so that the pool never pins megabytes.
	maxPooledFrame = 64 << 10
	// slowFrame is the size from which decoding a message may take long
	// enough (a 2 MB snapshot under the race detector: seconds) that its
	// end is recorded as a sign of life too.
	slowFrame = 64 << 10
)

// read is the link's reader goroutine: it reads and handles messages until
// the socket fails, the session closes it, or the meeting ends.
func (l *link) read() {
	defer close(l.readDone)
	replied := false
	for {
		mt, r, err := l.conn.NextReader()
		if err != nil {
			l.fail(l.readError(err))
			return
		}
		bp := frameBufs.Get().(*[]byte)
		data, err := l.readMessage(r, (*bp)[:0])
		live := err == nil
		if live {
			l.busy.Store(true)
			live = l.handle(mt, data, &replied)
			if len(data) >= slowFrame {
				l.lastRecv.Store(l.env.cfg.Clock.Now().UnixNano())
			}
			l.busy.Store(false)
		}
		if cap(data) <= maxPooledFrame {
			*bp = data[:0]
			frameBufs.Put(bp)
		}
		if err != nil {
			l.fail(l.readError(err))
		}
		if !live {
			return
		}
	}
}

// readMessage appends the rest of message r to buf and returns it. Every
// read that brings data records the time (lastRecv): only data counts as
// life, and it counts byte by byte, so that a large frame on a slow link
// is not mistaken for silence (RELIABILITY.md, bug 1). A small message
// arrives in one read: one clock read.
func (l *link) readMessage(r io.Reader, buf []byte) ([]byte, error) {
	clk := l.env.cfg.Clock
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if n > 0 {
			l.lastRecv.Store(clk.Now().UnixNano())
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// handle decodes and delivers one message. It reports false when the
// link must end (the meeting ended). data is the reader's buffer: nothing
// handle keeps or delivers may alias it.
func (l *link) handle(mt int, data []byte, replied *bool) bool {
	env := l.env
	env.c.framesIn.Add(1)
	env.c.bytesIn.Add(int64(len(data)))
	if mt != websocket.TextMessage {
		env.c.binary.Add(1)
		env.log.Warn("skipping a binary frame", slog.Int("bytes", len(data)))
		return true
	}
	f, err := decodeFrame(data)
	if err != nil {
		env.c.malformed.Add(1)
		env.log.Warn("skipping a frame that does not decode", slog.Int("bytes", len(data)), slog.String("err", env.clean(err.Error())))
		return true
	}
	switch f := f.(type) {
	case *wire.HeartBeat:
		l.echoes.Add(1)
		env.c.heartbeatsEcho.Add(1)
	case *wire.SubscribeReply:
		// Only the first reply decides; later ones are ignored.
		if !*replied {
			*replied = true
			l.accept(f)
		}
	case *events.Push:
		f.Raw = keepRaw(f, data, env.cfg.KeepRaw)
		env.cfg.Observer.pushReceived(f, l.lastRecv.Load())
		if !env.deliver(f, int64(len(data))) {
			env.c.dropped.Add(1)
			env.cfg.Observer.dropped(f)
			env.resync("handler queue full")
		}
		if dyn, ok := f.Payload.(*events.ConfDynamicInfoNotify); ok && dyn.Ended() {
			l.ended.Store(true)
			l.fail(ErrMeetingEnded)
			return false
		}
	}
	return true
}

// keepRaw is what a delivered push keeps as Raw: a copy of its frame when
// the configuration asks for every frame (Config.KeepRaw) or when the
// action is one events does not decode (no Payload: the frame is all
// there is), else nothing.
func keepRaw(p *events.Push, frame []byte, all bool) []byte {
	if all || p.Payload == nil {
		return bytes.Clone(frame)
	}
	return nil
}

// accept handles the first Subscribe reply: an acceptance that wins the
// phase is counted and announced before it is handed to the waiting
// attempt, so that a handler seeing Subscribed (or any push after it)
// never reads Stats that lag behind.
func (l *link) accept(r *wire.SubscribeReply) {
	if r.OK() && l.phase.CompareAndSwap(phaseWaiting, phaseLive) {
		l.env.c.subscribes.Add(1)
		now := l.env.cfg.Clock.Now()
		l.env.cfg.Observer.resubscribed(l.ann, now)
		l.env.announce(l.ann.event(now))
	}
	l.subReply <- r // capacity 1, the only send
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

// readError turns a read failure into the link's reason; server text in
// it (a close reason) is cleaned.
func (l *link) readError(err error) error {
	env := l.env
	if errors.Is(err, websocket.ErrReadLimit) {
		env.c.oversize.Add(1)
		env.log.Warn("a frame exceeded the read limit; redialing", slog.Int64("limit", env.cfg.ReadLimit))
		return fmt.Errorf("%w (%d bytes)", ErrFrameTooLarge, env.cfg.ReadLimit)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%w: nothing received for %v", ErrDeadLink, env.cfg.ReadTimeout)
	}
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return fmt.Errorf("connector: read: %w", &websocket.CloseError{Code: ce.Code, Text: env.clean(ce.Text)})
	}
	return fmt.Errorf("connector: read: %s", env.clean(err.Error()))
}
