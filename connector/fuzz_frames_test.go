package connector_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
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
	"github.com/confwatch/confwatch/internal/wire"
	"github.com/confwatch/confwatch/secret"
	"github.com/confwatch/confwatch/token"
)

// The fuzz targets below put arbitrary server frames on a real socket in
// front of a real Session, so that the reader, the decoder, the
// Subscribe handshake, the lifecycle events and (for pushes) the meeting
// state all see them exactly as they would from the vendor.

// fzControlSecret is the control token every fuzzed session holds; it and
// the ws tokens must never reach a log line or an error.
const fzControlSecret = "fz-canary-control-5Tq"

// fzMarker is an action no server sends; the server ends each script with
// it, so the test knows the frames before it have been handled.
const fzMarker = "ConfwatchFuzzMarkerNotify"

// fzServer answers every dial with the frames registered for the dial's
// ws token: it reads the client's Subscribe, writes the frames, then
// closes at once (closeAfter) or waits for the client to hang up.
type fzServer struct {
	srv     *httptest.Server
	up      websocket.Upgrader
	mu      sync.Mutex
	scripts map[string]fzScript
	next    atomic.Int64
}

type fzScript struct {
	frames     [][]byte
	closeAfter bool
}

func newFzServer(f *testing.F) *fzServer {
	s := &fzServer{scripts: map[string]fzScript{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	f.Cleanup(s.srv.Close)
	return s
}

func (s *fzServer) serve(w http.ResponseWriter, r *http.Request) {
	tok := r.URL.Query().Get("tmpToken")
	s.mu.Lock()
	sc, ok := s.scripts[strings.SplitN(tok, "-", 2)[0]]
	s.mu.Unlock()
	if !ok {
		http.Error(w, "unknown token", http.StatusUnauthorized)
		return
	}
	c, err := s.up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, _, err := c.ReadMessage(); err != nil { // the Subscribe
		return
	}
	for _, fr := range sc.frames {
		if c.WriteMessage(websocket.TextMessage, fr) != nil {
			return
		}
	}
	if sc.closeAfter {
		return
	}
	for { // until the session hangs up
		if _, _, err := c.ReadMessage(); err != nil {
			return
		}
	}
}

// fzTokens hands out the fixed control token and, per call, a fresh ws
// token whose prefix names the script to play.
type fzTokens struct {
	wsURL, script string
	calls         atomic.Int64
}

func (t *fzTokens) Control(context.Context) (*token.Control, error) {
	now := time.Now()
	return &token.Control{Token: secret.New(fzControlSecret), WSURL: t.wsURL,
		ExpiresAt: now.Add(30 * time.Minute), Lifetime: 30 * time.Minute, ObtainedAt: now}, nil
}

func (t *fzTokens) WSToken(context.Context) (*token.WS, error) {
	n := t.calls.Add(1)
	return &token.WS{Token: secret.New(fmt.Sprintf("%s-%d-fz-canary-ws", t.script, n)), ObtainedAt: time.Now()}, nil
}

func (t *fzTokens) Invalidate(*token.Control) {}

// fzRun plays frames to a fresh session whose handler is h, waits until
// done reports the outcome the test needs (or Run returns), stops the
// session and returns its stats, its logs and Run's error.
func (s *fzServer) fzRun(t *testing.T, sc fzScript, h events.Handler, done func(connector.Stats) bool) (connector.Stats, string, error) {
	id := fmt.Sprintf("s%d", s.next.Add(1))
	s.mu.Lock()
	s.scripts[id] = sc
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.scripts, id)
		s.mu.Unlock()
	}()
	var logs bytes.Buffer
	var logMu sync.Mutex
	sess, err := connector.New(connector.Config{
		ConferenceID:   "986112045",
		AllowPlainText: true,
		Tokens:         &fzTokens{wsURL: "ws" + strings.TrimPrefix(s.srv.URL, "http"), script: id},
		Logger:         slog.New(slog.NewJSONHandler(lockedWriter{&logMu, &logs}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		// No second attempt within an exec: one script, one dial.
		Backoff:           connector.Backoff{Initial: time.Hour, Max: time.Hour},
		HeartbeatInterval: 170 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- sess.Run(ctx, h) }()
	deadline := time.Now().Add(waitLong)
	var rerr error
	returned := false
loop:
	for !done(sess.Stats()) {
		select {
		case rerr = <-runErr:
			returned = true
			break loop
		case <-time.After(time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no outcome within %v; stats %+v", waitLong, sess.Stats())
		}
	}
	cancel()
	if !returned {
		select {
		case rerr = <-runErr:
		case <-time.After(waitLong):
			t.Fatalf("Run did not return after cancel")
		}
	}
	st := sess.Stats()
	logMu.Lock()
	defer logMu.Unlock()
	out := logs.String() + st.LastError
	if errors.Is(rerr, context.Canceled) {
		rerr = nil
	}
	if rerr != nil {
		out += rerr.Error()
	}
	for _, secret := range []string{fzControlSecret, "fz-canary-ws"} {
		if strings.Contains(out, secret) {
			t.Fatalf("secret %q leaked:\n%s", secret, out)
		}
	}
	return st, out, rerr
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// lifecycleLog records lifecycle events and checks their grammar: one
// Subscribed first, then Disconnected and Resubscribed alternating.
type lifecycleLog struct {
	mu     sync.Mutex
	events []string
}

func (l *lifecycleLog) HandleEvent(_ context.Context, e events.Event) {
	name := ""
	switch e.(type) {
	case *events.Subscribed:
		name = "subscribed"
	case *events.Disconnected:
		name = "disconnected"
	case *events.Resubscribed:
		name = "resubscribed"
	default:
		return
	}
	l.mu.Lock()
	l.events = append(l.events, name)
	l.mu.Unlock()
}

func (l *lifecycleLog) check(t *testing.T, subscribes int64) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	ups := 0
	for i, e := range l.events {
		want := "disconnected"
		switch {
		case i == 0:
			want = "subscribed"
		case i%2 == 0:
			want = "resubscribed"
		}
		if e != want {
			t.Fatalf("lifecycle %v: event %d is %s, want %s", l.events, i, e, want)
		}
		if e != "disconnected" {
			ups++
		}
	}
	if int64(ups) != subscribes {
		t.Fatalf("lifecycle %v announces %d subscribes, the session counted %d", l.events, ups, subscribes)
	}
}

// expectation reads frames the way the protocol says a client must: the
// first Subscribe reply decides the handshake, and a Destroyed status ends
// the meeting, unless a refusal came first.
func expectation(frames [][]byte) (reply *wire.SubscribeReply, ended bool) {
	for _, fr := range frames {
		d, err := connector.DecodeFrame(fr)
		if err != nil {
			continue
		}
		switch d := d.(type) {
		case *wire.SubscribeReply:
			if reply == nil {
				reply = d
				if !d.OK() {
					return reply, false
				}
			}
		case *events.Push:
			if dyn, ok := d.Payload.(*events.ConfDynamicInfoNotify); ok && dyn.Ended() {
				return reply, true
			}
		}
	}
	return reply, false
}

func attempts(st connector.Stats) int64 {
	var n int64
	for _, v := range st.Reconnects {
		n += v
	}
	return n
}
