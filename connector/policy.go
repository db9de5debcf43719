package connector

import (
	"errors"
	"fmt"
	"time"

	"github.com/confwatch/confwatch/internal/failure"
	"github.com/confwatch/confwatch/token"
)

// history is what the retry decision remembers between attempts.
type history struct {
	// authFails counts Reauth failures in a row: the second one, which
	// follows a fresh login, means the credentials are wrong.
	authFails int
	// refusals counts refused ws tokens in a row (upgrade 401/403, a 1008
	// close, any Subscribe-stage failure that is not a returnCode): the
	// second one makes the control token behind them suspect.
	refusals int
	// outageStart is when the session last had a subscribed link (or
	// started); MaxOutage is measured from it.
	outageStart time.Time
}

// verdict is what the supervisor does after a failure: stop with stop, or
// wait delay (after dropping the control token when invalidate) and try
// again.
type verdict struct {
	stop       error
	delay      time.Duration
	invalidate bool
}

// decide is the retry policy: a pure function of the failure, what came
// before it, the time, the backoff's next delay and MaxOutage (0 = none).
// It returns the verdict and the history to keep.
func decide(f *Failure, h history, now time.Time, backoffDelay, maxOutage time.Duration) (verdict, history) {
	var v verdict
	switch f.Class {
	case ClassStop:
		return verdict{stop: stopError(f)}, h
	case ClassReauth:
		if h.authFails++; h.authFails >= 2 {
			return verdict{stop: fmt.Errorf("%w: %w", ErrCredentialsRejected, f)}, h
		}
		v.invalidate = true
	default:
		h.authFails = 0
	}
	if errors.Is(f, failure.ErrWSTokenRefused) || (f.Stage == StageSubscribe && !errors.Is(f, ErrSubscribeRejected)) {
		if h.refusals++; h.refusals >= 2 {
			v.invalidate, h.refusals = true, 0
		}
	}
	v.delay = max(backoffDelay, f.Wait)
	if maxOutage > 0 && now.Add(v.delay).Sub(h.outageStart) > maxOutage {
		return verdict{stop: fmt.Errorf("%w: %w", ErrOutage, f)}, h
	}
	return v, h
}

// stopError is what Run returns for a failure classified Stop.
func stopError(f *Failure) error {
	switch {
	case errors.Is(f, ErrMeetingEnded):
		return fmt.Errorf("connector: %w", f)
	case errors.Is(f, token.ErrCannotRenew):
		return fmt.Errorf("%w: %w", ErrCredentialsRejected, f)
	}
	return fmt.Errorf("connector: stopping: %w", f)
}
