// Package control acts on a Huawei Cloud Meeting through its
// meeting-control REST calls (/v1/mmc/control/conferences/…): mute,
// lock, record, lower hands, admit from the waiting room, hang up,
// invite, hand over the host role, extend or end the meeting, and read
// its real-time state. It is the acting half of confwatch; the connector
// is the watching half, and an action shows in every watcher's
// meeting.State within one push.
//
// A Client is built on the token.Provider that keeps the meeting's control
// token alive, and sends with that Provider's token.Client: the same HTTP
// client, base URL, TLS roots, 15 s per-request timeout, User-Agent and
// request-ID logging, redirects refused, bodies read with limits. The
// happy path:
//
//	ctl, _ := control.New(control.Config{Tokens: provider})
//	err := ctl.SetHands(ctx, false, "pid-zhang-min")  // lower a hand
//	err = ctl.Admit(ctx, "pid-guest-wang")             // let a guest in
//	info, _ := ctl.RealTimeInfo(ctx)                   // who is there
//
// # Errors
//
// Failures come from token's one failure table and match its sentinels
// with errors.Is; the *token.APIError inside carries the vendor's code
// and message, bounded, stripped of control characters and scrubbed of
// the control token and the host password:
//
//   - token.ErrCredentialsRejected: the control token was refused, the
//     Provider logged in again, and the fresh token was refused too (or
//     no fresh login was possible). One re-login per action, no more.
//   - token.ErrPermissionDenied: not host, a co-host acting on the host,
//     an operation only allowed on oneself (HTTP 403 and the vendor's
//     codes).
//   - token.ErrMeetingEnded: the meeting is over.
//   - token.ErrParticipantNotFound: the participant is not (or no
//     longer) there.
//   - token.ErrRateLimited: still throttled after waiting, or asked to
//     wait longer than Config.MaxRetryAfter or the context allows.
//   - token.ErrBadResponse: a 2xx answer that is not what the call
//     returns (an HTML page from a proxy, invalid JSON, over 1 MiB).
//   - ErrUnreachable: no connection to the API could be made; the action
//     was not sent.
//
// # Retries
//
// Every action is retried after a refused control token (once, with a
// fresh login) and after throttling (twice, waiting Retry-After, or 1 s
// then 2 s without one): the server answers those without acting, so a
// repeat cannot act twice. After a server failure (5xx, or the vendor's
// "operation failed" and "response timeout" codes) only the actions that
// are safe to repeat — the "set" actions and the read — are retried, once,
// after 1 s: Mute, MuteAll, Lock, Record, SetHands, SetAllHands, Rename,
// SetHost, ReleaseHost, SetCohost, RealTimeInfo. Invite (a repeat dials
// again), Extend (a repeat adds time again), End, HangUp, Admit, AdmitAll
// and MoveToWaitingRoom (a repeat finds its target gone and fails) are not.
// Network failures are never retried: nothing is queued while the API is
// unreachable, and an action fails as soon as its request fails, so that a
// bot never acts on a meeting long after it decided to.
//
// # Concurrency
//
// A Client is safe for concurrent use and starts no goroutines. Each
// method returns when its call is answered, fails, or ctx ends; waits
// between attempts run on Config.Clock and end with ctx. The vendor
// documents no rate limit; callers acting in bulk should still serialise
// their actions per meeting.
//
// # Left to the caller
//
// A 200 means the meeting service accepted the action; the change itself
// is reported on the push channel, before or after the HTTP answer. Watch
// the meeting (connector and events/meeting) to see it. The Client does
// not de-duplicate invites, does not check roles before asking, and does
// not resolve names: Info.Named does, on a RealTimeInfo the caller reads.
package control
