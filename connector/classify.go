package connector

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/confwatch/confwatch/token"
)

// Class is what the session does about a failure. Classify decides it, in
// one place, for every failure a session meets.
type Class int

const (
	// ClassRetry: redial after the backoff delay with a fresh ws token.
	ClassRetry Class = iota
	// ClassReauth: drop the control token, log in again, then retry. The
	// same authentication failure twice in a row after a fresh login stops
	// the session with ErrCredentialsRejected.
	ClassReauth
	// ClassWait: retry, but not before Failure.Wait (rate limited: at least
	// Retry-After; meeting not started or login locked: the maximum backoff
	// interval).
	ClassWait
	// ClassStop: do not retry (meeting ended, bad configuration, renewal
	// impossible).
	ClassStop
)

func (c Class) String() string {
	switch c {
	case ClassRetry:
		return "retry"
	case ClassReauth:
		return "reauth"
	case ClassWait:
		return "wait"
	case ClassStop:
		return "stop"
	}
	return fmt.Sprintf("class(%d)", int(c))
}

// Stage names the step of an attempt that failed.
type Stage string

// Attempt stages.
const (
	StageControl   Stage = "control token"
	StageWSToken   Stage = "ws token"
	StageDial      Stage = "dial"
	StageSubscribe Stage = "subscribe"
	StageLive      Stage = "live"
)

// Sentinel errors returned by Session.Run. Test them with errors.Is.
var (
	// ErrMeetingEnded: the meeting ended (a Destroyed status push, or the
	// token service answered "ended"). Run returns it wrapped; it is the
	// normal end of a session.
	ErrMeetingEnded = errors.New("connector: meeting ended")
	// ErrCredentialsRejected: the password or control token was refused
	// again right after a fresh login; retrying would only lock the login.
	ErrCredentialsRejected = errors.New("connector: credentials rejected")
	// ErrOutage: no link could be subscribed within Backoff.MaxOutage.
	ErrOutage = errors.New("connector: outage exceeded Backoff.MaxOutage")
	// ErrNotSubscribed: a frame was to be sent while no link was subscribed.
	ErrNotSubscribed = errors.New("connector: not subscribed")

	// ErrSubscribeRejected: the server answered Subscribe with a non-zero
	// returnCode (see *SubscribeError).
	ErrSubscribeRejected = errors.New("connector: subscribe rejected")
	// ErrHandshake: the WebSocket upgrade was refused (see *HandshakeError).
	ErrHandshake = errors.New("connector: websocket handshake refused")
	// ErrDeadLink: nothing arrived within ReadTimeout, or heartbeats went
	// unanswered.
	ErrDeadLink = errors.New("connector: dead link")
	// ErrFrameTooLarge: a frame exceeded ReadLimit.
	ErrFrameTooLarge = errors.New("connector: frame exceeds read limit")
)

// HandshakeError is a refused WebSocket upgrade.
type HandshakeError struct {
	Status     int           // HTTP status of the refusal, 0 if none was read
	RetryAfter time.Duration // from a Retry-After header, if any
	Err        error
}

func (e *HandshakeError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("connector: websocket handshake refused: http %d", e.Status)
	}
	return fmt.Sprintf("connector: websocket handshake failed: %v", e.Err)
}

// Is makes errors.Is(err, ErrHandshake) true.
func (e *HandshakeError) Is(target error) bool { return target == ErrHandshake }

// Unwrap returns the underlying error.
func (e *HandshakeError) Unwrap() error { return e.Err }

// SubscribeError is a Subscribe reply with a non-zero returnCode.
type SubscribeError struct {
	Code int
	Desc string
}

func (e *SubscribeError) Error() string {
	return fmt.Sprintf("connector: subscribe rejected: returnCode %d (%s)", e.Code, e.Desc)
}

// Is makes errors.Is(err, ErrSubscribeRejected) true.
func (e *SubscribeError) Is(target error) bool { return target == ErrSubscribeRejected }

// Failure is a classified failure of one attempt or link.
type Failure struct {
	Stage Stage
	Class Class
	// Wait is the least delay before the next attempt (ClassWait), or 0.
	Wait time.Duration
	Err  error
}

func (f *Failure) Error() string { return fmt.Sprintf("%s: %v", f.Stage, f.Err) }

// Unwrap returns the underlying error.
func (f *Failure) Unwrap() error { return f.Err }

// Classify decides what a session does about err, which happened at stage.
// maxWait is the longest backoff interval, used for waits of unknown
// length.
func Classify(stage Stage, err error, maxWait time.Duration) *Failure {
	f := &Failure{Stage: stage, Class: ClassRetry, Err: err}
	var api *token.APIError
	var hs *HandshakeError
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, ErrMeetingEnded),
		errors.Is(err, token.ErrMeetingEnded), errors.Is(err, token.ErrCannotRenew):
		f.Class = ClassStop
	case errors.Is(err, token.ErrRateLimited):
		f.Class, f.Wait = ClassWait, maxWait
		if errors.As(err, &api) && api.RetryAfter > 0 {
			f.Wait = api.RetryAfter
		}
	case errors.Is(err, token.ErrNotStarted), errors.Is(err, token.ErrLoginLocked):
		f.Class, f.Wait = ClassWait, maxWait
	case errors.Is(err, token.ErrUnauthorized), errors.Is(err, ErrSubscribeRejected):
		f.Class = ClassReauth
	case errors.As(err, &api) && api.Status >= 400 && api.Status < 500 && permanent[api.Code]:
		f.Class = ClassStop
	case errors.As(err, &hs):
		switch {
		case hs.Status == http.StatusTooManyRequests:
			f.Class, f.Wait = ClassWait, max(hs.RetryAfter, time.Second)
		case hs.Status == http.StatusUnauthorized || hs.Status == http.StatusForbidden:
			// The ws token was refused: a fresh one is fetched anyway, and
			// the session escalates to re-authentication when this repeats.
			f.Class = ClassRetry
		}
	}
	return f
}

// permanent lists vendor codes that retrying cannot fix.
var permanent = map[string]bool{
	"MMC.111070001": true, // bad request
	"MMC.111070002": true, // insufficient permission
	"MMC.111070111": true, // request token empty
}
