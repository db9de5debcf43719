package main

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/events"
	fleetfeed "github.com/confwatch/confwatch/fleet/feed" // the name feed is this package's session handler
)

// natsFleet reads a fleet from its JetStream buckets and stream (package
// feed). It holds no meeting credentials: everything it reads the fleet's
// workers published, and they publish no secret.
type natsFleet struct {
	js  jetstream.JetStream
	log *slog.Logger
}

func (n natsFleet) Meetings(ctx context.Context) ([]meetingRow, error) {
	list, err := fleetfeed.Meetings(ctx, n.js)
	if err != nil {
		return nil, err
	}
	rows := make([]meetingRow, 0, len(list))
	for _, s := range list {
		rows = append(rows, meetingRow{Conference: s.Conference, Title: s.Title, State: s.State,
			Participants: s.Participants, Owner: s.Owner, LastEvent: s.LastEvent})
	}
	return rows, nil
}

// Watch feeds to from two readers until ctx is done: the picture and the
// owner from the stored state (feed.WatchState), which is the owner's own
// meeting.State, and the changes from the stream (a feed.Feed's
// OnChange), which are the owner's too, including those it inferred after
// taking the meeting over. The page so shows what every other consumer of
// the fleet sees, and the dashboard keeps no meeting.State of its own
// that could infer something else. A reader that fails (NATS gone too
// long, the meeting not in the fleet yet) is started again after
// retryAfter; once the meeting ended the page keeps its final picture.
func (n natsFleet) Watch(ctx context.Context, conference string, to *fleetSource) {
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		n.keepRunning(ctx, "reading the meeting's changes", conference, func(ctx context.Context) error {
			f, err := fleetfeed.New(fleetfeed.Config{JetStream: n.js, Conference: conference, Logger: n.log, OnChange: to.addChange})
			if err != nil {
				return err
			}
			// The handler has nothing to do: the picture comes from the
			// stored state, which the owner writes after every push.
			return f.Run(ctx, events.HandlerFunc(func(context.Context, events.Event) {}))
		})
	})
	n.keepRunning(ctx, "watching the meeting's stored state", conference, func(ctx context.Context) error {
		return fleetfeed.WatchState(ctx, n.js, conference, func(s fleetfeed.Snapshot) {
			to.setState(s.Snapshot)
			to.setOwner(s.Owner)
		})
	})
}

// retryAfter is the wait before a failed reader starts again.
const retryAfter = 2 * time.Second

// keepRunning runs fn again after each failure until ctx is done or the
// meeting ended.
func (n natsFleet) keepRunning(ctx context.Context, what, conference string, fn func(context.Context) error) {
	for {
		err := fn(ctx)
		if ctx.Err() != nil || errors.Is(err, connector.ErrMeetingEnded) {
			return
		}
		n.log.Warn("dashboard: "+what+" stopped; trying again", "conference", conference, "in", retryAfter, "err", err)
		t := time.NewTimer(retryAfter)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}
