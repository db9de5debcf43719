// Package failure is the one place where an answer from the meeting
// service becomes a decision. Every HTTP status, vendor code, WebSocket
// handshake status, Subscribe returnCode and close code that confwatch
// branches on is a row of table below; token, connector and control match
// their errors against it and classify them with Classify, so the three
// never disagree about what a failure means.
//
// The package is internal: users branch on the sentinels that token and
// connector re-export (errors.Is) and on connector.Class.
package failure

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Class is what a caller does about a failure.
type Class int

const (
	// Retry after the backoff delay.
	Retry Class = iota
	// Reauth: drop the control token, log in again, then retry.
	Reauth
	// Wait: retry, but not before the failure's wait.
	Wait
	// Stop: no retry can help.
	Stop
)

func (c Class) String() string {
	switch c {
	case Retry:
		return "retry"
	case Reauth:
		return "reauth"
	case Wait:
		return "wait"
	case Stop:
		return "stop"
	}
	return fmt.Sprintf("class(%d)", int(c))
}

// Sentinels. token and connector export them under their own names (the
// same values, so errors.Is works with either).
var (
	ErrUnauthorized = errors.New("token: unauthorized")
	// ErrMeetingEnded is shared by token and connector: one value.
	ErrMeetingEnded = errors.New("meeting ended")
	ErrNotStarted   = errors.New("token: meeting not started")
	ErrRateLimited  = errors.New("token: rate limited")
	ErrLoginLocked  = errors.New("token: control login locked")
	ErrCannotRenew  = errors.New("token: cannot renew the control token: the host password is needed")
	ErrBadResponse  = errors.New("token: unexpected response")
	// ErrCredentialsRejected wraps every stop for credentials: the password
	// or control token was refused again right after a fresh login, or
	// could not be renewed.
	ErrCredentialsRejected = errors.New("credentials rejected")
	// ErrPermissionDenied: the credentials are good but not allowed to do
	// this (not the host, insufficient permission).
	ErrPermissionDenied = errors.New("permission denied")
	// ErrParticipantNotFound: a control action names a participant (or
	// waiting-room member) who is not in the meeting (any more).
	ErrParticipantNotFound = errors.New("token: participant not found")
	// ErrBadRequest: the service refused the request itself; repeating it
	// cannot help (a bug or a misconfiguration, e.g. a wrong meeting ID).
	ErrBadRequest = errors.New("request refused as invalid")
	// ErrNoSuchMeeting: the service does not know the meeting. Its answer
	// matches ErrMeetingEnded too (and is classified by it): a meeting
	// long over is forgotten as well, and only a caller that has seen the
	// meeting can tell "ended" from "wrong ID".
	ErrNoSuchMeeting = errors.New("meeting does not exist")
	// ErrSubscribeRejected: Subscribe answered with a non-zero returnCode.
	ErrSubscribeRejected = errors.New("connector: subscribe rejected")
	// ErrWSTokenRefused: the upgrade refused the ws token (401/403, or an
	// accept-then-close 1008). A fresh ws token is fetched for every dial
	// anyway; the supervisor escalates to Reauth when this repeats.
	ErrWSTokenRefused = errors.New("connector: ws token refused")
)

// Source says where an answer came from; the same number means different
// things in different places (a 401 from the token API refuses the control
// token, a 401 on the upgrade refuses the single-use ws token).
type Source int

const (
	API       Source = iota // the REST API (token calls, control actions)
	Handshake               // the WebSocket upgrade's HTTP status
	Subscribe               // Subscribe's returnCode
	Close                   // a WebSocket close code
)

// row maps an answer to a sentinel. status matches an HTTP status (or a
// close code, or a returnCode); code a vendor code (case-insensitive,
// with or without "MMC."); anyNonZero a Subscribe returnCode other than 0.
type row struct {
	src        Source
	status     int
	code       string
	anyNonZero bool
	// client4xx: the code counts only under a 4xx status. A 5xx carrying
	// the same code is the server's trouble, and retried.
	client4xx bool
	err       error
}

// table is the one failure table. The codes come from the protocol
// reference: §2.4 and §8 Q1 (token calls), §3 (upgrade), §4 (Subscribe),
// and the REST reference's error codes for control actions.
var table = []row{
	// §2.2, Q1: any 401 from the API means the control token was refused.
	{src: API, status: http.StatusUnauthorized, err: ErrUnauthorized},
	{src: API, code: "MMC.111072065", err: ErrUnauthorized}, // meeting not found or password wrong
	{src: API, code: "MMC.111070004", err: ErrUnauthorized}, // meeting authentication failed

	{src: API, code: "MMC.111072006", err: ErrMeetingEnded}, // meeting has ended
	{src: API, code: "MMC.111070005", err: ErrMeetingEnded}, // meeting does not exist
	{src: API, code: "MMC.111070005", err: ErrNoSuchMeeting},
	{src: API, code: "MMC.111072003", err: ErrMeetingEnded}, // meeting is ending
	{src: API, code: "MMC.111072014", err: ErrMeetingEnded}, // cloud meeting room meeting expired

	{src: API, code: "MMC.111072005", err: ErrNotStarted}, // meeting not started yet

	{src: API, status: http.StatusTooManyRequests, err: ErrRateLimited},
	{src: API, code: "100000429", err: ErrRateLimited}, // server flow control

	{src: API, code: "MMC.111072064", err: ErrLoginLocked}, // login locked after failures

	{src: API, status: http.StatusForbidden, err: ErrPermissionDenied},
	{src: API, code: "MMC.111070002", client4xx: true, err: ErrPermissionDenied}, // insufficient permission
	{src: API, code: "MMC.111072070", client4xx: true, err: ErrPermissionDenied}, // operation not allowed for a guest (REST reference §2.3)
	{src: API, code: "MMC.111072071", client4xx: true, err: ErrPermissionDenied}, // only allowed on yourself
	{src: API, code: "MMC.111072110", client4xx: true, err: ErrPermissionDenied}, // co-host cannot operate the host

	{src: API, code: "MMC.111072008", client4xx: true, err: ErrParticipantNotFound}, // participant (member) does not exist (REST reference, hang-up)
	{src: API, code: "MMC.111080004", client4xx: true, err: ErrParticipantNotFound}, // participant not found

	{src: API, code: "MMC.111070001", client4xx: true, err: ErrBadRequest}, // bad request
	{src: API, code: "MMC.111070111", client4xx: true, err: ErrBadRequest}, // request token empty

	// §3: the upgrade. 401/403 refuse the ws token; 429 throttles.
	{src: Handshake, status: http.StatusUnauthorized, err: ErrWSTokenRefused},
	{src: Handshake, status: http.StatusForbidden, err: ErrWSTokenRefused},
	{src: Handshake, status: http.StatusTooManyRequests, err: ErrRateLimited},

	// §4: a non-zero returnCode refuses the confToken (111070004 and
	// kin): log in again.
	{src: Subscribe, anyNonZero: true, err: ErrSubscribeRejected},

	// §3.3: the server closes with 1008 when it refuses a ws token after
	// accepting the upgrade. Other closes (1000 on end or idle, 1006) are
	// plain retries; the meeting's end is known from the Destroyed push.
	{src: Close, status: 1008, err: ErrWSTokenRefused},
}

// Match reports whether an answer from src with status and vendor code
// maps to target.
func Match(src Source, status int, code string, target error) bool {
	for _, r := range table {
		if r.err != target || r.src != src {
			continue
		}
		if r.client4xx && (status < 400 || status >= 500) {
			continue
		}
		switch {
		case r.anyNonZero && status != 0,
			r.status != 0 && r.status == status,
			r.code != "" && SameCode(r.code, code):
			return true
		}
	}
	return false
}

// SameCode compares vendor codes, ignoring case and an "MMC." prefix.
func SameCode(want, got string) bool {
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

// ServerWaiter is implemented by errors that carry a wait the server asked
// for (Retry-After). Implementations return it already capped.
type ServerWaiter interface {
	ServerWait() time.Duration
}

// classes says what each sentinel means, in the order Classify tries them
// (the first that matches wins).
var classes = []struct {
	err   error
	class Class
}{
	// The caller's cancel stops; a deadline does not: timeouts of one
	// request or one handshake are retried (a caller's own deadline ends
	// its loop through ctx anyway).
	{context.Canceled, Stop},
	{ErrMeetingEnded, Stop},
	{ErrCannotRenew, Stop},
	{ErrCredentialsRejected, Stop},
	{ErrPermissionDenied, Stop},
	{ErrBadRequest, Stop},
	{ErrParticipantNotFound, Stop},
	{ErrRateLimited, Wait},
	{ErrNotStarted, Wait},
	{ErrLoginLocked, Wait},
	{ErrUnauthorized, Reauth},
	{ErrSubscribeRejected, Reauth},
	{ErrWSTokenRefused, Retry},
}

// Classify says what to do about err. maxWait is the wait for a failure
// whose length the server did not say (not started, login locked, rate
// limited without Retry-After), and the cap of every wait the server chose
// (Retry-After: a hostile 3,000,000,000 s must not park a session).
func Classify(err error, maxWait time.Duration) (Class, time.Duration) {
	for _, c := range classes {
		if !errors.Is(err, c.err) {
			continue
		}
		if c.class != Wait {
			return c.class, 0
		}
		var sw ServerWaiter
		if c.err == ErrRateLimited && errors.As(err, &sw) && sw.ServerWait() > 0 {
			return Wait, min(sw.ServerWait(), maxWait)
		}
		return Wait, maxWait
	}
	return Retry, 0
}
