// Package feed reads one meeting from a fleet's NATS JetStream stream as a
// live session would deliver it: the same events.Event values, in the
// same order, so that an events.Mux and a meeting.State written for a
// socket work unchanged on the stream. It needs no meeting credentials,
// only read access to the stream and the buckets (see the README for a
// read-only NATS user).
//
//	f, _ := feed.New(feed.Config{JetStream: js, Conference: "986112045"})
//	st, _ := f.NewState(ctx, meeting.Config{OnChange: onChange}) // seeded from the stored picture
//	mux := events.NewMux(...)
//	mux.HandleAll(st, events.HandlerOptions{})
//	err := f.Run(ctx, mux) // errors.Is(err, connector.ErrMeetingEnded) at the meeting's end
//
// WatchState gives the stored Snapshot and every new one instead, and
// Meetings lists what the fleet watches.
//
// # From record to event
//
// The stream holds the records `confwatch tail` prints (package
// internal/record; subjects in package fleet). A push record becomes an
// *events.Push: its payload decodes back into the payload type of its
// action (a table over the events.Action constants), Raw is the record's
// payload, not the frame, and secrets and join links read REDACTED. A
// status record becomes the lifecycle event it was made from: subscribed,
// disconnected (Err carries the reason; Class is not recorded) and
// resubscribed (BlindFrom is BlindTo less blindMs). Change records go to
// Config.OnChange. The record of the meeting's end, which the owning
// worker publishes when its session ends with the meeting, ends Run with
// connector.ErrMeetingEnded.
//
// # Failover
//
// A subscribed record after the stream has begun comes from a new owner's
// first session (after a failover or a handover) or from the owner's
// session started again. It reaches the handler as a Resubscribed, after
// a Disconnected when the old session published none, so that the State
// diffs the fresh snapshots that follow with what it held and reports the
// differences as inferred changes, as after a reconnect. The new owner's
// State does the same from the stored picture, so both report the same
// changes. A State fed by Run gets Feed.Resync, which counts and refuses:
// a reader cannot make the owner resubscribe.
//
// # Where Run starts
//
// Since > 0 replays the records of the last Since (by this machine's
// clock against the server's stamps), then goes on live; the handler then
// sees the meeting from wherever that window begins, so a State fed so is
// complete only if the window holds the owner's last subscribe.
//
// Since 0 starts from the meeting's stored Snapshot (Seed; NewState builds
// a meeting.State that continues from it with meeting.Continue), then
// delivers the records the Snapshot does not hold. The consistency rule:
// the owner applies each event to its State and then publishes its record,
// so the Snapshot it stores holds a prefix of the stream, ending at the
// last push it applied. That push is the newest record whose action, mode
// and version equal the Snapshot's Versions entry for that action. Run
// reads the stream from Config.Lookback before the Snapshot was stored,
// until it has caught up with the stream, and delivers only the records
// after the newest such push. A push the Snapshot holds lies at or before
// the entry of its action (the last push of that action the State
// applied), so at or before that newest one; a push after it is not held,
// or its action's entry would lie later. Lifecycle records after that push may be delivered again; they
// restate what the Snapshot says. meeting.Continue takes the Snapshot's
// versions as the baseline, so a push delivered twice would be dropped
// as stale or repeated rather than applied again. A meeting with no
// stored Snapshot is read from the stream's first record.
//
// # Ending
//
// Run returns at the end record (or, once caught up, when the stored
// picture it started from is of the meeting's end and the stream no longer
// holds the record), when ctx is done, and when the meeting
// is not, or no longer, in the fleet's desired set (ErrNotWatched) once
// every record the stream holds for it has been delivered: no owner will
// publish more, so waiting would hang a consumer for ever. A meeting
// applied again must be read with a new Run. While no worker has made the
// stream yet, Run waits for it if the meeting is desired.
//
// # Concurrency
//
// A Feed is Run once. The handler and OnChange are called from Run's
// goroutine, OnOwner from one of Run's own; Run joins them before it
// returns. Stats, Seed and Resync are safe for concurrent use.
package feed
