package endpoint

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"

	"github.com/confwatch/confwatch/observability"
	"github.com/confwatch/confwatch/token"
)

// DefaultServiceName is the service.name of target_info when
// Config.ServiceName is empty.
const DefaultServiceName = "confwatch"

// Limits of the HTTP server: a scraper sends a short GET and reads a page
// of a few kilobytes; nothing else needs longer.
const (
	readHeaderTimeout = 5 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 60 * time.Second
	maxHeaderBytes    = 16 << 10
	scrapeTimeout     = 10 * time.Second
)

// Config configures a Server. Addr is required; the zero value of every
// other field means its default.
type Config struct {
	// Addr is the TCP address to listen on, host:port, e.g.
	// "127.0.0.1:9464". Port 0 picks a free port; Server.Addr tells which.
	Addr string
	// PerConference is observability.Config.PerConference: the meeting ID
	// on every session measurement. Off by default.
	PerConference bool
	// ServiceName is the service.name resource attribute (target_info).
	// Empty means DefaultServiceName.
	ServiceName string
	// Ready answers /readyz. Nil means Metrics().Ready: 200 while every
	// observed session is subscribed, 503 before the first Subscribe, while
	// reconnecting and once all have stopped.
	Ready func() bool
	// Logger receives the server's logs. Nil means silent.
	Logger *slog.Logger
}

// Server serves /metrics, /healthz and /readyz until Close. Its methods
// are safe for concurrent use.
type Server struct {
	ln       net.Listener
	hs       *http.Server
	provider *sdkmetric.MeterProvider
	metrics  *observability.Metrics
	ready    func() bool
	log      *slog.Logger
	done     chan struct{} // closed when Serve has returned
}

// Start listens on cfg.Addr and serves in a goroutine of its own, which
// Close joins.
func Start(cfg Config) (*Server, error) {
	if cfg.Addr == "" {
		return nil, errors.New("endpoint: start: Addr is required")
	}
	if cfg.ServiceName == "" {
		cfg.ServiceName = DefaultServiceName
	}
	reg := prometheus.NewRegistry()
	if err := reg.Register(collectors.NewGoCollector()); err != nil {
		return nil, fmt.Errorf("endpoint: start: %w", err)
	}
	if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, fmt.Errorf("endpoint: start: %w", err)
	}
	exp, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, fmt.Errorf("endpoint: start: %w", err)
	}
	res := resource.NewSchemaless(semconv.ServiceName(cfg.ServiceName), semconv.ServiceVersion(token.Version))
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp), sdkmetric.WithResource(res))
	m, err := observability.New(observability.Config{MeterProvider: provider, PerConference: cfg.PerConference})
	if err != nil {
		_ = provider.Shutdown(context.Background())
		return nil, fmt.Errorf("endpoint: start: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		_ = m.Close()
		_ = provider.Shutdown(context.Background())
		return nil, fmt.Errorf("endpoint: start: %w", err)
	}
	s := &Server{ln: ln, provider: provider, metrics: m, ready: cfg.Ready, done: make(chan struct{}), log: cfg.Logger}
	if s.ready == nil {
		s.ready = m.Ready
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.hs = &http.Server{
		Handler:           s.handler(reg),
		ReadHeaderTimeout: readHeaderTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	go s.serve()
	s.log.Info("serving metrics", slog.String("addr", s.Addr()), slog.String("paths", "/metrics /healthz /readyz"))
	return s, nil
}

func (s *Server) serve() {
	defer close(s.done)
	if err := s.hs.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.log.Warn("metrics server stopped", slog.Any("err", err))
	}
}

// handler routes the three paths; everything else is 404.
func (s *Server) handler(reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog: slogPrinter{s.log}, Timeout: scrapeTimeout,
	}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		probe(w, http.StatusOK, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if s.ready() {
			probe(w, http.StatusOK, "ready\n")
			return
		}
		probe(w, http.StatusServiceUnavailable, "not ready\n")
	})
	return mux
}

func probe(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// slogPrinter is promhttp's error log.
type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Println(v ...any) { p.log.Warn("metrics: " + fmt.Sprint(v...)) }

// Addr returns the address the server listens on (with the port chosen
// when Config.Addr asked for port 0).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Metrics returns the adapter recording into the server's MeterProvider:
// give each session Metrics().Observer(id); a fleet calls its fleet
// methods.
func (s *Server) Metrics() *observability.Metrics { return s.metrics }

// MeterProvider returns the server's MeterProvider, for instruments of
// the program's own on the same /metrics page.
func (s *Server) MeterProvider() metric.MeterProvider { return s.provider }

// Close stops serving (letting scrapes in flight finish until ctx is
// done), joins the serving goroutine and shuts the MeterProvider down.
func (s *Server) Close(ctx context.Context) error {
	err := s.hs.Shutdown(ctx)
	if err != nil {
		err = errors.Join(err, s.hs.Close())
	}
	<-s.done
	err = errors.Join(err, s.metrics.Close(), s.provider.Shutdown(ctx))
	if err != nil {
		return fmt.Errorf("endpoint: close: %w", err)
	}
	return nil
}
