package token

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Sentinels that callers branch on with errors.Is. An *APIError matches
// them through the table below; the package's own errors wrap them.
var (
	// ErrUnauthorized: the password or the control token was refused. The
	// cure is a fresh login with the host password; a refused login means
	// wrong credentials.
	ErrUnauthorized = errors.New("token: unauthorized")
	// ErrMeetingEnded: the meeting is over, ending, or does not exist. No
	// retry can help.
	ErrMeetingEnded = errors.New("token: meeting ended")
	// ErrNotStarted: the meeting has not started yet; a control token can
	// only be minted for a running meeting. Retry later.
	ErrNotStarted = errors.New("token: meeting not started")
	// ErrRateLimited: the server throttles this client. APIError.RetryAfter
	// says how long to wait when the server told.
	ErrRateLimited = errors.New("token: rate limited")
	// ErrLoginLocked: control login is locked after too many failed
	// attempts. Wait a long time before trying again.
	ErrLoginLocked = errors.New("token: control login locked")
	// ErrCannotRenew: the control token was supplied by the caller without
	// a host password, and it has expired or was rejected. Only the host
	// password can mint a new one.
	ErrCannotRenew = errors.New("token: cannot renew the control token: the host password is needed")
	// ErrBadResponse: the server answered 2xx with a body that lacks the
	// expected token or is not JSON.
	ErrBadResponse = errors.New("token: unexpected response")
)

// Sentinels of the meeting-control actions (package control). They live
// here because this file is the one failure table.
var (
	// ErrPermissionDenied: the control token may not do this (not host,
	// a co-host acting on the host, an operation only allowed on oneself).
	// The APIError's Message carries the vendor's reason.
	ErrPermissionDenied = errors.New("token: permission denied")
	// ErrCredentialsRejected: the server refused the credentials again
	// right after a fresh login (or no fresh login was possible); retrying
	// would only lock the login.
	ErrCredentialsRejected = errors.New("token: credentials rejected")
	// ErrParticipantNotFound: the participant (or waiting-room member) an
	// action names is not in the meeting (any more).
	ErrParticipantNotFound = errors.New("token: participant not found")
)

// sentinelTable is the one place where server answers become sentinels.
// An entry matches an *APIError by HTTP status when status is set, or by
// vendor code when code is set (compared case-insensitively, with or
// without the "MMC." prefix, because the same numbers appear bare in the
// client SDK tables). The codes come from protocol §2.4 and §8 Q1.
var sentinelTable = []struct {
	status int
	code   string
	err    error
}{
	// §2.2: 401 means the control token was rejected (Q1: any 401).
	{status: http.StatusUnauthorized, err: ErrUnauthorized},
	{code: "MMC.111072065", err: ErrUnauthorized}, // meeting not found or password wrong
	{code: "MMC.111070004", err: ErrUnauthorized}, // meeting authentication failed

	{code: "MMC.111072006", err: ErrMeetingEnded}, // meeting has ended
	{code: "MMC.111070005", err: ErrMeetingEnded}, // meeting does not exist
	{code: "MMC.111072003", err: ErrMeetingEnded}, // meeting is ending
	{code: "MMC.111072014", err: ErrMeetingEnded}, // cloud meeting room meeting expired

	{code: "MMC.111072005", err: ErrNotStarted}, // meeting not started yet

	{status: http.StatusTooManyRequests, err: ErrRateLimited},
	{code: "100000429", err: ErrRateLimited}, // server flow control

	{code: "MMC.111072064", err: ErrLoginLocked}, // login locked after failures

	// Meeting-control actions (REST reference §2.3, §5; codes chosen from
	// the client-SDK header by name, so they are inferences).
	{status: http.StatusForbidden, err: ErrPermissionDenied},
	{code: "MMC.111070002", err: ErrPermissionDenied},    // insufficient permissions
	{code: "MMC.111072070", err: ErrPermissionDenied},    // operation not allowed for a guest
	{code: "MMC.111072071", err: ErrPermissionDenied},    // only allowed on yourself
	{code: "MMC.111072110", err: ErrPermissionDenied},    // co-host cannot operate the host
	{code: "MMC.111072008", err: ErrParticipantNotFound}, // participant (member) does not exist
	{code: "MMC.111080004", err: ErrParticipantNotFound}, // participant not found
}

// APIError is a non-2xx answer from the meeting API. It matches the
// sentinels of sentinelTable with errors.Is, so callers rarely need its
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

// Is reports whether target is a sentinel that e maps to.
func (e *APIError) Is(target error) bool {
	for _, row := range sentinelTable {
		if row.err != target {
			continue
		}
		if row.status != 0 && row.status == e.Status {
			return true
		}
		if row.code != "" && sameCode(row.code, e.Code) {
			return true
		}
	}
	return false
}

// sameCode compares vendor codes, ignoring case and an "MMC." prefix.
func sameCode(want, got string) bool {
	if got == "" {
		return false
	}
	trim := func(s string) string {
		s = strings.TrimSpace(s)
		if len(s) > 4 && strings.EqualFold(s[:4], "MMC.") {
			return s[4:]
		}
		return s
	}
	return strings.EqualFold(trim(want), trim(got))
}
