// Command dashboard serves a live web page of one Huawei Cloud Meeting: the
// roster with hands, mute, sharing and video, who is speaking, the meeting's
// status, and a banner that tells whether the picture is live, reconnecting
// or just resynced. The page is embedded (no build step) and updated by
// Server-Sent Events; any number of browsers may watch.
//
//	go run ./examples/dashboard                  # the built-in demo meeting, http://127.0.0.1:8080
//	CONFWATCH_HOST_PASSWORD=... go run ./examples/dashboard -conference 986112045
//	go run ./examples/dashboard -metrics-addr 127.0.0.1:9464   # with /metrics, /healthz, /readyz
//	go run ./examples/dashboard -nats nats://127.0.0.1:4222    # every meeting a confwatch fleet watches
//
// With -nats the dashboard logs in to no meeting: it reads what the
// workers of a confwatch fleet publish (package fleet/feed). The index at
// / lists the fleet's meetings (title, state, participants, the worker
// watching each); /m/<meeting ID>/ is a meeting's page, fed by its stored
// state, which names the worker watching it, marks when the meeting moved
// to another worker, and lists the changes the workers published, those
// found while the meeting moved marked as such. It needs only the NATS
// flags (-nats-creds, -nats-user with -nats-password-file, or
// -nats-token-file; -nats-ca, -nats-cert and -nats-key for TLS);
// CONFWATCH_HOST_PASSWORD is not read.
//
// The page has no authentication: keep -addr on loopback, or put the
// dashboard behind a proxy that authenticates.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/examples/internal/natsconn"
	"github.com/confwatch/confwatch/integration/fakemeeting"
	"github.com/confwatch/confwatch/internal/demo"
	"github.com/confwatch/confwatch/observability/endpoint"
	"github.com/confwatch/confwatch/secret"
	"github.com/confwatch/confwatch/token"
)

// config is what run serves and watches. With neither Conference nor
// Password it plays the built-in demo meeting.
type config struct {
	Addr       string // listen address; "" means 127.0.0.1:8080
	Conference string
	Password   secret.Secret
	API        string  // meeting API base URL; "" means token.DefaultBaseURL
	Speed      float64 // demo only; 0 means 1
	Logger     *slog.Logger
	// MetricsAddr, when set, serves /metrics, /healthz and /readyz there
	// (apart from the page, which has no authentication either).
	MetricsAddr string

	// NATS, when its URL is set, reads every meeting of a fleet instead
	// of one meeting: Conference, Password, API, Speed and MetricsAddr do
	// not apply.
	NATS natsconn.Flags

	// listening, when set, is told the address once the server listens
	// (tests listen on port 0).
	listening func(net.Addr)
}

// Validate reports every problem with c.
func (c config) Validate() error {
	var errs []error
	if c.NATS.Enabled() {
		if c.Conference != "" || c.MetricsAddr != "" {
			errs = append(errs, errors.New("dashboard: -nats shows every meeting of the fleet (a meeting's page is /m/ID/): -conference and -metrics-addr do not apply"))
		}
		return errors.Join(append(errs, c.NATS.Validate())...)
	}
	if err := c.NATS.Validate(); err != nil {
		errs = append(errs, err)
	}
	if (c.Conference == "") != c.Password.IsZero() {
		errs = append(errs, errors.New("dashboard: give -conference and CONFWATCH_HOST_PASSWORD together, or neither for the demo"))
	}
	if c.Speed < 0 {
		errs = append(errs, errors.New("dashboard: -speed must be positive"))
	}
	return errors.Join(errs...)
}

const usage = `dashboard serves a live web page of a Huawei Cloud Meeting.

  dashboard                                    the built-in demo meeting
  CONFWATCH_HOST_PASSWORD=... dashboard -conference ID
  dashboard -nats nats://127.0.0.1:4222        every meeting of a confwatch fleet

With -nats the dashboard logs in to no meeting: it reads what the fleet's
workers publish. / lists the fleet's meetings (title, state, participants,
the worker watching each); /m/ID/ is a meeting's page, which names the worker
watching it, marks when the meeting moved to another, and lists the changes
the workers published (those found while it moved marked as such). Only the
-nats-* flags apply; CONFWATCH_HOST_PASSWORD is not read. The page has no
authentication: keep -addr on loopback or behind an authenticating proxy.

`

func main() {
	cfg := config{Password: secret.New(os.Getenv("CONFWATCH_HOST_PASSWORD"))}
	flag.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "serve the page on `host:port`")
	flag.StringVar(&cfg.Conference, "conference", "", "meeting `ID`, with CONFWATCH_HOST_PASSWORD (neither: the built-in demo meeting)")
	flag.StringVar(&cfg.API, "api", token.DefaultBaseURL, "meeting API base `URL`")
	flag.Float64Var(&cfg.Speed, "speed", 1, "demo meeting: play it this many times faster")
	flag.StringVar(&cfg.MetricsAddr, "metrics-addr", "", "serve /metrics, /healthz and /readyz on `host:port`, e.g. 127.0.0.1:9464 (default off)")
	cfg.NATS.Register(flag.CommandLine)
	flag.Usage = func() { fmt.Fprint(flag.CommandLine.Output(), usage); flag.PrintDefaults() }
	flag.Parse()
	if cfg.NATS.Enabled() {
		cfg.Password = secret.Secret{} // a fleet's reader needs no meeting credentials
	}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		cfg.Logger.Error("dashboard stopped", "err", err)
		os.Exit(1)
	}
}

// run serves the dashboard until ctx is done. When the meeting ends the page
// keeps showing the final picture; when the session fails for good (for
// example the password is refused) run returns the error.
func run(ctx context.Context, cfg config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.NATS.Enabled() {
		return runFleet(ctx, cfg, log)
	}
	return runMeeting(ctx, cfg, log)
}

// runMeeting serves one meeting, cfg's or the demo's, watched by a
// session of its own.
func runMeeting(ctx context.Context, cfg config, log *slog.Logger) error {
	t := target{Conference: cfg.Conference, Password: cfg.Password, API: cmp.Or(cfg.API, token.DefaultBaseURL)}
	var fake *fakemeeting.Server
	if t.Conference == "" {
		var err error
		if fake, err = demo.Start(); err != nil {
			return err
		}
		defer fake.Close() // deferred first, so it runs after wg.Wait below
		t = target{Conference: fake.ConferenceID(), Password: secret.New(fake.HostPassword()), API: fake.URL()}
	}
	if cfg.MetricsAddr != "" {
		ms, err := endpoint.Start(endpoint.Config{Addr: cfg.MetricsAddr, Logger: log})
		if err != nil {
			return err
		}
		defer func() {
			cctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			ms.Close(cctx)
		}()
		t.Observer = ms.Metrics().Observer(t.Conference)
	}
	ln, err := net.Listen("tcp", cmp.Or(cfg.Addr, "127.0.0.1:8080"))
	if err != nil {
		return fmt.Errorf("dashboard: listen: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait() // after cancel: every goroutine below ends with ctx
	if fake != nil {
		wg.Go(func() {
			if fake.WaitSubscribed(ctx, 1) == nil { // the opening roster first
				if err := demo.Play(ctx, fake, cfg.Speed, func(what string) { log.Info("demo: " + what) }); err != nil && ctx.Err() == nil {
					log.Error("demo script failed", "err", err)
				}
			}
		})
	}

	f := newFeed(log)
	srv := newServer(f, serverConfig{Logger: log})
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	wg.Go(func() { served <- hs.Serve(ln) })
	log.Info("dashboard: open http://" + ln.Addr().String())
	if cfg.listening != nil {
		cfg.listening(ln.Addr())
	}
	watched := make(chan error, 1)
	wg.Go(func() { watched <- watch(ctx, t, f, log) })

	var result error
	select {
	case <-ctx.Done():
	case err := <-served:
		result = fmt.Errorf("dashboard: serve: %w", err)
	case err := <-watched:
		if !errors.Is(err, connector.ErrMeetingEnded) {
			result = err
			break
		}
		log.Info("dashboard: the meeting ended; the page keeps its final picture until interrupted")
		select {
		case <-ctx.Done():
		case err := <-served:
			result = fmt.Errorf("dashboard: serve: %w", err)
		}
	}
	cancel()
	srv.Close() // end the event streams, which Shutdown would wait for
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer scancel()
	if err := hs.Shutdown(sctx); err != nil {
		hs.Close()
	}
	return result
}

// runFleet serves every meeting of the fleet on cfg.NATS until ctx is
// done.
func runFleet(ctx context.Context, cfg config, log *slog.Logger) error {
	nc, err := cfg.NATS.Connect("confwatch dashboard", log)
	if err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	ln, err := net.Listen("tcp", cmp.Or(cfg.Addr, "127.0.0.1:8080"))
	if err != nil {
		return fmt.Errorf("dashboard: listen: %w", err)
	}
	site := newFleetSite(natsFleet{js: js, log: log}, serverConfig{Logger: log})
	statuses := nc.StatusChanged(nats.CONNECTED, nats.RECONNECTING, nats.DISCONNECTED)
	linkDone := make(chan struct{})
	go func() {
		defer close(linkDone)
		for st := range statuses { // until RemoveStatusListener closes it
			site.setLink(st == nats.CONNECTED)
		}
	}()
	defer func() { nc.RemoveStatusListener(statuses); <-linkDone }()
	hs := &http.Server{Handler: site, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	log.Info("dashboard: the fleet on " + nc.ConnectedUrlRedacted() + ": open http://" + ln.Addr().String())
	if cfg.listening != nil {
		cfg.listening(ln.Addr())
	}
	var result error
	select {
	case <-ctx.Done():
	case err := <-served:
		result = fmt.Errorf("dashboard: serve: %w", err)
	}
	site.Close() // end the event streams, which Shutdown would wait for
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		hs.Close()
	}
	if result == nil {
		<-served // http.ErrServerClosed
	}
	return result
}
