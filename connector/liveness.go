package connector

import (
	"context"
	"net"
	"sync/atomic"
	"time"

	"github.com/confwatch/confwatch/clock"
)

// liveConn is the socket's TCP connection, watched for progress: every
// read that returns bytes counts as a sign of life. Counting bytes rather
// than whole frames matters on slow links, where one large snapshot can
// take longer than ReadTimeout to arrive and no frame (not even a
// heartbeat echo, queued behind it) completes meanwhile.
//
// Read is called only by the socket's reader goroutine (through gorilla
// and, for wss, crypto/tls), so deadlineSet needs no lock.
type liveConn struct {
	net.Conn
	last        *atomic.Int64 // clock time of the last bytes, unix ns
	clk         clock.Clock
	timeout     time.Duration // ReadTimeout; 0 = do not manage the deadline
	deadlineSet time.Time
}

func (c *liveConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		now := c.clk.Now()
		c.last.Store(now.UnixNano())
		// The socket's own deadline is a backstop for real time (the
		// watchdog on the injected clock is the authority); moving it at
		// most every timeout/8 keeps it off the per-read path.
		if c.timeout > 0 && now.Sub(c.deadlineSet) > c.timeout/8 {
			c.deadlineSet = now
			c.Conn.SetReadDeadline(now.Add(c.timeout))
		}
	}
	return n, err
}

// liveDialer wraps dial so that the connection it returns reports progress
// to last.
func (s *Session) liveDialer(last *atomic.Int64) func(ctx context.Context, network, addr string) (net.Conn, error) {
	dial := s.cfg.NetDialContext
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	var timeout time.Duration
	if s.realTime {
		timeout = s.cfg.ReadTimeout
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &liveConn{Conn: conn, last: last, clk: s.cfg.Clock, timeout: timeout}, nil
	}
}
