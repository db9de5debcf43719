// Package meeting keeps a live model of one Huawei Cloud Meeting — its
// status, roster, active speakers, attendees, waiting room, invite results,
// media quality, live captions and interpretation groups — built from the
// meeting-control push stream, and reports what changed as semantic events
// (a hand went up, someone left, the meeting was locked, captions started).
//
// The model stays true across reconnects. Full snapshots replace a type's
// state and deltas are merged into it; stale, repeated and reordered deltas
// are dropped by version and msgID; a skipped delta version means a delta
// was lost, so the State asks the session for fresh snapshots. After a
// reconnect the fresh snapshot of each type is compared with what was held
// before the outage, and the differences are reported as changes marked
// Inferred: they happened while nobody was listening.
//
// Happy path:
//
//	st := meeting.New(meeting.Config{
//		Resync:   sess.Resync,
//		OnChange: func(c meeting.Change) { log.Print(c) },
//	})
//	mux.HandleAll(st, events.HandlerOptions{}) // or any ordered event source
//	snap := st.Snapshot()                      // from any goroutine, any time
//
// # Versions and gaps
//
// A full snapshot's version is a millisecond timestamp and a delta's is a
// per-type counter; the two are never compared. After a full snapshot the
// next delta of that type is accepted whatever its version and becomes the
// baseline; after that, a delta whose version is not above the last one is
// dropped (Stats.Duplicate when equal, Stats.Stale when lower), and one
// that skips versions is applied — it is newer than anything held — but
// counted in Stats.Gaps and followed by a Config.Resync call, which the
// session rate-limits (connector.Config.MinResyncInterval). Gaps matter only for types built from
// deltas (participants, attendees, waiting room, net conditions);
// ConfDynamicInfoNotify, SpeakerChangeNotify and InterpreterGroupNotify
// carry their whole state in every push, whatever msgMode says, and are
// replaced. Captions and invite results are logs: a lost push is not worth
// a reconnect.
//
// # Captions
//
// Snapshot.Captions keeps each participant's last Config.Captions final
// sentences (partial ones are superseded by the final text), for at most
// MaxCaptionSpeakers participants. A sentence the server repeats (the
// last caption comes again as the snapshot after a Subscribe) replaces
// the logged one rather than being logged twice.
//
// # Changes
//
// Changes come from state transitions only: a push that restates what is
// known produces none. The first snapshot of each type is the initial
// picture and produces none, and neither do deltas that arrive before
// their type's first snapshot. After Resubscribed, each type that had a
// snapshot waits for its fresh one (Snapshot.Resyncing); that snapshot is
// diffed against the picture before the outage and the changes are marked
// Inferred. The changes of one push are ordered meeting-wide first, then
// by PID, then by kind.
//
// # Concurrency
//
// HandleEvent must be called from one goroutine at a time, in stream
// order; Resync and OnChange run on that goroutine, synchronously.
// Snapshot and Stats may be called from any goroutine: every event
// publishes a new immutable view through an atomic pointer, sharing
// whatever the event did not change, and the Snapshot of a view is built
// once, on first demand. The package starts no goroutines.
//
// # Left to the caller
//
// The State does not reconnect (Config.Resync asks the session to), does
// not persist anything, and does not model the actions package events
// does not know (counted in Stats.Ignored). Types the server never
// snapshots keep their pre-outage state until deltas refresh it, and
// invite results are a log: a server that repeats them after a reconnect
// repeats them in the log.
package meeting
