package connector

import (
	"errors"
	"fmt"
	"time"

	"github.com/gorilla/websocket"

	"github.com/confwatch/confwatch/internal/failure"
	"github.com/confwatch/confwatch/token"
)

// Class is what the session does about a failure. The one failure table
// (shared with token and control) decides it for every failure a session
// meets; Failure.Class carries it, and the Disconnected event its name.
type Class = failure.Class

const (
	// ClassRetry: redial after the backoff delay with a fresh ws token.
	ClassRetry = failure.Retry
	// ClassReauth: drop the control token, log in again, then retry. The
	// same authentication failure twice in a row after a fresh login stops
	// the session with ErrCredentialsRejected.
	ClassReauth = failure.Reauth
	// ClassWait: retry, but not before Failure.Wait (rate limited: at least
	// Retry-After, capped at Backoff.Max; meeting not started or login
	// locked: Backoff.Max).
	ClassWait = failure.Wait
	// ClassStop: do not retry (meeting ended, bad credentials, bad
	// configuration, permission denied).
	ClassStop = failure.Stop
)

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
	// normal end of a session. It is token.ErrMeetingEnded: one value.
	ErrMeetingEnded = token.ErrMeetingEnded
	// ErrCredentialsRejected: the password or control token was refused
	// again right after a fresh login, or a caller-given control token
	// lapsed with no password to renew it (token.ErrCannotRenew is wrapped
	// too). Every stop for credentials wraps it; it is
	// token.ErrCredentialsRejected.
	ErrCredentialsRejected = token.ErrCredentialsRejected
	// ErrOutage: no link could be subscribed within Backoff.MaxOutage.
	ErrOutage = errors.New("connector: outage exceeded Backoff.MaxOutage")
	// ErrNotSubscribed: a frame was to be sent while no link was subscribed.
	ErrNotSubscribed = errors.New("connector: not subscribed")

	// ErrSubscribeRejected: the server answered Subscribe with a non-zero
	// returnCode (see *SubscribeError).
	ErrSubscribeRejected = failure.ErrSubscribeRejected
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
	if e.Status != 0 && e.Err != nil && e.Status == 101 {
		return fmt.Sprintf("connector: websocket handshake refused: %v", e.Err)
	}
	if e.Status != 0 {
		return fmt.Sprintf("connector: websocket handshake refused: http %d", e.Status)
	}
	return fmt.Sprintf("connector: websocket handshake failed: %v", e.Err)
}

// Is makes errors.Is(err, ErrHandshake) true, and matches the sentinels
// the failure table gives the status (e.g. token.ErrRateLimited for 429).
func (e *HandshakeError) Is(target error) bool {
	return target == ErrHandshake || failure.Match(failure.Handshake, e.Status, "", target)
}

// ServerWait is the wait a 429 asked for: Retry-After, at least a second,
// capped at token.MaxRetryAfter (and by the session at Backoff.Max).
func (e *HandshakeError) ServerWait() time.Duration {
	return max(min(e.RetryAfter, token.MaxRetryAfter), time.Second)
}

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
func (e *SubscribeError) Is(target error) bool {
	return failure.Match(failure.Subscribe, e.Code, "", target)
}

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

// classify decides what a session does about err, which happened at
// stage, from the one failure table. maxWait (Backoff.Max) is the wait for
// failures of unknown length and the cap of every wait the server chose.
func classify(stage Stage, err error, maxWait time.Duration) *Failure {
	var ce *websocket.CloseError
	if errors.As(err, &ce) && failure.Match(failure.Close, ce.Code, "", failure.ErrWSTokenRefused) {
		err = &refusedClose{err}
	}
	class, wait := failure.Classify(err, maxWait)
	return &Failure{Stage: stage, Class: class, Wait: wait, Err: err}
}

// refusedClose marks a close that the failure table reads as a refused ws
// token (1008 after an accepted upgrade).
type refusedClose struct{ err error }

func (e *refusedClose) Error() string        { return e.err.Error() }
func (e *refusedClose) Unwrap() error        { return e.err }
func (e *refusedClose) Is(target error) bool { return target == failure.ErrWSTokenRefused }
