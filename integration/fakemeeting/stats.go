package fakemeeting

import (
	"context"
	"sync/atomic"
	"time"
)

type counters struct {
	TokensIssued, TokenReuse, Logins, KeepAlives, WSTokenRequests        atomic.Int64
	Upgrades, UpgradesRefused, LiveSockets, Subscribes, SubscribesFailed atomic.Int64
	HeartBeats, FramesPushed, IdleCloses, Drops, QueueOverflows          atomic.Int64
	WSTokenPuts, WSTokenMethodRefused                                    atomic.Int64

	// PeakSockets is the high-water mark of LiveSockets.
	PeakSockets atomic.Int64
}

// socketOpened counts an accepted socket and raises the high-water mark.
func (c *counters) socketOpened() {
	n := c.LiveSockets.Add(1)
	for {
		p := c.PeakSockets.Load()
		if n <= p || c.PeakSockets.CompareAndSwap(p, n) {
			return
		}
	}
}

// socketClosed counts a socket the server closed or saw closed.
func (c *counters) socketClosed() { c.LiveSockets.Add(-1) }

// SocketCount is one meeting's WebSocket count. A socket counts from its
// accepted upgrade (refused ones never count) until the server closes it
// or sees the client close it; while the server is stalled (Faults.Stall)
// it reads nothing, so a client's close is seen only when it resumes.
type SocketCount struct {
	// Live is the number of the meeting's sockets open now.
	Live int64
	// Peak is the most sockets the meeting has had open at once since New.
	// A client (or a fleet of them) that keeps exactly one socket per
	// meeting keeps it at 1 through reconnects and failovers.
	Peak int64
}

// Stats are the fake's counters. All are totals since New except
// LiveSockets, Subscribed and Sockets, which are current values.
type Stats struct {
	// TokensIssued counts webSocketTokens handed out.
	TokensIssued int64
	// TokenReuse counts upgrade attempts presenting an already-used token.
	TokenReuse int64
	// Logins counts control tokens minted from the password.
	Logins int64
	// KeepAlives counts control-token keep-alives (same token extended).
	KeepAlives int64
	// WSTokenRequests counts wsToken requests, refused ones included.
	WSTokenRequests int64
	// WSTokenPuts counts the wsToken requests made with PUT (and accepted
	// as a method; Config.WSTokenMethods).
	WSTokenPuts int64
	// WSTokenMethodRefused counts wsToken requests answered 405 because
	// Config.WSTokenMethods does not list their method.
	WSTokenMethodRefused int64
	// Upgrades counts WebSocket upgrade attempts (requests on the WS path).
	Upgrades int64
	// UpgradesRefused counts the attempts refused (by status or by
	// close-after-accept).
	UpgradesRefused int64
	// LiveSockets is the number of open sockets (counted as SocketCount.Live).
	LiveSockets int64
	// Subscribed is the number of open sockets with a successful Subscribe.
	Subscribed int64
	// Subscribes counts Subscribe frames received.
	Subscribes int64
	// SubscribesFailed counts Subscribes answered with a non-zero code.
	SubscribesFailed int64
	// HeartBeats counts HeartBeat frames received (and echoed).
	HeartBeats int64
	// FramesPushed counts data frames written to sockets: pushes, Subscribe
	// replies, HeartBeat echoes and injected frames.
	FramesPushed int64
	// IdleCloses counts sockets closed for lack of a HeartBeat.
	IdleCloses int64
	// Drops counts sockets closed by DropAll.
	Drops int64
	// QueueOverflows counts sockets dropped because their send queue was
	// full.
	QueueOverflows int64
	// Sockets maps a conference ID to its live sockets and their
	// high-water mark. The fake serves one meeting, so it holds one entry,
	// Config.ConferenceID, present from New.
	Sockets map[string]SocketCount
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	sub := int64(s.nSubbed)
	s.mu.Unlock()
	live := s.st.LiveSockets.Load()
	return Stats{
		TokensIssued: s.st.TokensIssued.Load(), TokenReuse: s.st.TokenReuse.Load(),
		Logins: s.st.Logins.Load(), KeepAlives: s.st.KeepAlives.Load(),
		WSTokenRequests: s.st.WSTokenRequests.Load(), Upgrades: s.st.Upgrades.Load(),
		WSTokenPuts: s.st.WSTokenPuts.Load(), WSTokenMethodRefused: s.st.WSTokenMethodRefused.Load(),
		UpgradesRefused: s.st.UpgradesRefused.Load(), LiveSockets: live,
		Subscribed: sub, Subscribes: s.st.Subscribes.Load(), SubscribesFailed: s.st.SubscribesFailed.Load(),
		HeartBeats: s.st.HeartBeats.Load(), FramesPushed: s.st.FramesPushed.Load(),
		IdleCloses: s.st.IdleCloses.Load(), Drops: s.st.Drops.Load(), QueueOverflows: s.st.QueueOverflows.Load(),
		Sockets: map[string]SocketCount{
			s.cfg.ConferenceID: {Live: live, Peak: max(live, s.st.PeakSockets.Load())},
		},
	}
}

// WaitFor polls (every millisecond, real time) until cond(Stats()) holds
// or ctx is done.
func (s *Server) WaitFor(ctx context.Context, cond func(Stats) bool) error {
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	for {
		if cond(s.Stats()) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// WaitSubscribed waits until at least n open sockets are subscribed. When
// it returns, their snapshot bursts are queued, so a script call made
// afterwards reaches them after their snapshots.
func (s *Server) WaitSubscribed(ctx context.Context, n int) error {
	return s.WaitFor(ctx, func(st Stats) bool { return st.Subscribed >= int64(n) })
}

// WaitLive waits until exactly n sockets are open (e.g. 0 after End).
func (s *Server) WaitLive(ctx context.Context, n int) error {
	return s.WaitFor(ctx, func(st Stats) bool { return st.LiveSockets == int64(n) })
}
