// Package connector keeps one Huawei Cloud Meeting subscribed on its
// meeting-control WebSocket, through drops, dead links, token expiry,
// reconnect storms and hostile servers, and delivers what the server
// pushes as an ordered stream of events.
//
// Happy path, in the order it is written (see ExampleSession_meetingState):
//
//	tokens, _ := token.NewProvider(client, token.ProviderConfig{ConferenceID: id, Password: pw})
//	sess, _ := connector.New(connector.Config{ConferenceID: id, Tokens: tokens})
//	state := meeting.New(meeting.Config{Resync: sess.Resync})
//	mux := events.NewMux(nil)
//	mux.HandleAll(state, events.HandlerOptions{})
//	err := sess.Run(ctx, mux) // until ctx is done or the meeting ends
//	if errors.Is(err, connector.ErrMeetingEnded) { /* normal end */ }
//
// The session takes its handler when it runs, like http.Serve, so nothing
// needs the session before it exists; its methods (Resync, State, Stats)
// are safe to call before Run starts.
//
// # What one attempt does
//
// A supervisor on Run's goroutine owns the lifecycle. Each attempt takes
// the control token, then fetches a brand-new single-use ws token right
// before the dial (never one from an earlier attempt, and never one that
// aged past Config.TokenMargin), dials the control token's wsURL plus
// /cms/open/websocket/confctl/increment/conn, sends Subscribe and waits for
// its reply. Only then is the session "subscribed". The whole upgrade (TCP,
// TLS, HTTP) is bounded by HandshakeTimeout and ends at once on cancel;
// the server may send at most MaxHandshakeBytes before it completes and may
// not switch on an extension we did not offer (we offer none, so no frame
// can inflate past ReadLimit). A ws:// wsURL is refused unless
// Config.AllowPlainText.
//
// A live socket has exactly one goroutine, its reader. Frames are written
// one at a time under the link's write lock, each with a write deadline:
// Subscribe and heartbeats from Run's goroutine, which also serves the
// link's timers (heartbeat, silence watchdog, control-token keep-alive)
// while it waits, a subtitle control from its caller's. So an idle
// session holds two goroutines: Run's and the reader. Only message data counts as a sign of life — byte by byte, so
// that a large snapshot on a slow link is not mistaken for silence — and
// WebSocket pings, pongs and empty fragments do not: silence past
// ReadTimeout, or MaxMissedHeartbeats heartbeats without an echo while no
// data arrives, ends the link and a redial follows.
//
// # Failures
//
// One failure table, shared with package token and package control, sorts
// every failure into retry, re-authenticate then retry, wait (rate limit:
// Retry-After, capped at Backoff.Max; meeting not started: Backoff.Max) or
// stop; Failure.Class carries the decision. The retry policy on top of it
// is a pure function of the failure and what came before: delays grow
// exponentially with full jitter up to Backoff.Max; the schedule resets
// only after a link stayed healthy for HealthyAfter, so a server that
// accepts and drops at once is met with growing delays; two refused ws
// tokens in a row make the control token suspect. The same authentication
// failure twice in a row after a fresh login stops with
// ErrCredentialsRejected (every credential stop wraps it) instead of
// locking the account. A Destroyed status push, or the token service
// answering "ended", stops with ErrMeetingEnded (the same value as
// token.ErrMeetingEnded). Failures that no retry fixes before a first
// Subscribe — a refused or unresolvable API, an untrusted certificate, a
// web page where the API should be, an unknown meeting — are retried like
// any other unless Config.FailFast is set; Permanent tells them apart, so
// a caller can report "check the address" instead of waiting for ever.
//
// Server text that reaches errors, logs and Stats (close reasons,
// Subscribe refusals, handshake failures) is stripped of control
// characters, capped at 256 bytes, and scrubbed of every secret the
// session or its token.Provider has held.
//
// # Events and concurrency
//
// The socket reader never runs the handler: it decodes frames and puts them
// on a queue bounded by count (Queue) and by bytes (QueueBytes) that one
// dispatcher goroutine (started when events wait, gone when none do)
// drains into the handler given to Run, together with the lifecycle events
// (events.Subscribed, events.Disconnected, events.Resubscribed) in stream
// order. When the handler falls so far behind that the queue is full,
// pushes are dropped and counted and a resync is requested: the fresh
// snapshots that follow a new Subscribe repair whatever was lost. Resync
// requests are rate-limited here (MinResyncInterval), the one limit. While
// a link is live the supervisor also keeps the control token alive
// (TokenSource.Control at the token's RefreshAt), so a redial never waits
// for a fresh login and no other keep-alive is needed. Run joins every
// goroutine it started before it returns.
//
// A delivered push owns its memory. The reader reads every message into a
// buffer that the process's sessions share and reuse, decodes it there and
// gives the buffer back before the next read; nothing delivered points
// into it (a decoded payload never aliases its frame, see events.Decode).
// Push.Raw is a copy of the frame for actions events does not decode, and
// for every push when Config.KeepRaw is set; otherwise a decoded push has
// a nil Raw. So a handler may keep any push, and any part of it, for as
// long as it likes.
//
// # Observing a session
//
// Config.Observer is a set of callbacks told of every state transition,
// retry (with its class, stage and delay), ws-token call, push (with its
// lag behind the server's createTime), drop, resync and blind window, as
// they happen; package github.com/confwatch/confwatch/observability turns
// them into OpenTelemetry metrics. They run on the session's goroutines
// (the reader's too) and must return quickly; a nil Observer costs
// nothing. Stats remains the snapshot to poll.
//
// The package leaves to the caller: what to do with events (see the Mux
// and the meeting state in package events), and how to get credentials
// (see package token).
package connector
