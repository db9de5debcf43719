// Package observability turns what a confwatch session does into
// OpenTelemetry metrics: it is an adapter on the OpenTelemetry metrics API,
// fed by connector.Observer, so the library itself links no metrics code.
//
//	m, _ := observability.New(observability.Config{}) // the global MeterProvider
//	defer m.Close()
//	sess, _ := connector.New(connector.Config{ConferenceID: id, Tokens: tokens,
//		Observer: m.Observer(id)})
//	// serve /metrics with whatever exporter the program uses, and
//	// /readyz from m.Ready; package endpoint does both for Prometheus.
//
// # Instruments
//
// Names follow the OpenTelemetry semantic conventions (dotted, unit
// apart, counters not suffixed); a Prometheus exporter renders
// confwatch.session.reconnects as confwatch_session_reconnects_total and
// confwatch.event.lag as confwatch_event_lag_seconds.
//
//	confwatch.session.state            sessions by confwatch.state (connecting, subscribed, reconnecting); async up-down counter
//	confwatch.session.reconnects       retries scheduled, by confwatch.class and confwatch.stage; counter
//	confwatch.session.reconnect.delay  backoff before each retry, by confwatch.class; histogram, s
//	confwatch.wstoken.fetches          ws-token calls, by confwatch.outcome (ok, discarded, error); counter
//	confwatch.events.received          pushes received, by confwatch.action; async counter
//	confwatch.events.dropped           pushes dropped on a full handler queue, by confwatch.action; async counter
//	confwatch.resyncs                  links closed on purpose for fresh snapshots; counter
//	confwatch.event.lag                receive time minus the push's createTime, sampled; histogram, s
//	confwatch.outage.blind             how long no push could arrive, per outage, by confwatch.resync; histogram, s
//
// and, for a fleet process, which calls the Metrics methods named after
// them:
//
//	confwatch.fleet.owned                 meetings this process holds the lease of (SetOwned); async up-down counter
//	confwatch.fleet.lease.renew_failures  lease renewals that failed (LeaseRenewFailed); counter
//	confwatch.fleet.fences                sessions stopped because their lease could not be kept (Fenced); counter
//	confwatch.fleet.failovers             meetings taken over from another process (FailedOver); counter
//
// The per-push instruments are built for the socket reader's pace: pushes
// are counted in atomics that the asynchronous counters read at
// collection (a few nanoseconds a push instead of an SDK call), and lag is
// sampled at most once per 100 ms per session, so a flood costs ten
// samples a second while a meeting's usual few pushes a second are all
// recorded.
//
// confwatch.action is the push's action when package events knows it, else
// "other", so a server cannot grow the number of series. No measurement
// carries a meeting ID unless Config.PerConference is set (then as
// confwatch.conference.id), and none carries a secret: only states, failure
// classes and stages, action names and durations are recorded, never error
// text or a resync's reason.
//
// # Concurrency
//
// Metrics and the Observers it returns are safe for concurrent use. The
// Observer callbacks run on the session's goroutines and only update
// instruments and atomics: they never block. A session counts in
// confwatch.session.state and Ready from the call to Observer until it
// stops.
//
// The package leaves to the caller which MeterProvider and exporter to
// use (endpoint has a ready one for Prometheus) and what readiness means
// beyond "every session is subscribed".
package observability
