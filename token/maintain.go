package token

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/confwatch/confwatch/clock"
)

// Retry timing of Maintain. The refresh happens 5 minutes before expiry
// by default, so retries must be short enough to land several attempts
// in that window.
const (
	maintainRetryMin = 1 * time.Second
	maintainRetryMax = 30 * time.Second
	// loginLockedWait is the least wait after ErrLoginLocked: the lock's
	// length is not documented, and hammering a locked login prolongs it.
	loginLockedWait = 5 * time.Minute
	// minMaintainWait keeps a token with an absurdly short lifetime from
	// turning Maintain into a busy loop.
	minMaintainWait = 1 * time.Second
)

// Maintain keeps the control token alive until ctx is done: it obtains a
// token (Control), sleeps on the Client's clock until the token's refresh
// time, and repeats. Failures are logged and retried with an exponential
// backoff from 1 s to 30 s (at least Retry-After when rate limited, at
// least 5 min when the login is locked).
//
// Maintain returns nil when ctx is done, and an error wrapping the cause
// when no retry can help: ErrMeetingEnded, ErrCannotRenew, or
// ErrUnauthorized (the password itself was refused). It starts no
// goroutine; run it in one of yours, at most one per Provider.
func (p *Provider) Maintain(ctx context.Context) error {
	bo := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(maintainRetryMin),
		backoff.WithMaxInterval(maintainRetryMax),
		backoff.WithMaxElapsedTime(0), // never give up: the meeting decides when to stop
		backoff.WithClockProvider(p.c.clock),
	)
	for {
		ctl, err := p.get(ctx, true)
		var wait time.Duration
		switch {
		case ctx.Err() != nil:
			return nil
		case err == nil:
			bo.Reset()
			next := ctl.refreshAt(p.fraction)
			wait = next.Sub(p.c.clock.Now())
			p.c.log.LogAttrs(ctx, slog.LevelDebug, "token: control token valid",
				slog.String("conference", p.id), slog.Time("expires_at", ctl.ExpiresAt), slog.Time("refresh_at", next))
		case permanent(err):
			return fmt.Errorf("token: maintain: %w", err)
		default:
			wait = bo.NextBackOff()
			var api *APIError
			if errors.As(err, &api) {
				wait = max(wait, api.RetryAfter)
			}
			if errors.Is(err, ErrLoginLocked) {
				wait = max(wait, loginLockedWait)
			}
			p.c.log.LogAttrs(ctx, slog.LevelWarn, "token: keeping the control token alive failed; retrying",
				slog.String("conference", p.id), slog.Duration("retry_in", wait), slog.Any("error", err))
		}
		if clock.Sleep(ctx, p.c.clock, max(wait, minMaintainWait)) != nil {
			return nil
		}
	}
}

// permanent reports errors after which Maintain stops.
func permanent(err error) bool {
	return errors.Is(err, ErrMeetingEnded) || errors.Is(err, ErrCannotRenew) || errors.Is(err, ErrUnauthorized)
}
