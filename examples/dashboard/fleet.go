package main

import (
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxWatched bounds the meetings one dashboard follows at once: a page
// per meeting ID asked for, each with its own NATS watchers.
const maxWatched = 256

// listTimeout bounds reading the fleet's meetings for the index.
const listTimeout = 5 * time.Second

// meetingRow is one line of the index: a meeting of the fleet.
type meetingRow struct {
	Conference   string    `json:"conferenceId"`
	Title        string    `json:"title"`
	State        string    `json:"state"`
	Participants int       `json:"participants"`
	Owner        string    `json:"owner"`
	LastEvent    time.Time `json:"lastEvent,omitzero"`
}

// StateText names the meeting's state as the page does.
func (r meetingRow) StateText() string {
	switch r.State {
	case "Created":
		return "In progress"
	case "Schedule":
		return "Scheduled"
	case "Destroyed", "ended":
		return "Ended"
	case "":
		return "—"
	}
	return r.State
}

// fleetReader is what the dashboard reads from a fleet.
type fleetReader interface {
	// Meetings lists the fleet's meetings, ordered by conference ID.
	Meetings(ctx context.Context) ([]meetingRow, error)
	// Watch feeds to with one meeting's stored state, owner and changes
	// until ctx is done, going on after failures.
	Watch(ctx context.Context, conference string, to *fleetSource)
}

// fleetSite serves a fleet: the index of its meetings at /, as JSON at
// /meetings, and each meeting's page at /m/<conference>/, started on the
// first request for it and kept until Close.
type fleetSite struct {
	fleet fleetReader
	cfg   serverConfig
	log   *slog.Logger
	mux   *http.ServeMux
	index *template.Template

	ctx    context.Context // ends every watch
	cancel context.CancelFunc
	wg     sync.WaitGroup

	down atomic.Bool // cut off from NATS

	mu      sync.Mutex
	closed  bool
	servers map[string]*server
	sources map[string]*fleetSource
}

func newFleetSite(fleet fleetReader, cfg serverConfig) *fleetSite {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &fleetSite{fleet: fleet, cfg: cfg, log: log, mux: http.NewServeMux(),
		servers: map[string]*server{}, sources: map[string]*fleetSource{},
		index: template.Must(template.ParseFS(static, "static/fleet.html"))}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.mux.HandleFunc("GET /{$}", s.serveIndex)
	s.mux.HandleFunc("GET /meetings", s.serveMeetings)
	s.mux.Handle("GET /style.css", http.FileServerFS(mustSub(static, "static")))
	s.mux.HandleFunc("GET /m/{conference}/", s.serveMeeting)
	return s
}

func (s *fleetSite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setPageHeaders(w.Header())
	s.mux.ServeHTTP(w, r)
}

// Close stops every watch and every meeting page's event streams.
func (s *fleetSite) Close() {
	s.mu.Lock()
	s.closed = true
	servers := s.servers
	s.servers, s.sources = map[string]*server{}, map[string]*fleetSource{}
	s.mu.Unlock()
	s.cancel()
	for _, srv := range servers {
		srv.Close()
	}
	s.wg.Wait()
}

// setLink records whether the dashboard reaches NATS, which every
// meeting page shows.
func (s *fleetSite) setLink(up bool) {
	if s.down.Swap(!up) == !up {
		return
	}
	s.log.Info("dashboard: NATS link", "up", up)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, src := range s.sources {
		src.signal()
	}
}

// errNATSDown answers a list while the link is down, at once rather than
// after listTimeout.
var errNATSDown = errors.New("dashboard: not connected to NATS")

func (s *fleetSite) list(r *http.Request) ([]meetingRow, error) {
	if s.down.Load() {
		return nil, errNATSDown
	}
	ctx, cancel := context.WithTimeout(r.Context(), listTimeout)
	defer cancel()
	return s.fleet.Meetings(ctx)
}

func (s *fleetSite) serveIndex(w http.ResponseWriter, r *http.Request) {
	rows, err := s.list(r)
	page := struct {
		Meetings []meetingRow
		Error    string
		Now      time.Time
	}{Meetings: rows, Now: time.Now()}
	if err != nil {
		s.log.Warn("dashboard: listing the fleet's meetings", "err", err)
		page.Error = "The fleet's meetings could not be read from NATS; retrying."
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := s.index.Execute(w, page); err != nil {
		s.log.Debug("dashboard: index", "err", err)
	}
}

func (s *fleetSite) serveMeetings(w http.ResponseWriter, r *http.Request) {
	rows, err := s.list(r)
	if err != nil {
		s.log.Warn("dashboard: listing the fleet's meetings", "err", err)
		http.Error(w, "the fleet's meetings could not be read from NATS", http.StatusBadGateway)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(append([]meetingRow{}, rows...))
}

// serveMeeting serves one meeting's page, starting to watch it on the
// first request.
func (s *fleetSite) serveMeeting(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("conference")
	if !validConference(id) {
		http.NotFound(w, r)
		return
	}
	srv, ok := s.meeting(id)
	if !ok {
		http.Error(w, "this dashboard follows too many meetings already", http.StatusServiceUnavailable)
		return
	}
	http.StripPrefix("/m/"+id, srv).ServeHTTP(w, r)
}

// meeting returns the page server of one meeting, starting its watch if
// needed; false when the site is closed or follows maxWatched already.
func (s *fleetSite) meeting(id string) (*server, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if srv, ok := s.servers[id]; ok {
		return srv, true
	}
	if s.closed || len(s.servers) >= maxWatched {
		return nil, false
	}
	src := newFleetSource(nil, s.down.Load)
	srv := newServer(src, s.cfg)
	s.servers[id], s.sources[id] = srv, src
	s.wg.Go(func() { s.fleet.Watch(s.ctx, id, src) })
	s.log.Info("dashboard: following a meeting of the fleet", "conference", id)
	return srv, true
}

// validConference accepts a meeting ID as the fleet does: 1 to 32 digits.
func validConference(id string) bool {
	return id != "" && len(id) <= 32 && strings.Trim(id, "0123456789") == ""
}
