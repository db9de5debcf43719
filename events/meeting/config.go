package meeting

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/confwatch/confwatch/clock"
)

// Defaults used for zero Config fields.
const (
	// DefaultMinResyncInterval is the least time between two Resync calls.
	DefaultMinResyncInterval = 5 * time.Second
	// DefaultInviteResults is how many invite results a Snapshot keeps.
	DefaultInviteResults = 50
)

// dedupeWindow is how many recent msgIDs are remembered to drop repeated
// pushes. The server repeats a push, if ever, right after the original;
// 1,024 covers several seconds of a busy 3,000-person meeting.
const dedupeWindow = 1024

// Config configures a State. The zero value is usable: no resync requests,
// no change callbacks, the wall clock and no logging.
type Config struct {
	// Resync is called when the state can no longer be trusted and needs
	// fresh full snapshots: a delta arrived with a version gap, so at least
	// one delta was lost. Pass the connector's Session.Resync. It is called
	// on the event goroutine and must not block. It reports whether the
	// request was taken; a refused request counts as suppressed and does
	// not start MinResyncInterval, so the next gap asks again. Nil: gaps
	// are only counted.
	Resync func(reason string) bool
	// MinResyncInterval rate-limits Resync: a gap within this interval of
	// the previous request taken is counted (Stats.ResyncsSuppressed) but
	// does not call Resync again. Zero means DefaultMinResyncInterval; it
	// must not be negative.
	MinResyncInterval time.Duration
	// OnChange is called for each semantic change, synchronously, in
	// order, on the event goroutine, after the snapshot that contains the
	// change has been published. Nil: changes are only reflected in
	// snapshots.
	OnChange func(Change)
	// InviteResults is how many of the latest invite results a Snapshot
	// keeps. Zero means DefaultInviteResults; it must not be negative.
	InviteResults int
	// Clock dates changes of pushes that carry no createTime and times the
	// resync rate limit. Nil means the wall clock.
	Clock clock.Clock
	// Logger receives debug notes about dropped pushes and warnings about
	// gaps. Nil means silent.
	Logger *slog.Logger
}

// Validate reports every problem with c.
func (c Config) Validate() error {
	var errs []error
	if c.MinResyncInterval < 0 {
		errs = append(errs, fmt.Errorf("meeting: config: MinResyncInterval %v is negative", c.MinResyncInterval))
	}
	if c.InviteResults < 0 {
		errs = append(errs, fmt.Errorf("meeting: config: InviteResults %d is negative", c.InviteResults))
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.MinResyncInterval == 0 {
		c.MinResyncInterval = DefaultMinResyncInterval
	}
	if c.InviteResults == 0 {
		c.InviteResults = DefaultInviteResults
	}
	c.Clock = clock.OrReal(c.Clock)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}
