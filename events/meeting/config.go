package meeting

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/confwatch/confwatch/clock"
)

// Defaults used for zero Config fields.
const (
	// DefaultInviteResults is how many invite results a Snapshot keeps.
	DefaultInviteResults = 50
	// DefaultCaptions is how many final caption sentences a Snapshot
	// keeps per participant.
	DefaultCaptions = 5
	// MaxCaptions is the most Config.Captions may ask for.
	MaxCaptions = 100
	// MaxCaptionSpeakers is how many participants' captions a Snapshot
	// keeps; beyond it, the participant whose last sentence is the oldest
	// is forgotten. It bounds a long meeting with many speakers.
	MaxCaptionSpeakers = 256
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
	// on the event goroutine for every gap and must not block. It reports
	// whether the request was taken; the session rate-limits requests
	// (connector.Config.MinResyncInterval, the one limit), and a refused
	// one counts as suppressed. Nil: gaps are only counted.
	Resync func(reason string) bool
	// OnChange is called for each semantic change, synchronously, in
	// order, on the event goroutine, after the snapshot that contains the
	// change has been published. Nil: changes are only reflected in
	// snapshots.
	OnChange func(Change)
	// InviteResults is how many of the latest invite results a Snapshot
	// keeps. Zero means DefaultInviteResults; it must not be negative.
	InviteResults int
	// Captions is how many of each participant's latest final caption
	// sentences a Snapshot keeps. Zero means DefaultCaptions; it must be
	// neither negative nor above MaxCaptions.
	Captions int
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
	if c.InviteResults < 0 {
		errs = append(errs, fmt.Errorf("meeting: config: InviteResults %d is negative", c.InviteResults))
	}
	if c.Captions < 0 || c.Captions > MaxCaptions {
		errs = append(errs, fmt.Errorf("meeting: config: Captions %d is outside 0…%d", c.Captions, MaxCaptions))
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.InviteResults == 0 {
		c.InviteResults = DefaultInviteResults
	}
	if c.Captions == 0 {
		c.Captions = DefaultCaptions
	}
	c.Clock = clock.OrReal(c.Clock)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}
