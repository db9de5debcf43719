package fakemeeting

import (
	"encoding/json"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/confwatch/confwatch/clock"
)

type frameKind uint8

const (
	kindText frameKind = iota
	kindBinary
	kindClose // graceful: close frame, brief wait for the peer's, then TCP close
)

type outFrame struct {
	kind   frameKind
	code   int // kindClose
	data   []byte
	reason string // kindClose
}

// Close codes the fake uses. Not documented by the vendor: clients must
// not branch on them.
const (
	closeEnded   = websocket.CloseNormalClosure // meeting ended
	closeIdle    = websocket.CloseNormalClosure // heartbeat timeout
	closeAuth    = websocket.ClosePolicyViolation
	gracefulWait = time.Second // real time allowed for the peer's close reply
)

// conn is one server-side WebSocket. It has exactly one reader goroutine
// and one writer goroutine; everything else talks to it through send and
// kill.
type conn struct {
	s     *Server
	ws    *websocket.Conn
	nc    net.Conn
	send  chan *outFrame
	done  chan struct{} // closed by kill
	gone  chan struct{} // closed by the reader once c is forgotten
	once  sync.Once
	idle  clock.Timer
	last  atomic.Int64 // clock time (UnixNano) of the last HeartBeat
	start time.Time

	// guarded by s.mu
	subs       map[string]bool
	subscribed bool
	ending     bool // End queued its close; Close lets it finish
}

// kill closes the TCP connection without a close frame. Safe to call from
// anywhere, any number of times, with or without s.mu held.
//
// The socket stops counting as live here, not when its reader has cleaned
// up: a client that redials right after DropAll must not see its old
// socket and its new one counted together.
func (c *conn) kill() {
	c.once.Do(func() {
		close(c.done)
		_ = c.nc.Close()
		c.s.st.socketClosed()
	})
}

// enqueue adds f to c's queue without blocking; a full queue drops the
// socket (a real server does not buffer without bound for a slow reader).
func (s *Server) enqueue(c *conn, f *outFrame) bool {
	select {
	case c.send <- f:
		return true
	case <-c.done:
		return false
	default:
		s.log.Debug("fakemeeting: send queue overflow, dropping socket")
		s.st.QueueOverflows.Add(1)
		c.kill()
		return false
	}
}

func (s *Server) handleWS(w http.ResponseWriter, r *http.Request) {
	s.st.Upgrades.Add(1)
	q := r.URL.Query()
	confID, tmp := q.Get("confID"), q.Get("tmpToken")
	now := s.clk.Now()

	s.mu.Lock()
	reason := ""
	status := http.StatusUnauthorized
	closeAfterAccept := s.cfg.RejectMode == RejectClose
	t := s.wsToks[tmp]
	switch {
	case s.closed:
		reason = "server closed"
	case tmp == "" || t == nil:
		reason = "unknown tmpToken"
	case t.used:
		reason = "tmpToken reused"
		s.st.TokenReuse.Add(1)
	default:
		t.used = true // consumed by the first attempt that presents it
		if !now.Before(t.expires) {
			reason = "tmpToken expired"
		}
	}
	if reason == "" && confID != s.cfg.ConferenceID {
		reason = "wrong confID"
	}
	if reason == "" && s.m.state == StateDestroyed {
		reason = "meeting ended"
	}
	if reason == "" && s.f.refuseUpg > 0 {
		s.f.refuseUpg--
		reason = "injected refusal"
		status = s.f.refuseUpgStatus
		closeAfterAccept = status == 0
	}
	s.mu.Unlock()

	if reason != "" {
		s.st.UpgradesRefused.Add(1)
		s.log.Debug("fakemeeting: upgrade refused", "reason", reason)
		if !closeAfterAccept {
			writeError(w, status, CodeAuthFailed, reason)
			return
		}
		ws, err := s.upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		_ = ws.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(closeAuth, "authentication failed"), time.Now().Add(time.Second))
		_ = ws.NetConn().Close()
		return
	}

	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		s.log.Debug("fakemeeting: upgrade failed", "err", err)
		return
	}
	ws.SetReadLimit(s.cfg.MaxFrameSize)
	c := &conn{
		s:     s,
		ws:    ws,
		nc:    ws.NetConn(),
		send:  make(chan *outFrame, s.cfg.SendQueue),
		done:  make(chan struct{}),
		gone:  make(chan struct{}),
		start: now,
	}
	c.last.Store(now.UnixNano())

	s.mu.Lock()
	if s.closed || s.m.state == StateDestroyed {
		// The meeting ended during the upgrade, after End had sent its
		// frames to the sockets it knew: tell this one too.
		ended := !s.closed
		s.mu.Unlock()
		if ended {
			s.st.UpgradesRefused.Add(1)
			_ = ws.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(closeEnded, "meeting ended"), time.Now().Add(time.Second))
		}
		_ = c.nc.Close()
		return
	}
	c.idle = s.clk.NewTimer(s.cfg.IdleTimeout)
	s.conns[c] = struct{}{}
	s.st.socketOpened()
	s.wg.Add(2)
	s.mu.Unlock()
	s.log.Debug("fakemeeting: socket open", "remote", c.nc.RemoteAddr().String())
	go c.readLoop()
	go c.writeLoop()
}

// removeConn forgets c. Called once, by c's reader, after kill.
func (s *Server) removeConn(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	if c.subscribed {
		s.nSubbed--
		for t := range c.subs {
			s.subCount[t]--
		}
	}
	s.mu.Unlock()
}

// waitGate blocks while the server is stalled. It reports false when c
// was killed meanwhile.
func (s *Server) waitGate(c *conn) bool {
	for {
		s.mu.Lock()
		ch := s.unstall
		s.mu.Unlock()
		if ch == nil {
			select {
			case <-c.done:
				return false
			default:
				return true
			}
		}
		select {
		case <-ch:
		case <-c.done:
			return false
		}
	}
}

func (c *conn) readLoop() {
	s := c.s
	defer s.wg.Done()
	defer close(c.gone)
	defer s.removeConn(c)
	defer c.kill()
	for {
		mt, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		if !s.waitGate(c) {
			return
		}
		if mt != websocket.TextMessage {
			s.log.Debug("fakemeeting: ignoring non-text client frame", "type", mt)
			continue
		}
		c.handle(data)
	}
}

func (c *conn) writeLoop() {
	s := c.s
	defer s.wg.Done()
	defer c.idle.Stop()
	for {
		select {
		case <-c.done:
			return
		case f := <-c.send:
			if !s.waitGate(c) {
				return
			}
			switch f.kind {
			case kindClose:
				c.closeGraceful(f.code, f.reason)
				return
			case kindBinary:
				err := c.ws.WriteMessage(websocket.BinaryMessage, f.data)
				if err != nil {
					c.kill()
					return
				}
			default:
				if err := c.ws.WriteMessage(websocket.TextMessage, f.data); err != nil {
					c.kill()
					return
				}
			}
			s.st.FramesPushed.Add(1)
		case <-c.idle.C():
			if !s.waitGate(c) {
				return
			}
			since := s.clk.Now().Sub(time.Unix(0, c.last.Load()))
			if since < s.cfg.IdleTimeout {
				c.idle.Reset(s.cfg.IdleTimeout - since)
				continue
			}
			s.st.IdleCloses.Add(1)
			s.log.Debug("fakemeeting: idle timeout, closing socket")
			c.closeGraceful(closeIdle, "heartbeat timeout")
			return
		}
	}
}

// closeGraceful sends a close frame, waits briefly (real time) for the
// peer's close reply, which ends the reader, then closes TCP.
func (c *conn) closeGraceful(code int, reason string) {
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason),
		time.Now().Add(gracefulWait))
	t := time.NewTimer(gracefulWait)
	defer t.Stop()
	select {
	case <-c.done:
	case <-t.C:
	}
	c.kill()
}

func rawOrEmpty(r json.RawMessage) json.RawMessage {
	if len(r) == 0 {
		return json.RawMessage(`""`)
	}
	return r
}

func (c *conn) handle(data []byte) {
	s := c.s
	var f clientFrame
	if err := json.Unmarshal(data, &f); err != nil {
		s.log.Debug("fakemeeting: malformed client frame", "err", err)
		return
	}
	switch f.Action {
	case "HeartBeat":
		now := s.clk.Now()
		c.last.Store(now.UnixNano())
		c.idle.Reset(s.cfg.IdleTimeout)
		s.st.HeartBeats.Add(1)
		s.enqueue(c, &outFrame{kind: kindText, data: mustJSON(wireHeartBeat{
			Sequence: rawOrEmpty(f.Sequence), Action: "HeartBeat",
		})})
	case "Subscribe":
		c.subscribe(f)
	case "ConfControl":
		c.confControl(f)
	default:
		s.log.Debug("fakemeeting: ignoring client action", "action", f.Action)
	}
}

func subscribeReply(seq json.RawMessage, code int, desc string) []byte {
	r := wireSubscribeReply{Action: "Subscribe", Sequence: rawOrEmpty(seq)}
	r.Data.ReturnCode = code
	r.Data.ReturnDesc = desc
	return mustJSON(r)
}

// subscribe answers a Subscribe and, on success, queues the snapshot burst
// under the same lock that orders deltas, so no delta can precede it.
func (c *conn) subscribe(f clientFrame) {
	s := c.s
	var d subscribeData
	derr := decodeData(f.Data, &d)
	now := s.clk.Now()

	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.Subscribes.Add(1)
	code, desc := 0, "SUCCESS"
	switch {
	case s.f.subCode != nil:
		code, desc = *s.f.subCode, "INJECTED_FAILURE"
		s.f.subCode = nil
	case derr != nil:
		code, desc = 111070001, "BAD_REQUEST"
	case !s.liveControlLocked(parseAuth(d.ConfToken), now):
		code, desc = 111070004, "CONF_AUTH_FAILED"
	case d.ConferenceID != "" && d.ConferenceID != s.cfg.ConferenceID:
		code, desc = 111070005, "CONF_NOT_EXIST"
	case s.m.state == StateDestroyed:
		code, desc = 111072006, "CONF_ENDED"
	}
	if code != 0 {
		s.st.SubscribesFailed.Add(1)
		s.log.Debug("fakemeeting: subscribe refused", "code", code)
		if s.enqueue(c, &outFrame{kind: kindText, data: subscribeReply(f.Sequence, code, desc)}) {
			s.enqueue(c, &outFrame{kind: kindClose, code: closeAuth, reason: desc})
		}
		return
	}
	// A second Subscribe on the same socket replaces the type set and
	// yields fresh snapshots.
	if c.subscribed {
		for t := range c.subs {
			s.subCount[t]--
		}
	} else {
		c.subscribed = true
		s.nSubbed++
	}
	c.subs = make(map[string]bool, len(d.SubscribeType))
	for _, t := range d.SubscribeType {
		c.subs[t] = true
	}
	for t := range c.subs {
		s.subCount[t]++
	}
	if !s.enqueue(c, &outFrame{kind: kindText, data: subscribeReply(f.Sequence, 0, "SUCCESS")}) {
		return
	}
	for _, t := range NotifyTypes {
		if !c.subs[t] {
			continue
		}
		if b, ok := s.snapshotLocked(t, now); ok {
			if !s.enqueue(c, &outFrame{kind: kindText, data: b}) {
				return
			}
		}
	}
}

// confControl handles ConfControl REALTIMESUBTITLE. No reply is documented
// and the fake sends none; turning captions on or off pushes the changed
// ConfDynamicInfoNotify (realTimeSubtitle) to its subscribers. The request
// is recorded in Meeting.View().CaptionRequests.
func (c *conn) confControl(f clientFrame) {
	s := c.s
	if f.Type != "REALTIMESUBTITLE" {
		s.log.Debug("fakemeeting: ignoring ConfControl", "type", f.Type)
		return
	}
	var d confControlData
	if err := decodeData(f.Data, &d); err != nil {
		s.log.Debug("fakemeeting: bad ConfControl data", "err", err)
		return
	}
	s.pushMu.Lock()
	defer s.pushMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clk.Now()
	if !s.liveControlLocked(parseAuth(d.ConfToken), now) || s.m.state == StateDestroyed {
		s.log.Debug("fakemeeting: ConfControl with bad confToken ignored")
		return
	}
	on := 1
	if d.IsSubtitle != nil {
		on = int(*d.IsSubtitle)
	}
	s.m.capReqs = append(s.m.capReqs, CaptionRequest{
		IsSubtitle: on, SubtitleType: int(d.SubtitleType), SisProperty: d.SisProperty,
		IDs: append([]string(nil), d.ID...), At: now,
	})
	if (on != 0) != s.m.subtitle {
		s.m.subtitle = on != 0
		s.pushFullLocked(ConfDynamicInfoNotify, now)
	}
}
