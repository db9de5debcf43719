// Package endpoint serves a confwatch process's metrics and probes over
// HTTP: /metrics in the Prometheus text format, /healthz (the process is
// alive) and /readyz (its sessions are subscribed). It is what
// `confwatch --metrics-addr` and the examples run.
//
//	srv, err := endpoint.Start(endpoint.Config{Addr: "127.0.0.1:9464"})
//	defer srv.Close(ctx)
//	sess, _ := connector.New(connector.Config{…, Observer: srv.Metrics().Observer(id)})
//
// The metrics come from an OpenTelemetry SDK MeterProvider of the server's
// own, whose one reader is the OpenTelemetry Prometheus exporter on a
// private registry (with the Go runtime and process collectors beside it):
// the global MeterProvider is left alone, and instruments of the program's
// own made from Server.MeterProvider appear on the same page.
//
// /metrics has no authentication, and it holds no secret (see package
// observability): keep it on loopback, or let only the scraper reach it.
//
// Concurrency: a Server's methods are safe for concurrent use; Start
// starts one goroutine, which Close joins. The package leaves to the
// caller authentication and TLS (put a proxy in front), and what /readyz
// means beyond "every session is subscribed" (Config.Ready).
package endpoint
