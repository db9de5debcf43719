package main

import (
	"embed"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

//go:embed static
var static embed.FS

// Defaults for the zero fields of serverConfig.
const (
	defaultMinInterval  = 100 * time.Millisecond
	defaultKeepAlive    = 15 * time.Second
	defaultWriteTimeout = 10 * time.Second
)

// serverConfig tunes a server. The zero value is usable.
type serverConfig struct {
	// MinInterval is the least time between two broadcasts: changes that
	// arrive closer together reach the page as one message. Zero means
	// 100 ms.
	MinInterval time.Duration
	// KeepAlive is how often an idle event stream gets a comment line, so
	// that proxies keep it open and a vanished browser is noticed. Zero
	// means 15 s.
	KeepAlive time.Duration
	// WriteTimeout bounds each write to a browser; a browser that takes
	// longer is dropped (its page reconnects and gets the latest picture).
	// Zero means 10 s.
	WriteTimeout time.Duration
	// Logger receives client connects and drops. Nil means silent.
	Logger *slog.Logger
}

// server serves the page (/), its event stream (/events) and the current
// message as JSON (/state). One broadcaster goroutine turns the source's
// changes into messages; each browser has a channel holding at most the
// latest message, so a slow or vanished browser only misses intermediate
// pictures and never holds up the others or the session.
type server struct {
	src source
	cfg serverConfig
	log *slog.Logger
	mux *http.ServeMux

	seq uint64 // owned by publish

	mu      sync.Mutex
	latest  []byte // the last message, given first to a new browser
	clients map[chan []byte]struct{}

	done      chan struct{} // closed by Close: streams and broadcaster end
	closeOnce sync.Once
	wg        sync.WaitGroup
}

// newServer starts a server on src. Close stops it.
func newServer(src source, cfg serverConfig) *server {
	cfg.MinInterval = orDefault(cfg.MinInterval, defaultMinInterval)
	cfg.KeepAlive = orDefault(cfg.KeepAlive, defaultKeepAlive)
	cfg.WriteTimeout = orDefault(cfg.WriteTimeout, defaultWriteTimeout)
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &server{src: src, cfg: cfg, log: log, mux: http.NewServeMux(), clients: map[chan []byte]struct{}{}, done: make(chan struct{})}
	files := http.FileServerFS(mustSub(static, "static"))
	s.mux.Handle("GET /{$}", files)
	s.mux.Handle("GET /app.js", files)
	s.mux.Handle("GET /style.css", files)
	s.mux.HandleFunc("GET /events", s.serveEvents)
	s.mux.HandleFunc("GET /state", s.serveState)
	s.publish() // a browser that comes before any event gets "connecting"
	s.wg.Go(s.broadcast)
	return s
}

func orDefault(v, def time.Duration) time.Duration {
	if v == 0 {
		return def
	}
	return v
}

// ServeHTTP serves the dashboard with headers that keep the page to itself.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setPageHeaders(w.Header())
	s.mux.ServeHTTP(w, r)
}

// setPageHeaders keeps a page to itself: its own scripts and styles only,
// never framed, no referrer.
func setPageHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

// mustSub is fs.Sub of an embedded directory, which cannot fail.
func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err)
	}
	return sub
}

// Close ends every event stream and the broadcaster, and waits for the
// broadcaster. An http.Server's Shutdown does not end streaming handlers:
// call Close first.
func (s *server) Close() {
	s.closeOnce.Do(func() { close(s.done) })
	s.wg.Wait()
}

// broadcast publishes a message after each change, at most one per
// MinInterval, until Close.
func (s *server) broadcast() {
	for {
		select {
		case <-s.done:
			return
		case <-s.src.Changed():
		}
		s.publish()
		t := time.NewTimer(s.cfg.MinInterval)
		select {
		case <-s.done:
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// publish encodes the current picture and offers it to every browser,
// replacing a message the browser has not taken yet. It never blocks.
// It runs on one goroutine at a time (newServer, then the broadcaster),
// which owns seq; encoding happens outside mu so browsers can come and go.
func (s *server) publish() {
	s.seq++
	m := newMessage(s.seq, s.src.Snapshot(), s.src.Connection())
	m.Fleet = s.src.Fleet()
	msg, err := json.Marshal(m)
	if err != nil {
		s.log.Error("dashboard: encode", "err", err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latest = msg
	for c := range s.clients {
		select {
		case c <- msg:
		default:
			// Only publish sends, under mu: after taking the stale message
			// out, the buffer has room.
			select {
			case <-c:
			default:
			}
			c <- msg
		}
	}
}

func (s *server) subscribe() chan []byte {
	c := make(chan []byte, 1)
	s.mu.Lock()
	defer s.mu.Unlock()
	c <- s.latest
	s.clients[c] = struct{}{}
	return c
}

func (s *server) unsubscribe(c chan []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.clients, c)
}

// clientCount is the number of open event streams.
func (s *server) clientCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.clients)
}

func (s *server) serveState(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	msg := s.latest
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(msg)
}

// serveEvents streams messages as Server-Sent Events: the current one at
// once, then one per broadcast.
func (s *server) serveEvents(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // no proxy buffering (nginx)
	c := s.subscribe()
	defer s.unsubscribe(c)
	s.log.Debug("dashboard: browser connected", "remote", r.RemoteAddr)
	write := func(parts ...[]byte) bool {
		// A write that cannot finish in time means a stuck or vanished
		// browser: give up on it rather than hold a goroutine forever.
		_ = rc.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
		for _, p := range parts {
			if _, err := w.Write(p); err != nil {
				s.log.Debug("dashboard: browser dropped", "remote", r.RemoteAddr, "err", err)
				return false
			}
		}
		return rc.Flush() == nil
	}
	// retry: how soon the browser's EventSource reconnects after a drop.
	if !write([]byte("retry: 2000\n\n")) {
		return
	}
	keepAlive := time.NewTicker(s.cfg.KeepAlive)
	defer keepAlive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		case msg := <-c:
			// JSON from encoding/json has no raw newlines: one data line.
			if !write([]byte("data: "), msg, []byte("\n\n")) {
				return
			}
		case <-keepAlive.C:
			if !write([]byte(": keep-alive\n\n")) {
				return
			}
		}
	}
}
