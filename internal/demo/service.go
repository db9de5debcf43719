package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/confwatch/confwatch/integration/fakemeeting"
)

// CountersPath is where a Service serves its Counters as JSON.
const CountersPath = "/fakemeeting/counters"

// FirstConferenceID is the ID of a Service's first meeting; the others
// count up from it.
const FirstConferenceID = 986112000

// ServiceConfig configures a Service. The zero value is one meeting on a
// random loopback port.
type ServiceConfig struct {
	// Addr is the front's listen address. Empty means "127.0.0.1:0".
	Addr string
	// Meetings is how many meetings to run. Zero means 1.
	Meetings int
	// Fake is the template of every meeting's fakemeeting.Config; the
	// Service sets ConferenceID and HostPassword per meeting (a password
	// is Fake.HostPassword followed by "-" and the meeting's index, or a
	// 6-digit number when Fake.HostPassword is empty). Its zero value is
	// the demo's opening roster.
	Fake fakemeeting.Config
	// Logger receives the front's debug logs. Nil means silent.
	Logger *slog.Logger
}

// Service is a fake meeting-control service with many meetings behind
// one address. Each meeting is a fakemeeting.Server on a loopback port of
// its own; the front routes the token calls and the push channel by
// conference ID to it and rewrites the wsURL of the token call, so clients
// dial the front for the socket too. Because every socket passes through
// the front, the front counts how many sockets each meeting has open at
// once and the most it ever had: the proof that a fleet never connects a
// meeting twice.
//
// Create it with NewService and stop it with Close. Its methods are safe
// for concurrent use.
type Service struct {
	ln     net.Listener
	hs     *http.Server
	base   string
	order  []string
	byID   map[string]*backend
	closed sync.Once
	done   chan struct{}
	wg     sync.WaitGroup // proxied requests, which outlive hs.Close once upgraded
}

type backend struct {
	srv      *fakemeeting.Server
	password string
	proxy    *httputil.ReverseProxy
	wsBase   []byte // the fake's own ws base, replaced in token responses
	live     atomic.Int64
	maxLive  atomic.Int64
	sockets  atomic.Int64
}

// Counters are a Service's counters, per meeting and summed.
type Counters struct {
	// Meetings maps conference ID to its counters.
	Meetings map[string]MeetingCounters `json:"meetings"`
	// TokensIssued, TokenReuse and Sockets are the sums over meetings;
	// MaxLiveSockets is the highest MaxLiveSockets of any meeting.
	TokensIssued   int64 `json:"tokensIssued"`
	TokenReuse     int64 `json:"tokenReuse"`
	Sockets        int64 `json:"sockets"`
	MaxLiveSockets int64 `json:"maxLiveSockets"`
}

// MeetingCounters are one meeting's counters.
type MeetingCounters struct {
	// TokensIssued counts ws tokens handed out.
	TokensIssued int64 `json:"tokensIssued"`
	// TokenReuse counts upgrade attempts with an already used ws token.
	TokenReuse int64 `json:"tokenReuse"`
	// LiveSockets is the number of sockets open now.
	LiveSockets int64 `json:"liveSockets"`
	// MaxLiveSockets is the most sockets ever open at once.
	MaxLiveSockets int64 `json:"maxLiveSockets"`
	// Sockets counts sockets opened.
	Sockets int64 `json:"sockets"`
	// Subscribed is the number of open sockets with a Subscribe accepted.
	Subscribed int64 `json:"subscribed"`
}

// NewService starts cfg.Meetings fake meetings and the front.
func NewService(cfg ServiceConfig) (*Service, error) {
	if cfg.Meetings < 0 {
		return nil, errors.New("demo: service: Meetings must not be negative")
	}
	n := max(cfg.Meetings, 1)
	addr := cfg.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{byID: map[string]*backend{}, done: make(chan struct{})}
	for i := range n {
		fc := cfg.Fake
		if fc.Title == "" && len(fc.Participants) == 0 {
			fc.Title, fc.Participants = openingTitle, openingRoster()
		}
		fc.ConferenceID = strconv.Itoa(FirstConferenceID + i)
		fc.HostPassword = strconv.Itoa(600000 + (i*7919)%400000)
		if cfg.Fake.HostPassword != "" {
			fc.HostPassword = cfg.Fake.HostPassword + "-" + strconv.Itoa(i)
		}
		srv, err := fakemeeting.New(fc)
		if err != nil {
			s.closeBackends()
			return nil, fmt.Errorf("demo: service: %w", err)
		}
		b, err := newBackend(srv, fc.HostPassword)
		if err != nil {
			srv.Close()
			s.closeBackends()
			return nil, err
		}
		s.order = append(s.order, fc.ConferenceID)
		s.byID[fc.ConferenceID] = b
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.closeBackends()
		return nil, fmt.Errorf("demo: service: listen: %w", err)
	}
	s.ln = ln
	s.base = "http://" + ln.Addr().String()
	mux := http.NewServeMux()
	mux.HandleFunc(fakemeeting.PathToken, s.route("conferenceID", false))
	mux.HandleFunc(fakemeeting.PathWSToken, s.route("conferenceID", false))
	mux.HandleFunc(fakemeeting.PathWS, s.route("confID", true))
	mux.HandleFunc(CountersPath, s.serveCounters)
	s.hs = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug)}
	go func() {
		defer close(s.done)
		_ = s.hs.Serve(ln)
	}()
	return s, nil
}

func newBackend(srv *fakemeeting.Server, password string) (*backend, error) {
	u, err := url.Parse(srv.URL())
	if err != nil {
		return nil, fmt.Errorf("demo: service: %w", err)
	}
	b := &backend{srv: srv, password: password, wsBase: []byte("ws" + strings.TrimPrefix(srv.URL(), "http"))} // the wsURL the fake hands out
	b.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
		},
		ModifyResponse: b.modify,
		ErrorLog:       log.New(io.Discard, "", 0),
	}
	return b, nil
}

// exchange is what the front learns about one proxied request.
type exchange struct {
	wsBase   string // the front's ws base as the client addressed it
	upgraded bool
}

type exchangeKey struct{}

func (b *backend) modify(resp *http.Response) error {
	x, _ := resp.Request.Context().Value(exchangeKey{}).(*exchange)
	if x == nil {
		return nil
	}
	switch {
	case resp.StatusCode == http.StatusSwitchingProtocols:
		x.upgraded = true
		b.sockets.Add(1)
		n := b.live.Add(1)
		for m := b.maxLive.Load(); n > m && !b.maxLive.CompareAndSwap(m, n); m = b.maxLive.Load() {
		}
	case resp.Request.URL.Path == fakemeeting.PathToken && resp.StatusCode == http.StatusOK:
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err != nil {
			return err
		}
		body = bytes.ReplaceAll(body, b.wsBase, []byte(x.wsBase))
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	}
	return nil
}

// route proxies a request to the meeting its query parameter names.
func (s *Service) route(param string, ws bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.wg.Add(1)
		defer s.wg.Done()
		b := s.byID[r.URL.Query().Get(param)]
		if b == nil {
			code, msg, status := "MMC.111072065", "CONF_NOT_FOUND_OR_AUTH_FAILED", http.StatusBadRequest
			if ws {
				code, msg, status = "MMC.111070004", "CONF_AUTH_FAILED", http.StatusUnauthorized
			}
			w.Header().Set("Content-Type", "application/json;charset=UTF-8")
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(map[string]string{"error_code": code, "error_msg": msg})
			return
		}
		x := &exchange{wsBase: "ws://" + r.Host}
		b.proxy.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), exchangeKey{}, x)))
		// For an upgraded request ServeHTTP returns when either side
		// closed the socket.
		if x.upgraded {
			b.live.Add(-1)
		}
	}
}

func (s *Service) serveCounters(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(s.Counters())
}

// URL is the API base of every meeting, e.g. "http://127.0.0.1:41234".
func (s *Service) URL() string { return s.base }

// ConferenceIDs lists the meetings, in creation order.
func (s *Service) ConferenceIDs() []string { return append([]string(nil), s.order...) }

// Meeting returns the fake behind a conference ID, for scripting, or nil.
func (s *Service) Meeting(id string) *fakemeeting.Server {
	if b := s.byID[id]; b != nil {
		return b.srv
	}
	return nil
}

// HostPassword returns a meeting's host password ("" for an unknown ID).
func (s *Service) HostPassword(id string) string {
	if b := s.byID[id]; b != nil {
		return b.password
	}
	return ""
}

// Counters returns the counters now.
func (s *Service) Counters() Counters {
	c := Counters{Meetings: make(map[string]MeetingCounters, len(s.order))}
	for _, id := range s.order {
		b := s.byID[id]
		st := b.srv.Stats()
		m := MeetingCounters{
			TokensIssued: st.TokensIssued, TokenReuse: st.TokenReuse, LiveSockets: b.live.Load(),
			MaxLiveSockets: b.maxLive.Load(), Sockets: b.sockets.Load(), Subscribed: st.Subscribed,
		}
		c.Meetings[id] = m
		c.TokensIssued += m.TokensIssued
		c.TokenReuse += m.TokenReuse
		c.Sockets += m.Sockets
		c.MaxLiveSockets = max(c.MaxLiveSockets, m.MaxLiveSockets)
	}
	return c
}

// Close stops the front and every meeting. It is idempotent.
func (s *Service) Close() {
	s.closed.Do(func() {
		_ = s.hs.Close()
		<-s.done
		s.closeBackends()
		s.wg.Wait()
	})
}

func (s *Service) closeBackends() {
	for _, b := range s.byID {
		b.srv.Close()
	}
}
