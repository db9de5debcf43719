package scenario

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gorilla/websocket"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/integration/fakemeeting"
	"github.com/confwatch/confwatch/internal/wire"
	"github.com/confwatch/confwatch/secret"
)

// Kind is a client that receives a flood.
type Kind string

// Client kinds of the throughput scenario.
const (
	// KindBare reads each frame with a bare gorilla socket and discards
	// it: the ceiling.
	KindBare Kind = "bare"
	// KindNaive reads each frame and json-decodes it into map[string]any.
	KindNaive Kind = "naive"
	// KindSessionFunc is a connector.Session whose Handler is a plain
	// events.HandlerFunc (no Mux), to separate the Mux's share.
	KindSessionFunc Kind = "session-func"
	// KindSession is a connector.Session feeding an events.Mux with no-op
	// typed handlers (events.On) for the flooded types.
	KindSession Kind = "session"
)

// Kinds lists the throughput clients, baselines first.
var Kinds = []Kind{KindBare, KindNaive, KindSessionFunc, KindSession}

// floodTypes are the push types Flood sends; every client subscribes to
// exactly these, so that all receive the same frames.
var floodTypes = []string{events.ActionParticipants, events.ActionSpeakerChange}

// FloodQueue is the connector.Config.Queue the throughput clients use.
// Under a flood from a fake in another process, the OS can deschedule the
// session's dispatcher for a time slice (several ms) while its reader keeps
// draining the kernel's socket buffer; the default 1024 events (under 10
// ms of flood) then overflow, and the session drops pushes and resyncs by
// design. 16384 absorbs such pauses, so that the figure is throughput, not
// the resync path; Drops in the results says whether it sufficed.
const FloodQueue = 16384

// ClientConfig sizes a flood client.
type ClientConfig struct {
	// BufferSize is the socket's read and write buffer size. Zero means
	// connector.DefaultBufferSize.
	BufferSize int
	// Queue is the session's connector.Config.Queue. Zero means
	// FloodQueue.
	Queue int
	// Observer is the session's connector.Config.Observer (session kinds
	// only), to measure what observing costs. Nil means none.
	Observer *connector.Observer
}

// FloodClient is one subscribed client of some Kind, ready for floods.
type FloodClient struct {
	kind    Kind
	src     Source
	count   *counter
	sess    *connector.Session // session kinds
	mux     *events.Mux        // KindSession
	conn    *websocket.Conn    // baselines
	cancel  context.CancelFunc
	started bool
	done    chan struct{} // closed when the client's goroutine is done
	runErr  error
}

// start runs the client's one goroutine.
func (c *FloodClient) start(run func()) {
	c.started = true
	go func() {
		defer close(c.done)
		run()
	}()
}

// Connect subscribes one client of kind to src's flood types and waits
// until its snapshot burst has been received.
func Connect(ctx context.Context, src Source, kind Kind, cc ClientConfig) (*FloodClient, error) {
	if cc.BufferSize == 0 {
		cc.BufferSize = connector.DefaultBufferSize
	}
	if cc.Queue == 0 {
		cc.Queue = FloodQueue
	}
	c := &FloodClient{kind: kind, src: src, count: newCounter(), done: make(chan struct{})}
	cctx, cancel := context.WithCancel(ctx)
	c.cancel = cancel
	fail := func(err error) (*FloodClient, error) {
		c.Close()
		return nil, err
	}
	switch kind {
	case KindBare, KindNaive:
		u, ctl, err := src.dialInfo(ctx)
		if err == nil {
			c.conn, err = dialURLSubscribe(ctx, bareDialer(cc.BufferSize), u, src.confID(), ctl)
		}
		if err != nil {
			return fail(err)
		}
		c.start(func() {
			if kind == KindBare {
				readDiscard(c.conn, c.count)
			} else {
				readNaive(c.conn, c.count)
			}
		})
	case KindSession, KindSessionFunc:
		h, err := c.handler(kind)
		if err != nil {
			return fail(err)
		}
		ts, err := src.tokens()
		if err != nil {
			return fail(err)
		}
		c.sess, err = connector.New(connector.Config{
			AllowPlainText: true,
			ConferenceID:   src.confID(), Tokens: ts, Types: floodTypes, Queue: cc.Queue,
			ReadBufferSize: cc.BufferSize, WriteBufferSize: cc.BufferSize, Observer: cc.Observer,
		})
		if err != nil {
			return fail(fmt.Errorf("scenario: connect: %w", err))
		}
		c.start(func() { c.runErr = c.sess.Run(cctx, h) })
	default:
		return fail(fmt.Errorf("scenario: connect: unknown kind %q", kind))
	}
	if err := src.subscribed(ctx); err != nil {
		return fail(err)
	}
	if _, err := c.count.settle(ctx, 50*time.Millisecond, 20*time.Second); err != nil {
		return fail(err)
	}
	return c, nil
}

// handler builds a session kind's Handler: every push it receives is
// counted.
func (c *FloodClient) handler(kind Kind) (events.Handler, error) {
	if kind == KindSessionFunc {
		return events.HandlerFunc(func(_ context.Context, e events.Event) {
			if _, ok := e.(*events.Push); ok {
				c.count.add()
			}
		}), nil
	}
	c.mux = events.NewMux(nil)
	events.On(c.mux, func(context.Context, *events.Push, *events.ParticipantsNotify) { c.count.add() }, events.HandlerOptions{})
	events.On(c.mux, func(context.Context, *events.Push, *events.SpeakerChangeNotify) { c.count.add() }, events.HandlerOptions{})
	return c.mux, nil
}

// dialURLSubscribe dials u and sends Subscribe for floodTypes.
func dialURLSubscribe(ctx context.Context, d *websocket.Dialer, u, confID string, ctl secret.Secret) (*websocket.Conn, error) {
	conn, resp, err := d.DialContext(ctx, u, nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("scenario: dial: %w", err)
	}
	sub, err := wire.EncodeSubscribe(wire.Sequence(time.Now()), confID, floodTypes, ctl)
	if err == nil {
		err = conn.WriteMessage(websocket.TextMessage, sub)
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("scenario: subscribe: %w", err)
	}
	return conn, nil
}

// readDiscard is the bare baseline's reader: every frame is read and
// thrown away.
func readDiscard(conn *websocket.Conn, c *counter) {
	for {
		_, r, err := conn.NextReader()
		if err != nil {
			return
		}
		if _, err := io.Copy(io.Discard, r); err != nil {
			return
		}
		c.add()
	}
}

// readNaive is the naive baseline's reader: every frame is decoded into a
// generic map, as a first attempt at a client would.
func readNaive(conn *websocket.Conn, c *counter) {
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			return
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			continue
		}
		c.add()
	}
}

// Flood makes the source push n frames of mix and returns the time until
// the client has handled all of them.
func (c *FloodClient) Flood(ctx context.Context, n int, mix fakemeeting.FloodMix) (time.Duration, error) {
	base := c.count.load()
	start := time.Now()
	err := c.src.push(n, mix)
	if err == nil {
		err = c.count.await(ctx, base+int64(n), 60*time.Second+time.Duration(n)*100*time.Microsecond)
	}
	if err != nil {
		if c.sess != nil {
			st := c.sess.Stats()
			err = fmt.Errorf("%w (session: state %v, dropped %d, resyncs %d, last error %q)", err, st.State, st.Dropped, st.Resyncs, st.LastError)
		}
		return 0, err
	}
	return time.Since(start), nil
}

// Dropped returns the pushes a session client dropped (0 for baselines).
func (c *FloodClient) Dropped() int64 {
	if c.sess == nil {
		return 0
	}
	return c.sess.Stats().Dropped
}

// Close stops the client and joins its goroutines.
func (c *FloodClient) Close() error {
	c.cancel()
	if c.conn != nil {
		c.conn.Close()
	}
	if c.started {
		<-c.done
	}
	if c.mux != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.mux.Close(ctx); err != nil {
			return fmt.Errorf("scenario: close mux: %w", err)
		}
	}
	if c.runErr != nil && !errors.Is(c.runErr, context.Canceled) {
		return fmt.Errorf("scenario: session: %w", c.runErr)
	}
	return nil
}
