package main

import (
	"context"
	"flag"
	"log/slog"
	"net"
	"time"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/fleet"
	"github.com/confwatch/confwatch/observability/endpoint"
)

// metricsFlag is --metrics-addr: where tail, state and demo serve /metrics
// (Prometheus text), /healthz and /readyz. Empty (the default) serves
// nothing and costs nothing.
type metricsFlag struct{ addr string }

func (m *metricsFlag) register(fs *flag.FlagSet) {
	fs.StringVar(&m.addr, "metrics-addr", "", "serve /metrics (Prometheus), /healthz and /readyz at `ADDR`, e.g. 127.0.0.1:9464 (default off)")
}

// metricsCloseTimeout bounds the wait for scrapes in flight at exit.
const metricsCloseTimeout = 2 * time.Second

// serve starts the endpoint when --metrics-addr is set, before the session
// exists, so that /readyz answers 503 until it subscribes. It returns the
// session's Observer (nil when the flag is off) and what stops the
// endpoint.
func (m *metricsFlag) serve(conference string, log *slog.Logger) (*connector.Observer, func(), error) {
	if m.addr == "" {
		return nil, func() {}, nil
	}
	// The value is not echoed: whatever was typed here is not ours to print.
	if _, _, err := net.SplitHostPort(m.addr); err != nil {
		return nil, nil, usagef("--metrics-addr: want HOST:PORT, e.g. 127.0.0.1:9464 (port 0 picks a free one)")
	}
	srv, err := endpoint.Start(endpoint.Config{Addr: m.addr, Logger: log})
	if err != nil {
		return nil, nil, err
	}
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), metricsCloseTimeout)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			log.Warn("the metrics server did not stop cleanly", slog.Any("err", err))
		}
	}
	return srv.Metrics().Observer(conference), stop, nil
}

// serveFleet starts the endpoint for a fleet worker, with ready as
// /readyz. It returns what the worker reports to (nil when the flag is
// off) and what stops the endpoint.
func (m *metricsFlag) serveFleet(log *slog.Logger, ready func() bool) (fleet.Metrics, func(), error) {
	if m.addr == "" {
		return nil, func() {}, nil
	}
	if _, _, err := net.SplitHostPort(m.addr); err != nil {
		return nil, nil, usagef("--metrics-addr: want HOST:PORT, e.g. 127.0.0.1:9464 (port 0 picks a free one)")
	}
	srv, err := endpoint.Start(endpoint.Config{Addr: m.addr, Logger: log, Ready: ready})
	if err != nil {
		return nil, nil, err
	}
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), metricsCloseTimeout)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			log.Warn("the metrics server did not stop cleanly", slog.Any("err", err))
		}
	}
	return srv.Metrics(), stop, nil
}
