package scenario

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/confwatch/confwatch/integration/fakemeeting"
	"github.com/confwatch/confwatch/secret"
	"github.com/confwatch/confwatch/token"
)

// Replay serves frames recorded from fakemeeting.Meeting.Flood back to one client
// at a time, pre-framed and written in large chunks, so that the server
// costs almost nothing and the client alone bounds the rate. It answers
// the WebSocket path of any URL; Subscribe gets the recorded reply and
// snapshot burst, then Push writes flood frames on demand.
type Replay struct {
	head   [][]byte // Subscribe reply, then the snapshot burst
	body   []byte   // the recorded flood frames, WebSocket-framed, back to back
	ends   []int    // ends[i] is the end offset in body of frame i
	frames int

	ln  net.Listener
	hs  *http.Server
	wg  sync.WaitGroup
	tok atomic.Int64

	mu     sync.Mutex
	cur    net.Conn      // the latest client, after its snapshots
	next   chan net.Conn // new clients, for Push
	live   map[*websocket.Conn]struct{}
	closed bool
}

// NewReplay records k frames of mix from an in-process fake (with the
// same 50-person roster as the child fake) and starts serving them on
// 127.0.0.1.
func NewReplay(ctx context.Context, k int, mix fakemeeting.FloodMix) (*Replay, error) {
	head, frames, err := RecordFrames(ctx, k, mix)
	if err != nil {
		return nil, err
	}
	r := &Replay{head: head, frames: len(frames), next: make(chan net.Conn, 1), live: map[*websocket.Conn]struct{}{}}
	for _, f := range frames {
		r.body = appendTextFrame(r.body, f)
		r.ends = append(r.ends, len(r.body))
	}
	r.ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("scenario: replay: listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc(fakemeeting.PathWS, r.serveWS)
	r.hs = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		_ = r.hs.Serve(r.ln)
	}()
	return r, nil
}

// RecordFrames captures, with a bare client of an in-process fake with a
// 50-person roster, the Subscribe reply and snapshot burst (head) and k
// frames of a flood of mix (frames).
func RecordFrames(ctx context.Context, k int, mix fakemeeting.FloodMix) (head, frames [][]byte, err error) {
	srv, err := fakemeeting.New(fakemeeting.Config{Participants: roster(DefaultParticipants)})
	if err != nil {
		return nil, nil, fmt.Errorf("scenario: record: %w", err)
	}
	defer srv.Close()
	hc := newHTTPClient()
	defer hc.CloseIdleConnections()
	tc, err := newTokenClient(srv.URL(), hc)
	if err != nil {
		return nil, nil, err
	}
	tgt := target{api: srv.URL(), confID: srv.ConferenceID(), password: srv.HostPassword()}
	ctl, err := bareLogin(ctx, tc, tgt)
	if err != nil {
		return nil, nil, err
	}
	conn, err := dialBare(ctx, tc, bareDialer(4096), tgt, ctl, floodTypes)
	if err != nil {
		return nil, nil, err
	}
	defer conn.Close()
	if err := srv.WaitSubscribed(ctx, 1); err != nil {
		return nil, nil, fmt.Errorf("scenario: record: %w", err)
	}
	var all [][]byte
	got := newCounter()
	done := make(chan error, 1)
	go func() {
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				done <- err
				return
			}
			all = append(all, data)
			got.add()
		}
	}()
	// The burst is queued when WaitSubscribed returns: flood frames follow
	// it on the same socket, in order.
	if _, err := srv.Meeting().Flood(ctx, k, mix); err != nil {
		conn.Close()
		<-done
		return nil, nil, fmt.Errorf("scenario: record: %w", err)
	}
	_, serr := got.settle(ctx, 50*time.Millisecond, 20*time.Second)
	conn.Close()
	<-done
	if serr != nil {
		return nil, nil, fmt.Errorf("scenario: record: %w", serr)
	}
	if len(all) < k+1 {
		return nil, nil, fmt.Errorf("scenario: record: got %d frames, want at least %d", len(all), k+1)
	}
	split := len(all) - k
	return all[:split], all[split:], nil
}

// appendTextFrame appends data as one unmasked, final text frame (a
// server-to-client frame, RFC 6455 §5.2).
func appendTextFrame(b, data []byte) []byte {
	n := len(data)
	switch {
	case n < 126:
		b = append(b, 0x81, byte(n))
	case n <= 0xffff:
		b = append(b, 0x81, 126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 0x81, 127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	return append(b, data...)
}

var replayUpgrader = websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 4096, CheckOrigin: func(*http.Request) bool { return true }}

// serveWS accepts a client, waits for its Subscribe, sends the recorded
// burst and hands the socket to Push. It then reads (and ignores) what the
// client sends until the socket closes, so the handler ends with it.
func (r *Replay) serveWS(w http.ResponseWriter, req *http.Request) {
	ws, err := replayUpgrader.Upgrade(w, req, nil)
	if err != nil {
		return
	}
	// A hijacked socket outlives http.Server.Close: track it and its
	// handler so that Close can end both.
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		ws.Close()
		return
	}
	r.live[ws] = struct{}{}
	r.wg.Add(1)
	r.mu.Unlock()
	defer r.wg.Done()
	defer func() {
		r.mu.Lock()
		delete(r.live, ws)
		r.mu.Unlock()
		ws.Close()
	}()
	if _, _, err := ws.ReadMessage(); err != nil {
		return
	}
	for _, f := range r.head {
		if err := ws.WriteMessage(websocket.TextMessage, f); err != nil {
			return
		}
	}
	nc := ws.NetConn()
	select {
	case r.next <- nc:
	default:
		return // one client at a time
	}
	for {
		if _, _, err := ws.NextReader(); err != nil {
			return
		}
	}
}

// URL is the ws base for dialing (the control token's wsURL).
func (r *Replay) URL() string { return "ws://" + r.ln.Addr().String() }

// accept waits for the next client to be subscribed.
func (r *Replay) accept(ctx context.Context, timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case c := <-r.next:
		r.mu.Lock()
		r.cur = c
		r.mu.Unlock()
		return nil
	case <-t.C:
		return errors.New("scenario: replay: no client subscribed")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Push writes n flood frames (the recording, repeated) to the current
// client as fast as it reads them.
func (r *Replay) Push(n int) error {
	r.mu.Lock()
	c := r.cur
	r.mu.Unlock()
	if c == nil {
		return errors.New("scenario: replay: no client")
	}
	for n > 0 {
		k := min(n, r.frames)
		if _, err := c.Write(r.body[:r.ends[k-1]]); err != nil {
			return fmt.Errorf("scenario: replay: write: %w", err)
		}
		n -= k
	}
	return nil
}

// Close stops the server and joins its goroutines.
func (r *Replay) Close() {
	r.hs.Close()
	r.mu.Lock()
	r.closed = true
	for ws := range r.live {
		ws.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
}

// replayTokens is a TokenSource for the replay server, which checks no
// credentials: a fixed control token pointing at it and fresh ws tokens.
type replayTokens struct{ r *Replay }

func (t replayTokens) Control(context.Context) (*token.Control, error) {
	now := time.Now()
	return &token.Control{
		Token: secret.New("stbreplay"), WSURL: t.r.URL(), Role: 1,
		ExpiresAt: now.Add(time.Hour), Lifetime: time.Hour, ObtainedAt: now,
	}, nil
}

func (t replayTokens) WSToken(context.Context) (*token.WS, error) {
	return &token.WS{Token: secret.New("cnr" + strconv.FormatInt(t.r.tok.Add(1), 10)), ObtainedAt: time.Now()}, nil
}

func (replayTokens) Invalidate(*token.Control) {}
