package token

import (
	"fmt"
	"github.com/confwatch/confwatch/internal/failure"
	"strings"
	"time"
)

// Sentinels that callers branch on with errors.Is. An *APIError matches
// them through the one failure table (internal/failure); the package's own
// errors wrap them. They are the same values connector and control use.
var (
	// ErrUnauthorized: the password or the control token was refused. The
	// cure is a fresh login with the host password; a refused login means
	// wrong credentials.
	ErrUnauthorized = failure.ErrUnauthorized
	// ErrMeetingEnded: the meeting is over, ending, or does not exist. No
	// retry can help. connector.ErrMeetingEnded is the same value.
	ErrMeetingEnded = failure.ErrMeetingEnded
	// ErrNotStarted: the meeting has not started yet; a control token can
	// only be minted for a running meeting. Retry later.
	ErrNotStarted = failure.ErrNotStarted
	// ErrRateLimited: the server throttles this client. APIError.RetryAfter
	// says how long to wait when the server told.
	ErrRateLimited = failure.ErrRateLimited
	// ErrLoginLocked: control login is locked after too many failed
	// attempts. Wait a long time before trying again.
	ErrLoginLocked = failure.ErrLoginLocked
	// ErrCannotRenew: the control token was supplied by the caller without
	// a host password, and it has expired or was rejected. Only the host
	// password can mint a new one.
	ErrCannotRenew = failure.ErrCannotRenew
	// ErrBadResponse: the server answered 2xx with a body that lacks the
	// expected token or is not JSON, or with values no real token has.
	ErrBadResponse = failure.ErrBadResponse
	// ErrCredentialsRejected wraps every stop caused by credentials: the
	// password or control token was refused again right after a fresh
	// login. connector.ErrCredentialsRejected is the same value.
	ErrCredentialsRejected = failure.ErrCredentialsRejected
	// ErrPermissionDenied: the credentials are good but may not do this
	// (not the host, insufficient permission). APIError.Message says why.
	ErrPermissionDenied = failure.ErrPermissionDenied
	// ErrBadRequest: the service refused the request as invalid; repeating
	// it cannot help.
	ErrBadRequest = failure.ErrBadRequest
	// ErrParticipantNotFound: the participant (or waiting-room member) a
	// control action names is not in the meeting (any more).
	ErrParticipantNotFound = failure.ErrParticipantNotFound
)

// MaxRetryAfter caps every Retry-After the server sends: a wait longer
// than this is taken as this.
const MaxRetryAfter = 10 * time.Minute

// APIError is a non-2xx answer from the meeting API. It matches the
// sentinels above with errors.Is, so callers rarely need its
// fields; they are there for logs and for RetryAfter.
//
// All string fields come from the server, are bounded in length and are
// stripped of control characters and of any secret the request carried.
type APIError struct {
	// Op is the call that failed: "login", "keep-alive" or "ws token".
	Op string
	// Status is the HTTP status code.
	Status int
	// Code is the vendor code, e.g. "MMC.111072065", or "" if the body
	// had none.
	Code string
	// Message is the vendor message or a short description of the body.
	Message string
	// RequestID is the X-Request-Id response header (or the body's
	// request_id), for support tickets.
	RequestID string
	// RetryAfter is the server's Retry-After header as a duration, or 0.
	RetryAfter time.Duration
}

// Error renders e as
// "token: login: http 400 MMC.111072065 (CONF_NOT_FOUND_OR_AUTH_FAILED), request id abc".
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "token: %s: http %d", e.Op, e.Status)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(" (" + e.Message + ")")
	}
	if e.RequestID != "" {
		b.WriteString(", request id " + e.RequestID)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, ", retry after %v", e.RetryAfter)
	}
	return b.String()
}

// Is reports whether target is a sentinel that e maps to in the failure
// table.
func (e *APIError) Is(target error) bool {
	return failure.Match(failure.API, e.Status, e.Code, target)
}

// ServerWait is the wait the server asked for, capped at MaxRetryAfter.
func (e *APIError) ServerWait() time.Duration { return min(e.RetryAfter, MaxRetryAfter) }
