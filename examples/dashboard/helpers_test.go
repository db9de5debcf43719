package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/events/meeting"
	"github.com/confwatch/confwatch/examples/internal/fleettest"
	"github.com/confwatch/confwatch/integration/fakemeeting"
	"github.com/confwatch/confwatch/secret"
)

func TestMain(m *testing.M) {
	fleettest.RunWorkerIfAsked() // the -nats tests' fleet workers are this binary
	goleak.VerifyTestMain(m)
}

// wait bounds every wait for something that should happen at once on an
// idle machine; generous so that a loaded CI runner does not flake.
const wait = 20 * time.Second

// syncBuffer is a bytes.Buffer safe for concurrent loggers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// manualSource is a source the test sets by hand.
type manualSource struct {
	mu   sync.Mutex
	snap *meeting.Snapshot
	conn connection
	ch   chan struct{}
}

func newManualSource(s *meeting.Snapshot) *manualSource {
	return &manualSource{snap: s, conn: connection{State: connLive}, ch: make(chan struct{}, 1)}
}

func (m *manualSource) set(s *meeting.Snapshot) {
	m.mu.Lock()
	m.snap = s
	m.mu.Unlock()
	select {
	case m.ch <- struct{}{}:
	default:
	}
}

func (m *manualSource) Snapshot() *meeting.Snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.snap
}

func (m *manualSource) Connection() connection {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.conn
}

func (m *manualSource) Changed() <-chan struct{} { return m.ch }

func (m *manualSource) Fleet() *fleetView { return nil }

// stream is a test's Server-Sent Events client: it parses each data line
// into a message.
type stream struct {
	msgs chan message
	body io.Closer
	done chan struct{}
}

func openStream(t *testing.T, url string) *stream {
	t.Helper()
	resp, err := http.Get(url + "/events")
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("/events Content-Type = %q", ct)
	}
	s := &stream{msgs: make(chan message, 4096), body: resp.Body, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer close(s.msgs)
		r := bufio.NewReaderSize(resp.Body, 64<<10)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			data, ok := strings.CutPrefix(line, "data: ")
			if !ok {
				continue
			}
			var m message
			if err := json.Unmarshal([]byte(data), &m); err != nil {
				t.Errorf("undecodable event %q: %v", data, err)
				return
			}
			s.msgs <- m
		}
	}()
	t.Cleanup(s.close)
	return s
}

func (s *stream) close() {
	s.body.Close()
	<-s.done
}

// next returns the next message, failing the test after wait.
func (s *stream) next(t *testing.T) message {
	t.Helper()
	select {
	case m, ok := <-s.msgs:
		if !ok {
			t.Fatal("the event stream ended")
		}
		return m
	case <-time.After(wait):
		t.Fatalf("no event within %v", wait)
	}
	return message{}
}

// until returns the first message that satisfies cond.
func (s *stream) until(t *testing.T, what string, cond func(message) bool) message {
	t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case m, ok := <-s.msgs:
			if !ok {
				t.Fatalf("the event stream ended before %s", what)
			}
			if cond(m) {
				return m
			}
		case <-deadline:
			t.Fatalf("no event with %s within %v", what, wait)
		}
	}
}

// rig is the whole dashboard on a fake meeting: fake → connector → feed →
// server → httptest, as run wires it but with the fake scripted by the test.
type rig struct {
	fake *fakemeeting.Server
	srv  *server
	http *httptest.Server
	logs *syncBuffer
}

func startRig(t *testing.T, fcfg fakemeeting.Config, backoff connector.Backoff) *rig {
	t.Helper()
	fake, err := fakemeeting.New(fcfg)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f := newFeed(log)
	srv := newServer(f, serverConfig{Logger: log})
	hs := httptest.NewServer(srv)
	ctx, cancel := context.WithCancel(context.Background())
	watched := make(chan error, 1)
	go func() {
		watched <- watch(ctx, target{Conference: fake.ConferenceID(), Password: secret.New(fake.HostPassword()), API: fake.URL(), Backoff: backoff}, f, log)
	}()
	t.Cleanup(func() {
		srv.Close() // ends the event streams, which hs.Close would wait for
		hs.Close()
		cancel()
		<-watched
		fake.Close()
	})
	wctx, wcancel := context.WithTimeout(ctx, wait)
	defer wcancel()
	if err := fake.WaitSubscribed(wctx, 1); err != nil {
		t.Fatalf("the dashboard did not subscribe: %v\n%s", err, logs.String())
	}
	return &rig{fake: fake, srv: srv, http: hs, logs: logs}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	return b
}

// participant returns the participant with the given PID.
func (m message) participant(pid string) (participant, bool) {
	for _, p := range m.Participants {
		if p.PID == pid {
			return p, true
		}
	}
	return participant{}, false
}
