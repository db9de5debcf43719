// Package token runs the credential chain of Huawei Cloud Meeting's
// meeting-control API: from a meeting ID and the host password it mints a
// control token (valid 30 minutes), keeps that token alive before it
// expires, logs in again when the server refuses it, and hands out a fresh
// single-use WebSocket token (valid 60 seconds) for every dial of the
// event channel.
//
// A Client makes the three HTTP calls (Login, KeepAlive, WSToken) and turns
// the server's answers into values and errors. A Provider holds one
// meeting's credentials and decides which call is due; it is what a
// connection supervisor uses. The happy path:
//
//	c, _ := token.New(token.Config{Logger: logger})
//	p, _ := token.NewProvider(c, token.ProviderConfig{ConferenceID: id, Password: token.NewSecret(pw)})
//	ctl, _ := p.Control(ctx) // ctl.WSURL is where to dial
//	ws, _ := p.WSToken(ctx)  // ws.Token is the dial's tmpToken, used once
//
// There is one keep-alive path: Control keeps the token alive when it is
// called past the token's RefreshAt (ProviderConfig.RefreshFraction of its
// lifetime, 5/6 by default), and logs in again when the keep-alive is
// refused. A connector.Session calls Control at RefreshAt while its socket
// is live, so a program that runs a session needs nothing else; a program
// that only acts on a meeting (package control) gets a live token from
// every call.
//
// Errors are *APIError for non-2xx answers and match a few sentinels with
// errors.Is: ErrUnauthorized (re-login or check the password),
// ErrMeetingEnded (stop), ErrNotStarted and ErrRateLimited (wait),
// ErrLoginLocked (wait long), ErrCannotRenew (a caller-given token lapsed
// and no password is known), ErrBadResponse (a 2xx without a token, or with
// a lifetime under MinControlLifetime), ErrPermissionDenied and
// ErrBadRequest (stop). The mapping from statuses and vendor codes to these
// sentinels is the one failure table that connector and control use too;
// ErrMeetingEnded and ErrCredentialsRejected are the same values as
// connector's. Every Retry-After is capped at MaxRetryAfter.
// The meeting-control actions (package control, through Provider.Do) add
// ErrParticipantNotFound.
// Network failures keep their net.Error, so timeouts are identifiable.
//
// Secrets are Secret values: passwords and tokens render as REDACTED in
// fmt, slog and JSON, are never put in a URL, and are removed from
// anything the server echoes back into an error.
//
// Concurrency: Client and Provider are safe for concurrent use. Concurrent
// Provider.Control calls that need the server share one request. Neither
// starts a goroutine. Time comes from an injectable clock.Clock, so tests run
// 30-minute lifetimes in milliseconds.
//
// Left to the caller: deciding what to do with an error (the connector
// classifies them), dialling the WebSocket and checking a WS token's Age
// before using it. Apart from the login that replaces a refused
// keep-alive, no failed call is retried.
package token
