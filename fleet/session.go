package fleet

import (
	"context"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/events"
)

// newSession is the one place the fleet builds a connector session. It
// returns the session (for Resync) and the function that runs it with h
// until ctx is done or the session stops by itself.
func newSession(cfg connector.Config, h events.Handler) (*connector.Session, func(context.Context) error, error) {
	s, err := connector.New(cfg)
	if err != nil {
		return nil, nil, err
	}
	return s, func(ctx context.Context) error { return s.Run(ctx, h) }, nil
}
