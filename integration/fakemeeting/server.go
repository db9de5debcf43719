package fakemeeting

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	crand "crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
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

type wsToken struct {
	expires time.Time
	used    bool
}

// Server is a running fake meeting-control service. Create it with New
// and stop it with Close. All methods are safe for concurrent use.
type Server struct {
	cfg      Config
	clk      clock.Clock
	log      *slog.Logger
	ln       net.Listener
	hs       *http.Server
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
	m        meeting
	ctl      map[string]time.Time // control token -> expiry
	wsToks   map[string]*wsToken
	pruned   time.Time // last pruneLocked scan
	conns    map[*conn]struct{}
	subCount map[string]int // sockets subscribed per type
	nSubbed  int
	versions map[string]int64
	msgSeq   uint64
	f        faults
	unstall  chan struct{} // non-nil while stalled; closed on unstall
	clients  []*http.Client
	delay    time.Duration
	ctrl     controlState // the control endpoints' knobs and log (control.go)
}

// New starts a fake on 127.0.0.1 (a random port) and returns it.
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
	s.node = s.randHex(16)
	s.guestKey = s.randHex(48)
	s.upgrader = websocket.Upgrader{
		ReadBufferSize:  1024,
		WriteBufferSize: 4096,
		WriteBufferPool: &sync.Pool{},
		CheckOrigin:     func(*http.Request) bool { return true },
	}
	now := s.clk.Now()
	s.m = meeting{
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

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fakemeeting: listen: %w", err)
	}
	scheme, wsScheme := "http", "ws"
	if cfg.TLS {
		cert, pool, err := selfSigned()
		if err != nil {
			ln.Close()
			return nil, err
		}
		s.pool = pool
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}})
		scheme, wsScheme = "https", "wss"
	}
	s.ln = ln
	addr := ln.Addr().String()
	s.base = scheme + "://" + addr
	s.wsBase = wsScheme + "://" + addr

	mux := http.NewServeMux()
	mux.HandleFunc(PathToken, s.handleToken)
	mux.HandleFunc(PathWSToken, s.handleWSToken)
	mux.HandleFunc(PathWS, s.handleWS)
	s.serveControl(mux)
	s.hs = &http.Server{
		Handler:           s.track(mux),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.hs.Serve(ln)
	}()
	s.log.Debug("fakemeeting: listening", "url", s.base, "conferenceID", cfg.ConferenceID)
	return s, nil
}

// URL is the HTTP(S) base of the REST API, e.g. "http://127.0.0.1:41234".
func (s *Server) URL() string { return s.base }

// WSURL is the ws(s) base returned as data.wsURL by the token endpoint.
func (s *Server) WSURL() string { return s.wsBase }

// ConnURL is the full WebSocket URL for dialing with tmpToken.
func (s *Server) ConnURL(tmpToken string) string {
	return s.wsBase + PathWS + "?confID=" + s.cfg.ConferenceID + "&tmpToken=" + tmpToken
}

// ConferenceID is the meeting ID.
func (s *Server) ConferenceID() string { return s.cfg.ConferenceID }

// HostPassword is the chair password that logs in.
func (s *Server) HostPassword() string { return s.cfg.HostPassword }

// CertPool trusts the fake's certificate; nil when TLS is off.
func (s *Server) CertPool() *x509.CertPool { return s.pool }

// TLSConfig is a client TLS config trusting the fake; nil when TLS is off.
func (s *Server) TLSConfig() *tls.Config {
	if s.pool == nil {
		return nil
	}
	return &tls.Config{RootCAs: s.pool, MinVersion: tls.VersionTLS12}
}

// Client returns an *http.Client that trusts the fake. Close closes its
// idle connections.
func (s *Server) Client() *http.Client {
	tr := &http.Transport{TLSClientConfig: s.TLSConfig(), ForceAttemptHTTP2: false}
	c := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	s.mu.Lock()
	s.clients = append(s.clients, c)
	s.mu.Unlock()
	return c
}

// Dialer returns a gorilla dialer that trusts the fake, with small
// buffers.
func (s *Server) Dialer() *websocket.Dialer {
	return &websocket.Dialer{
		TLSClientConfig:  s.TLSConfig(),
		HandshakeTimeout: 10 * time.Second,
		ReadBufferSize:   4096,
		WriteBufferSize:  1024,
	}
}

// Close stops the listener, drops every socket without a close frame,
// and waits for every goroutine the server started. It is idempotent.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
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
	_ = s.hs.Close()
	for _, c := range conns {
		c.kill()
	}
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

func newRequestID() string {
	var b [16]byte
	_, _ = crand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// newToken returns a 51-char token: 3 lowercase letters + 48 hex chars.
func newToken(prefix string) string {
	var b [24]byte
	_, _ = crand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	if msg == "" {
		msg = errorMsgs[code]
	}
	if msg == "" {
		msg = "ERROR"
	}
	writeJSON(w, status, wireError{ErrorCode: code, ErrorMsg: msg})
}

// parseAuth accepts a raw token or "Basic " + base64(token).
func parseAuth(v string) string {
	v = strings.TrimSpace(v)
	if rest, ok := strings.CutPrefix(v, "Basic "); ok {
		rest = strings.TrimSpace(rest)
		if b, err := base64.StdEncoding.DecodeString(rest); err == nil {
			return string(b)
		}
		if b, err := base64.RawStdEncoding.DecodeString(rest); err == nil {
			return string(b)
		}
		return rest
	}
	return v
}

// sleepDelay applies SetDelay. It uses real time, so that a client's
// http.Client timeout (which runs on real time) can be tested.
func (s *Server) sleepDelay(r *http.Request) bool {
	s.mu.Lock()
	d := s.delay
	s.mu.Unlock()
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

func (s *Server) liveControlLocked(tok string, now time.Time) bool {
	exp, ok := s.ctl[tok]
	return ok && now.Before(exp)
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if !s.sleepDelay(r) {
		return
	}
	if r.Method != http.MethodGet {
		writeError(w, http.StatusMethodNotAllowed, CodeBadRequest, "METHOD_NOT_ALLOWED")
		return
	}
	q := r.URL.Query()
	confID := q.Get("conferenceID")
	auth := parseAuth(r.Header.Get("X-Conference-Authorization"))
	pwd, hasPwd := r.Header.Get("X-Password"), r.Header.Get("X-Password") != ""
	now := s.clk.Now()

	s.mu.Lock()
	if rf, ok := s.f.takeLogin(); ok {
		s.mu.Unlock()
		s.writeRefusal(w, rf)
		return
	}
	switch {
	case confID == "":
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, CodeBadRequest, "conferenceID is required")
		return
	case r.Header.Get("X-Login-Type") != "1":
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, CodeBadRequest, "X-Login-Type must be 1")
		return
	}
	keepAlive := auth != "" && confID == s.cfg.ConferenceID && s.liveControlLocked(auth, now)
	if !keepAlive {
		if confID != s.cfg.ConferenceID || !hasPwd || pwd != s.cfg.HostPassword {
			s.mu.Unlock()
			if auth != "" && !hasPwd {
				writeError(w, http.StatusBadRequest, CodeAuthFailed, "")
				return
			}
			writeError(w, http.StatusBadRequest, CodeNotFoundOrPwd, "")
			return
		}
	}
	switch s.m.state {
	case StateSchedule:
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, CodeNotStarted, "")
		return
	case StateDestroyed:
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, CodeEnded, "")
		return
	}
	tok := auth
	exp := now.Add(s.cfg.ControlTokenTTL)
	if keepAlive {
		s.st.KeepAlives.Add(1)
	} else {
		tok = s.mintToken("stb")
		s.st.Logins.Add(1)
	}
	s.ctl[tok] = exp
	s.pruneLocked(now)
	s.mu.Unlock()

	s.log.Debug("fakemeeting: control token", "keepAlive", keepAlive)
	writeJSON(w, http.StatusOK, wireTokenResponse{
		Data: wireTokenData{
			Token:               tok,
			TmpWsToken:          s.mintToken("cnr"),
			WsURL:               s.wsBase,
			Role:                1,
			ExpireTime:          exp.UnixMilli(),
			UserID:              defaultOwnerID,
			OrgID:               defaultOrgID,
			ConfTokenExpireTime: int64(s.cfg.ControlTokenTTL / time.Second),
			VmrCurrentConfID:    "",
			SupportNotifyType:   NotifyTypes,
		},
		AddressToken:   s.mintToken("stb"),
		GloablPublicIP: "meeting.huaweicloud.com",
	})
}

// pruneLocked forgets long-expired tokens so the maps stay small. It scans
// at most once a minute: with thousands of sessions a scan per request was
// a quarter of the fake's CPU (BENCHMARKS.md, scale).
func (s *Server) pruneLocked(now time.Time) {
	if len(s.wsToks) < 1024 && len(s.ctl) < 1024 || now.Sub(s.pruned) < time.Minute {
		return
	}
	s.pruned = now
	for k, t := range s.wsToks {
		if now.Sub(t.expires) > 10*time.Minute {
			delete(s.wsToks, k)
		}
	}
	for k, exp := range s.ctl {
		if now.Sub(exp) > time.Hour {
			delete(s.ctl, k)
		}
	}
}

func (s *Server) handleWSToken(w http.ResponseWriter, r *http.Request) {
	s.st.WSTokenRequests.Add(1)
	if !s.sleepDelay(r) {
		return
	}
	if r.Method != http.MethodGet {
		writeError(w, http.StatusMethodNotAllowed, CodeBadRequest, "METHOD_NOT_ALLOWED")
		return
	}
	confID := r.URL.Query().Get("conferenceID")
	raw := r.Header.Get("X-Conference-Authorization")
	auth := parseAuth(raw)
	now := s.clk.Now()

	s.mu.Lock()
	if rf, ok := s.f.takeWSToken(); ok {
		s.mu.Unlock()
		s.writeRefusal(w, rf)
		return
	}
	switch {
	case confID == "":
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, CodeBadRequest, "conferenceID is required")
		return
	case raw == "":
		s.mu.Unlock()
		writeError(w, http.StatusUnauthorized, CodeTokenEmpty, "")
		return
	case !s.liveControlLocked(auth, now):
		s.mu.Unlock()
		writeError(w, http.StatusUnauthorized, CodeAuthFailed, "")
		return
	case confID != s.cfg.ConferenceID:
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, CodeConfNotExist, "")
		return
	case s.m.state == StateDestroyed:
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, CodeEnded, "")
		return
	}
	tok := s.mintToken("cnr")
	s.wsToks[tok] = &wsToken{expires: now.Add(s.cfg.WSTokenTTL)}
	s.pruneLocked(now)
	s.mu.Unlock()
	s.st.TokensIssued.Add(1)
	writeJSON(w, http.StatusOK, map[string]string{"webSocketToken": tok})
}

func (s *Server) writeRefusal(w http.ResponseWriter, rf Refusal) {
	if rf.RetryAfter > 0 {
		secs := int((rf.RetryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	writeError(w, rf.Status, rf.Code, rf.Msg)
}

// selfSigned makes a P-256 certificate for 127.0.0.1, ::1 and localhost.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), crand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, _ := crand.Int(crand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"fakemeeting"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(crand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}
