package fakemeeting

import (
	"context"
	crand "crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/confwatch/confwatch/clock"
)

// HTTP paths served by the fake.
const (
	PathToken   = "/v1/mmc/control/conferences/token"
	PathWSToken = "/v1/mmc/control/conferences/wsToken"
	PathWS      = "/cms/open/websocket/confctl/increment/conn"
)

// Error codes the fake answers with (error_code of the HTTP error body,
// returnCode of a failed Subscribe).
const (
	CodeBadRequest    = "MMC.111070001"
	CodeAuthFailed    = "MMC.111070004"
	CodeConfNotExist  = "MMC.111070005"
	CodeTokenEmpty    = "MMC.111070111"
	CodeNotStarted    = "MMC.111072005"
	CodeEnded         = "MMC.111072006"
	CodeNotFoundOrPwd = "MMC.111072065"
	CodeFlowControl   = "100000429"
)

var errorMsgs = map[string]string{
	CodeBadRequest:    "BAD_REQUEST",
	CodeAuthFailed:    "CONF_AUTH_FAILED",
	CodeConfNotExist:  "CONF_NOT_EXIST",
	CodeTokenEmpty:    "REQUEST_TOKEN_EMPTY",
	CodeNotStarted:    "CONF_NOT_STARTED",
	CodeEnded:         "CONF_ENDED",
	CodeNotFoundOrPwd: "CONF_NOT_FOUND_OR_AUTH_FAILED",
	CodeFlowControl:   "FLOW_CONTROL",
}

// Errors returned by the script API.
var (
	ErrClosed             = errors.New("fakemeeting: server closed")
	ErrEnded              = errors.New("fakemeeting: meeting ended")
	ErrUnknownParticipant = errors.New("fakemeeting: unknown participant")
	ErrDuplicate          = errors.New("fakemeeting: participant already present")
)

// Server is a running fake meeting-control service. Create it with New
// and stop it with Close. All methods are safe for concurrent use.
type Server struct {
	cfg      Config
	clk      clock.Clock
	log      *slog.Logger
	ts       *httptest.Server
	base     string
	wsBase   string
	pool     *x509.CertPool
	upgrader websocket.Upgrader
	node     string // msgID suffix
	guestKey string

	wg      sync.WaitGroup // every goroutine the server starts
	hmu     sync.Mutex
	hclosed bool

	st counters

	// pushMu orders pushes: held across a script call or one Flood frame.
	pushMu sync.Mutex

	mu       sync.Mutex
	closed   bool
	rng      *rand.Rand
	m        meetingState
	ctl      map[string]time.Time // control token -> expiry
	wsToks   map[string]*wsToken
	pruned   time.Time // last pruneLocked scan
	conns    map[*conn]struct{}
	subCount map[string]int // sockets subscribed per type
	nSubbed  int
	versions map[string]int64
	msgSeq   uint64
	f        faultState
	unstall  chan struct{} // non-nil while stalled; closed on unstall
	clients  []*http.Client
	delay    time.Duration

	meeting Meeting      // the script API, handed out by Meeting
	faults  Faults       // the fault API, handed out by Faults
	ctrl    controlState // the control endpoints' knobs and log (control.go)
}

// New starts a fake on 127.0.0.1 (a random port) and returns it. It
// returns an error for an invalid Config and, like httptest.NewServer,
// panics if it cannot listen.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	var seed [16]byte
	_, _ = crand.Read(seed[:])
	s := &Server{
		cfg:      cfg,
		clk:      cfg.Clock,
		log:      cfg.Logger,
		rng:      rand.New(rand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:]))),
		ctl:      map[string]time.Time{},
		wsToks:   map[string]*wsToken{},
		conns:    map[*conn]struct{}{},
		subCount: map[string]int{},
		versions: map[string]int64{},
		f:        newFaults(),
	}
	s.meeting.s = s
	s.faults.s = s
	s.node = s.randHex(16)
	s.guestKey = s.randHex(48)
	s.upgrader = websocket.Upgrader{
		ReadBufferSize:  1024,
		WriteBufferSize: 4096,
		WriteBufferPool: &sync.Pool{},
		CheckOrigin:     func(*http.Request) bool { return true },
	}
	now := s.clk.Now()
	s.m = meetingState{
		state:   StateCreated,
		mode:    ModeFree,
		parts:   map[string]*participant{},
		waiting: map[string]*participant{},
		netcond: map[string]*wireNetCond{},
	}
	if cfg.NotStarted {
		s.m.state = StateSchedule
	}
	s.m.startTime = cfg.StartTime
	if s.m.startTime.IsZero() {
		s.m.startTime = now
	}
	s.m.endTime = s.m.startTime.Add(cfg.Duration)
	for _, p := range cfg.Participants {
		np := s.newParticipant(p, now)
		s.m.parts[np.pid] = np
		s.m.order = append(s.m.order, np.pid)
	}
	for _, a := range cfg.Attendees {
		s.m.attendees = append(s.m.attendees, toWireAttendee(a, s))
	}
	for _, g := range cfg.InterpreterGroups {
		s.m.groups = append(s.m.groups, toWireGroup(g))
	}

	mux := http.NewServeMux()
	mux.HandleFunc(PathToken, s.handleToken)
	mux.HandleFunc(PathWSToken, s.handleWSToken)
	mux.HandleFunc(PathWS, s.handleWS)
	s.serveControl(mux)
	// httptest owns the listener, the certificate (its own, for 127.0.0.1
	// and ::1) and the serving goroutines; Close joins them.
	s.ts = httptest.NewUnstartedServer(s.track(mux))
	s.ts.Config.ReadHeaderTimeout = 10 * time.Second
	s.ts.Config.ErrorLog = slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)
	// The handlers read wsBase, so it is set before serving starts: the
	// race detector sees no order between New and a request that came in
	// over TCP.
	scheme := "http"
	if cfg.TLS {
		scheme = "https"
	}
	s.base = scheme + "://" + s.ts.Listener.Addr().String()
	s.wsBase = "ws" + strings.TrimPrefix(s.base, "http")
	if cfg.TLS {
		s.ts.StartTLS()
		s.pool = x509.NewCertPool()
		s.pool.AddCert(s.ts.Certificate())
	} else {
		s.ts.Start()
	}
	s.log.Debug("fakemeeting: listening", "url", s.base, "conferenceID", cfg.ConferenceID)
	return s, nil
}

// URL is the HTTP(S) base of the REST API, e.g. "http://127.0.0.1:41234".
// The token endpoint answers with the matching ws(s) base as data.wsURL.
func (s *Server) URL() string { return s.base }

// ConferenceID is the meeting ID.
func (s *Server) ConferenceID() string { return s.cfg.ConferenceID }

// HostPassword is the chair password that logs in.
func (s *Server) HostPassword() string { return s.cfg.HostPassword }

// CertPool trusts the fake's certificate (httptest's, see Config.TLS);
// nil when TLS is off.
func (s *Server) CertPool() *x509.CertPool { return s.pool }

// TLSConfig is a client TLS config trusting the fake, for a WebSocket
// dialer; nil when TLS is off.
func (s *Server) TLSConfig() *tls.Config {
	if s.pool == nil {
		return nil
	}
	return &tls.Config{RootCAs: s.pool, MinVersion: tls.VersionTLS12}
}

// Client returns a new *http.Client that trusts the fake. Close closes its
// idle connections.
func (s *Server) Client() *http.Client {
	tr := &http.Transport{TLSClientConfig: s.TLSConfig(), ForceAttemptHTTP2: false}
	c := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	s.mu.Lock()
	s.clients = append(s.clients, c)
	s.mu.Unlock()
	return c
}

// Meeting returns the meeting script: join, leave, mute, raise hands,
// share, lock, record, speakers, the waiting room, captions, start, end.
func (s *Server) Meeting() *Meeting { return &s.meeting }

// Faults returns the fault knobs: refusals, drops, stalls, version gaps,
// duplicates, reordering, malformed frames, delays.
func (s *Server) Faults() *Faults { return &s.faults }

// endGrace bounds how long Close lets the sockets End is closing finish:
// the peer's close reply (gracefulWait) plus time to write what was queued.
const endGrace = gracefulWait + time.Second

// Close stops the listener and waits for every goroutine the server
// started. Sockets that End is closing get up to endGrace to receive
// their end frames and close normally; every other socket is dropped
// without a close frame (as a crashed server would). It is idempotent.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	var ending, conns []*conn
	for c := range s.conns {
		if c.ending {
			ending = append(ending, c)
		} else {
			conns = append(conns, c)
		}
	}
	if s.unstall != nil {
		close(s.unstall)
		s.unstall = nil
	}
	clients := s.clients
	s.mu.Unlock()

	s.hmu.Lock()
	s.hclosed = true
	s.hmu.Unlock()
	// Hijacked sockets are no longer httptest's: kill them ourselves. Its
	// Close waits for active requests, so end those (a SetDelay sleep)
	// first.
	s.ts.CloseClientConnections()
	for _, c := range conns {
		c.kill()
	}
	grace, cancel := context.WithTimeout(context.Background(), endGrace)
	defer cancel()
	for _, c := range ending {
		select {
		case <-c.gone:
		case <-grace.Done():
		}
		c.kill()
	}
	s.ts.Close()
	s.wg.Wait()
	for _, c := range clients {
		c.CloseIdleConnections()
	}
	s.log.Debug("fakemeeting: closed")
}

// track counts in-flight handlers so Close can join them.
func (s *Server) track(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hmu.Lock()
		if s.hclosed {
			s.hmu.Unlock()
			http.Error(w, "closed", http.StatusServiceUnavailable)
			return
		}
		s.wg.Add(1)
		s.hmu.Unlock()
		defer s.wg.Done()
		w.Header().Set("X-Request-Id", newRequestID())
		h.ServeHTTP(w, r)
	})
}
