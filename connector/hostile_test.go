package connector_test

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/confwatch/confwatch/secret"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/token"
)

// Canary secrets of the hostile suite: none may appear in any error, log
// line or counter, whatever the server echoes.
const (
	canaryCtl = "CANARYCTL-7f3a9c1e"
	canaryWS  = "CANARYWS-"
)

// canaryTokens is a TokenSource whose secrets are canaries: one control
// token, ws tokens CANARYWS-1, -2, …
type canaryTokens struct {
	wsURL string
	n     atomic.Int64
}

func (c *canaryTokens) Control(context.Context) (*token.Control, error) {
	now := time.Now()
	return &token.Control{Token: secret.New(canaryCtl), WSURL: c.wsURL, ExpiresAt: now.Add(time.Hour), Lifetime: time.Hour, ObtainedAt: now}, nil
}

func (c *canaryTokens) WSToken(context.Context) (*token.WS, error) {
	return &token.WS{Token: secret.New(fmt.Sprintf("%s%d", canaryWS, c.n.Add(1))), ObtainedAt: time.Now()}, nil
}

func (c *canaryTokens) Invalidate(*token.Control) {}

// hostile runs one session against handler and collects what it shows.
type hostile struct {
	t    *testing.T
	srv  *httptest.Server
	sess *connector.Session
	rec  *recorder
	logs *logBuffer
	done chan error
	stop context.CancelFunc
}

func newHostile(t *testing.T, handler http.HandlerFunc, conf func(*connector.Config)) *hostile {
	t.Helper()
	h := &hostile{t: t, rec: &recorder{}, logs: &logBuffer{}, done: make(chan error, 1)}
	h.srv = httptest.NewServer(handler)
	t.Cleanup(h.srv.Close)
	cfg := connector.Config{
		ConferenceID:      "986112045",
		Tokens:            &canaryTokens{wsURL: "ws" + strings.TrimPrefix(h.srv.URL, "http")},
		Types:             []string{events.ActionParticipants},
		AllowPlainText:    true,
		Backoff:           connector.Backoff{Initial: 20 * time.Millisecond, Max: 100 * time.Millisecond},
		HealthyAfter:      time.Hour,
		HeartbeatInterval: 2 * time.Second,
		Logger:            slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if conf != nil {
		conf(&cfg)
	}
	var err error
	if h.sess, err = connector.New(cfg); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.stop = cancel
	go func() { h.done <- h.sess.Run(ctx, h.rec) }()
	t.Cleanup(func() {
		h.halt()
		h.noCanary()
	})
	return h
}

// halt cancels Run and returns its error and how long it took to return.
func (h *hostile) halt() (time.Duration, error) {
	h.t.Helper()
	if h.stop == nil {
		return 0, nil
	}
	start := time.Now()
	h.stop()
	h.stop = nil
	select {
	case err := <-h.done:
		return time.Since(start), err
	case <-time.After(20 * time.Second):
		h.t.Fatal("Run did not return within 20 s of cancel")
		return 0, nil
	}
}

// eventually waits up to 10 s for cond.
func (h *hostile) eventually(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s; stats %+v\nlogs:\n%s", what, h.sess.Stats(), h.logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// noCanary fails if any canary secret shows in the logs, the stats or an
// event's error.
func (h *hostile) noCanary() {
	h.t.Helper()
	var texts []string
	texts = append(texts, h.logs.String(), fmt.Sprintf("%+v", h.sess.Stats()))
	for _, e := range h.rec.all() {
		if d, ok := e.(*events.Disconnected); ok {
			texts = append(texts, fmt.Sprint(d.Err))
		}
	}
	for _, text := range texts {
		for _, c := range []string{canaryCtl, canaryWS, base64.StdEncoding.EncodeToString([]byte(canaryCtl)), strings.TrimRight(base64.StdEncoding.EncodeToString([]byte(canaryCtl)), "=")} {
			if strings.Contains(text, c) {
				h.t.Errorf("a canary secret (%q) leaked:\n%s", c, text)
			}
		}
	}
}

// acceptKey is the Sec-WebSocket-Accept for key.
func acceptKey(key string) string {
	h := sha1.New()
	h.Write([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// hijack takes the connection of a WebSocket request.
func hijack(w http.ResponseWriter) (net.Conn, *bufio.ReadWriter) {
	conn, rw, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(err)
	}
	return conn, rw
}

// frame encodes one unmasked server frame.
func frame(fin bool, op byte, payload []byte) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	out := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		out = append(out, byte(n))
	case n < 1<<16:
		out = append(out, 126, byte(n>>8), byte(n))
	default:
		out = append(out, 127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	return append(out, payload...)
}

// TestUnofferedCompressionIsRefused: a 101 that turns permessage-deflate on
// although we never offered it fails the handshake, so a compressed frame
// can never inflate past ReadLimit. Nothing is read from such a socket.
func TestUnofferedCompressionIsRefused(t *testing.T) {
	var upgrades atomic.Int64
	h := newHostile(t, func(w http.ResponseWriter, r *http.Request) {
		upgrades.Add(1)
		conn, rw := hijack(w)
		defer conn.Close()
		fmt.Fprintf(rw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover\r\n\r\n", acceptKey(r.Header.Get("Sec-WebSocket-Key")))
		// A compressed frame (RSV1) that would inflate a lot.
		rw.Write([]byte{0xC1, 0x05, 0xf2, 0x48, 0xcd, 0xc9, 0xc9})
		rw.Flush()
		time.Sleep(200 * time.Millisecond)
	}, func(c *connector.Config) { c.ReadLimit = 1 << 20 })
	h.eventually("two refused upgrades", func() bool { return upgrades.Load() >= 2 })
	st := h.sess.Stats()
	if !strings.Contains(st.LastError, "permessage-deflate") || !strings.Contains(st.LastError, "not offered") {
		t.Errorf("LastError = %q, want the refused extension", st.LastError)
	}
	if st.FramesIn != 0 || st.Subscribes != 0 {
		t.Errorf("frames in %d, subscribes %d: the socket was used", st.FramesIn, st.Subscribes)
	}
}

// TestHandshakeIsBoundedWhateverTheServerTrickles: a server that sends the
// status line and then a byte every 50 ms cannot hold the upgrade past
// HandshakeTimeout, even with a much longer ReadTimeout.
func TestHandshakeIsBoundedWhateverTheServerTrickles(t *testing.T) {
	var started atomic.Int64
	h := newHostile(t, func(w http.ResponseWriter, r *http.Request) {
		started.Add(1)
		conn, rw := hijack(w)
		defer conn.Close()
		rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nX-Slow: ")
		rw.Flush()
		for i := 0; i < 400; i++ {
			if _, err := rw.WriteString("a"); err != nil {
				return
			}
			if rw.Flush() != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}, func(c *connector.Config) {
		c.HandshakeTimeout = 300 * time.Millisecond
		c.HeartbeatInterval = 60 * time.Second
		c.ReadTimeout = 90 * time.Second
	})
	start := time.Now()
	h.eventually("the first handshake to fail", func() bool { return h.sess.Stats().Reconnects["retry"] >= 1 })
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("the trickled upgrade lasted %v with a 300 ms HandshakeTimeout", took)
	}
	t.Logf("trickled upgrade given up after %v (HandshakeTimeout 300 ms)", time.Since(start).Round(time.Millisecond))
}

// TestCancelDuringTheUpgradeReturnsAtOnce: a server that reads the request
// and never answers; Run returns well within 2 s of cancel although
// HandshakeTimeout is 30 s.
func TestCancelDuringTheUpgradeReturnsAtOnce(t *testing.T) {
	var started atomic.Int64
	release := make(chan struct{})
	h := newHostile(t, func(w http.ResponseWriter, r *http.Request) {
		started.Add(1)
		conn, _ := hijack(w)
		defer conn.Close()
		<-release
	}, func(c *connector.Config) { c.HandshakeTimeout = 30 * time.Second })
	defer close(release)
	h.eventually("the upgrade to start", func() bool { return started.Load() == 1 })
	time.Sleep(50 * time.Millisecond)
	took, err := h.halt()
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
	if took > 2*time.Second {
		t.Errorf("Run returned %v after cancel during the upgrade", took)
	}
	t.Logf("Run returned %v after cancel during the upgrade (HandshakeTimeout 30 s)", took.Round(time.Millisecond))
}

// TestHugeUpgradeHeadersAreRefused: 1 MiB of response headers fail the
// upgrade at 64 KiB.
func TestHugeUpgradeHeadersAreRefused(t *testing.T) {
	var sent atomic.Int64
	h := newHostile(t, func(w http.ResponseWriter, r *http.Request) {
		conn, rw := hijack(w)
		defer conn.Close()
		rw.WriteString("HTTP/1.1 101 Switching Protocols\r\n")
		line := "X-Pad: " + strings.Repeat("p", 1000) + "\r\n"
		for i := 0; i < 1024; i++ {
			n, err := rw.WriteString(line)
			sent.Add(int64(n))
			if err != nil {
				return
			}
		}
		rw.Flush()
	}, nil)
	h.eventually("a refused upgrade", func() bool { return strings.Contains(h.sess.Stats().LastError, "64 KiB") })
}

// TestPingsDoNotKeepAZombieAlive: a proxy keeps pinging (and sending empty
// fragments) while nothing answers heartbeats; the link is declared dead
// within a few heartbeat intervals.
func TestPingsDoNotKeepAZombieAlive(t *testing.T) {
	for _, mode := range []string{"pings", "empty fragments"} {
		t.Run(mode, func(t *testing.T) {
			h := newHostile(t, func(w http.ResponseWriter, r *http.Request) {
				conn, rw := hijack(w)
				defer conn.Close()
				fmt.Fprintf(rw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", acceptKey(r.Header.Get("Sec-WebSocket-Key")))
				rw.Write(frame(true, websocket.TextMessage, []byte(`{"action":"Subscribe","sequence":"1","data":{"returnCode":0,"returnDesc":"ok"}}`)))
				rw.Flush()
				go func() { // drain what the client sends
					buf := make([]byte, 4096)
					for {
						if _, err := rw.Read(buf); err != nil {
							return
						}
					}
				}()
				if mode == "empty fragments" {
					rw.Write(frame(false, websocket.TextMessage, nil))
				}
				for i := 0; i < 1000; i++ {
					var f []byte
					if mode == "pings" {
						f = frame(true, websocket.PingMessage, []byte("alive"))
					} else {
						f = frame(false, 0, nil) // continuation, no data
					}
					if _, err := rw.Write(f); err != nil || rw.Flush() != nil {
						return
					}
					time.Sleep(20 * time.Millisecond)
				}
			}, func(c *connector.Config) {
				c.HeartbeatInterval = 200 * time.Millisecond
				c.ReadTimeout = 300 * time.Millisecond
			})
			start := time.Now()
			h.eventually("the zombie declared dead", func() bool { return h.rec.count(isDisconnected) >= 1 })
			took := time.Since(start)
			var dead bool
			for _, e := range h.rec.all() {
				if d, ok := e.(*events.Disconnected); ok && errors.Is(d.Err, connector.ErrDeadLink) {
					dead = true
				}
			}
			if !dead {
				t.Errorf("the link ended, but not as dead: %v", h.rec.all())
			}
			t.Logf("%s: zombie declared dead after %v (heartbeat 200 ms, read timeout 300 ms)", mode, took.Round(time.Millisecond))
		})
	}
}

// TestServerTextIsCleanedAndEchoedSecretsScrubbed: close reasons and
// Subscribe refusals that quote the tokens, carry terminal escapes or run
// to a megabyte reach no error, log or Stats verbatim.
func TestServerTextIsCleanedAndEchoedSecretsScrubbed(t *testing.T) {
	var n atomic.Int64
	var mu sync.Mutex
	var lastTmp string
	h := newHostile(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		lastTmp = r.URL.Query().Get("tmpToken")
		mu.Unlock()
		up := websocket.Upgrader{}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		_, sub, err := c.ReadMessage()
		if err != nil {
			return
		}
		switch n.Add(1) % 2 {
		case 1: // a refusal quoting the confToken it was sent, plus a megabyte
			var in struct{ Data string }
			_ = json.Unmarshal(sub, &in)
			desc := "bad token " + canaryCtl + " " + in.Data + " \x1b]52;c;ZXZpbA==\x07\n" + strings.Repeat("x", 1<<20)
			c.WriteMessage(websocket.TextMessage, []byte(fmt.Sprintf(`{"action":"Subscribe","sequence":"1","data":{"returnCode":111070004,"returnDesc":%q}}`, desc)))
		default: // accepted, then closed with a reason quoting the tmpToken
			c.WriteMessage(websocket.TextMessage, []byte(`{"action":"Subscribe","sequence":"1","data":{"returnCode":0,"returnDesc":"ok"}}`))
			mu.Lock()
			reason := "bye " + lastTmp + "\x1b[2J"
			mu.Unlock()
			c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4000, reason), time.Now().Add(time.Second))
		}
		time.Sleep(50 * time.Millisecond)
	}, nil)
	h.eventually("both kinds of answer, twice", func() bool { return n.Load() >= 4 })
	_, err := h.halt()
	texts := []string{fmt.Sprint(err), h.logs.String(), h.sess.Stats().LastError}
	for _, e := range h.rec.all() {
		if d, ok := e.(*events.Disconnected); ok {
			texts = append(texts, d.Err.Error())
			if len(d.Err.Error()) > 600 {
				t.Errorf("an error of %d bytes: %.100q…", len(d.Err.Error()), d.Err.Error())
			}
		}
	}
	for _, text := range texts {
		if strings.ContainsAny(text, "\x1b\x07") {
			t.Errorf("terminal control characters survived: %q", text)
		}
		if strings.Contains(text, canaryWS) || strings.Contains(text, canaryCtl) {
			t.Errorf("an echoed secret survived: %.300q", text)
		}
	}
	if st := h.sess.Stats(); len(st.LastError) > 600 {
		t.Errorf("LastError is %d bytes", len(st.LastError))
	}
}

// TestPlainTextWSURLIsRefused: a ws:// wsURL without AllowPlainText stops
// the session before anything is sent.
func TestPlainTextWSURLIsRefused(t *testing.T) {
	var dials atomic.Int64
	h := newHostile(t, func(w http.ResponseWriter, r *http.Request) { dials.Add(1) }, func(c *connector.Config) { c.AllowPlainText = false })
	select {
	case err := <-h.done:
		h.stop = nil
		if err == nil || !strings.Contains(err.Error(), "AllowPlainText") {
			t.Errorf("Run = %v, want the plain-text refusal", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run kept going with a ws:// wsURL")
	}
	if dials.Load() != 0 {
		t.Errorf("%d dials reached the server", dials.Load())
	}
}

// TestRetryAfterOnTheUpgradeIsCapped: 429 with Retry-After 3,000,000,000 s
// schedules the retry no later than Backoff.Max.
func TestRetryAfterOnTheUpgradeIsCapped(t *testing.T) {
	h := newHostile(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3000000000")
		w.WriteHeader(http.StatusTooManyRequests)
	}, func(c *connector.Config) {
		c.Backoff = connector.Backoff{Initial: 10 * time.Millisecond, Max: 2 * time.Second}
	})
	h.eventually("a scheduled retry", func() bool { return !h.sess.Stats().NextRetryAt.IsZero() })
	if wait := time.Until(h.sess.Stats().NextRetryAt); wait > 2*time.Second {
		t.Errorf("retry in %v, want at most Backoff.Max (2 s)", wait)
	}
}

// TestQueueIsBoundedByBytes: a stuck handler behind large pushes holds at
// most QueueBytes (plus one push); the rest is dropped, counted and
// repaired by a resync.
func TestQueueIsBoundedByBytes(t *testing.T) {
	const push = 256 << 10
	big := fmt.Sprintf(`{"action":"ParticipantsNotify","msgMode":1,"version":%%d,"data":[{"pid":"p","pinfoMap":{"NAME":"%s"}}]}`, strings.Repeat("n", push))
	h := newHostile(t, func(w http.ResponseWriter, r *http.Request) {
		up := websocket.Upgrader{}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		if _, _, err := c.ReadMessage(); err != nil {
			return
		}
		c.WriteMessage(websocket.TextMessage, []byte(`{"action":"Subscribe","sequence":"1","data":{"returnCode":0,"returnDesc":"ok"}}`))
		for i := 0; i < 40; i++ {
			if c.WriteMessage(websocket.TextMessage, []byte(fmt.Sprintf(big, i+1))) != nil {
				return
			}
		}
		c.ReadMessage() // until the client goes
	}, func(c *connector.Config) { c.QueueBytes = 1 << 20; c.ReadLimit = 1 << 20 })
	block := make(chan struct{})
	h.rec.mu.Lock()
	h.rec.block = block
	h.rec.mu.Unlock()
	defer close(block)
	h.eventually("pushes dropped", func() bool { return h.sess.Stats().Dropped > 0 })
	h.eventually("every push read", func() bool { st := h.sess.Stats(); return st.FramesIn >= 41 || st.Resyncs > 0 })
	st := h.sess.Stats()
	if st.QueueBytes > 1<<20+push+1024 {
		t.Errorf("%d bytes wait for the handler, bound 1 MiB + one push", st.QueueBytes)
	}
	t.Logf("stuck handler, 40 × 256 KiB pushes: %d bytes held, %d dropped", st.QueueBytes, st.Dropped)
}

// TestSessionRendersNoSecret: a Session printed with any verb, as JSON or
// through slog, shows none of its token source's secrets.
func TestSessionRendersNoSecret(t *testing.T) {
	c, err := token.New(token.Config{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := token.NewProvider(c, token.ProviderConfig{ConferenceID: "986112045", Password: secret.New("CANARYPW-55aa")})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := connector.New(connector.Config{ConferenceID: "986112045", Tokens: p})
	if err != nil {
		t.Fatal(err)
	}
	var logs logBuffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("session", "s", sess)
	texts := []string{logs.String()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		texts = append(texts, fmt.Sprintf(verb, sess), fmt.Sprintf(verb, struct{ S *connector.Session }{sess}))
	}
	for _, text := range texts {
		if strings.Contains(text, "CANARYPW") {
			t.Errorf("the password leaked: %s", text)
		}
	}
}
