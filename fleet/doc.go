// Package fleet watches many meetings from many processes, each meeting
// from exactly one of them, on NATS JetStream.
//
// Happy path:
//
//	nc, _ := nats.Connect(url, nats.ReconnectBufSize(-1), nats.MaxReconnects(-1))
//	api, _ := token.New(token.Config{})
//	w, _ := fleet.New(fleet.Config{Conn: nc, API: api})
//	err := w.Run(ctx) // until ctx is done; the leases are released on the way out
//
// and, from anywhere, fleet.Apply(ctx, js, meetings) sets the meetings to
// watch (ParseMeetings reads them from a file).
//
// # What the fleet shares
//
// BucketDesired maps conference ID → Meeting: the push types and a
// reference to the credential (a password file, an environment variable,
// a control-token file), never a secret. Every worker watches it; a
// meeting added or removed starts or stops its session at once.
//
// BucketLeases holds one lease per meeting, BucketWorkers one heartbeat
// per live worker; both buckets have Config.Lease as their TTL and leave
// a marker when a key expires, so watchers learn of an expiry at once.
// BucketState holds each meeting's last meeting.Snapshot as JSON, and
// StreamEvents every record `confwatch tail` would print (package
// internal/record, byte for byte), on confwatch.<conference>.push.<action>,
// confwatch.<conference>.status and confwatch.<conference>.change.<kind>,
// with a Nats-Msg-Id for de-duplication and the publishing worker in the
// Confwatch-Worker header. When a session ends because the meeting ended,
// its worker publishes the status record "ended" that tail prints last,
// so that readers of the stream (package feed) stop there as tail does.
//
// # Ownership
//
// A worker claims a meeting by creating its lease (create-if-absent), and
// renews it every Lease/3 with compare-and-swap on the revision. The
// server stamps a write when it arrives and expires it Lease later, so a
// renewal sent at t keeps the lease until at least t + Lease. A worker
// that has not had a renewal acknowledged for 2/3 Lease (counted from the
// send) stops that session — close frame, socket closed — before anyone
// else can claim the meeting; a failed compare-and-swap on the lease or
// on the state key means another worker holds it, and stops the session
// at once. So there is never more than one live socket per meeting.
//
// Which worker claims is decided by rendezvous hashing over the live
// workers (those with a heartbeat), the highest weight first; the next in
// rank claims after a short delay if the first did not, and a meeting's
// last owner is left out when its lease expired. A worker that joins
// receives its share by handover (one meeting at a time, once it has
// been live for a heartbeat period); a worker that dies moves only its
// own meetings. Config.MaxSessions caps a worker. Run's return (SIGTERM
// in the CLI) deletes the heartbeat, stops every session and releases
// every lease at once.
//
// A worker follows the buckets through KV watchers. A server restart
// forgets the consumers behind them, so after a reconnect, and whenever
// its own heartbeat stops coming back through BucketWorkers, a worker
// watches every bucket afresh; while NATS does not answer it hands
// nothing over (the release could not land).
//
// A new owner seeds its meeting.State with the last stored Snapshot
// (meeting.NewFromSnapshot): what changed during the failover is
// published as changes marked inferred, as within one process after a
// reconnect.
//
// # Concurrency
//
// A Worker has one placement goroutine, one heartbeat goroutine, and per
// meeting one holder goroutine (lease, state writes) plus the session's
// own. Run joins them all before it returns. Worker's other methods are
// safe for concurrent use.
//
// # Left to the caller
//
// The NATS connection (its credentials and TLS), and the meeting API
// client. Records that cannot be published while NATS is unreachable are
// counted (Stats.PublishErrors) and dropped, not spooled.
package fleet
