// Package connector keeps one Huawei Cloud Meeting subscribed on its
// meeting-control WebSocket, through drops, dead links, token expiry and
// reconnect storms, and delivers what the server pushes as an ordered
// stream of events.
//
// Happy path:
//
//	tokens, _ := token.NewProvider(client, token.ProviderConfig{ConferenceID: id, Password: pw})
//	s, _ := connector.New(connector.Config{ConferenceID: id, Tokens: tokens, Handler: mux})
//	err := s.Run(ctx) // until ctx is done or the meeting ends
//	if errors.Is(err, connector.ErrMeetingEnded) { /* normal end */ }
//
// # What one attempt does
//
// A supervisor goroutine owns the lifecycle. Each attempt takes the
// control token, then fetches a brand-new single-use ws token right before
// the dial (never one from an earlier attempt, and never one that aged
// past Config.TokenMargin), dials the control token's wsURL plus
// /cms/open/websocket/confctl/increment/conn, sends Subscribe and waits
// for its reply. Only then is the
// session "subscribed". A live socket has exactly one reader and one
// writer goroutine; Subscribe, heartbeats and control frames all go
// through the writer with write deadlines. Every read that brings bytes
// pushes the read deadline forward (bytes, not frames, so that a large
// snapshot on a slow link is not mistaken for silence); silence past
// ReadTimeout, or MaxMissedHeartbeats
// heartbeats without an echo while nothing else arrives, ends the link
// and a redial follows.
//
// # Failures
//
// Classify sorts every failure into retry, re-authenticate then retry,
// wait (rate limit: at least Retry-After; meeting not started: the maximum
// interval) or stop. Delays grow exponentially with full jitter up to
// Backoff.Max; the schedule resets only after a link stayed healthy for
// HealthyAfter, so a server that accepts and drops at once is met with
// growing delays. The same authentication failure twice in a row after a
// fresh login stops with ErrCredentialsRejected instead of locking the
// account. A Destroyed status push, or the token service answering
// "ended", stops with ErrMeetingEnded.
//
// # Events and concurrency
//
// The socket reader never runs user code: it decodes frames and puts them
// on a bounded queue that one dispatcher goroutine (started when events
// wait, gone when none do) drains into Config.Handler, together with the lifecycle events (events.Subscribed,
// events.Disconnected, events.Resubscribed) in stream order. When the
// handler falls so far behind that the queue is full, pushes are dropped
// and counted and a resync is requested: the fresh snapshots that follow a
// new Subscribe repair whatever was lost. While a link is live the
// supervisor also keeps the control token alive (TokenSource.Control at the
// token's RefreshAt), so a redial never waits for a fresh login. Run joins
// every goroutine it started before it returns.
//
// The package leaves to the caller: what to do with events (see the Mux
// and the meeting state in package events), and how to get credentials
// (see package token).
package connector
