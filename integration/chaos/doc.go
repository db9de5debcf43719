// Package chaos is confwatch's network-fault suite: a session and its
// meeting state run against integration/fakemeeting through in-process
// toxiproxy proxies (one for the token API, one for the WebSocket), and
// each scenario injects one kind of network fault — latency with jitter,
// a bandwidth cap, TCP resets mid-frame, a half-open link, frames sliced
// into tiny pieces, a hanging token endpoint, the proxy down for longer
// than the read timeout, a flapping link — then checks that the session is
// subscribed again, that the meeting state equals the fake's own view,
// that no ws token was ever presented twice and that no goroutine leaked.
// The fault matrix is in RELIABILITY.md at the repository root.
//
// The package holds only tests. The pipeline they drive and the
// comparison with the fake's view live in integration/internal/pipeline,
// shared with the soak and secrets suites. toxiproxy is used here and in
// integration/fleetchaos (the fleet's NATS link) only.
package chaos
