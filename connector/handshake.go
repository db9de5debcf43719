package connector

import (
	"context"
	"errors"
	"net"
	"sync"
)

// MaxHandshakeBytes caps what the server may send before the upgrade
// completes (status line and headers): gorilla reads the 101 response
// without a limit, so a hostile server could otherwise hand us 512 MiB of
// headers.
const MaxHandshakeBytes = 64 << 10

var errHandshakeTooLarge = errors.New("connector: the upgrade response exceeds 64 KiB")

// handshakeConn is the TCP connection during the upgrade: it counts the
// bytes the server sends until the upgrade is done, and is closed when
// the dial's context ends (cancel, or HandshakeTimeout), whatever the
// server trickles meanwhile. gorilla honours the context only for the TCP
// connect; this makes it bound the TLS handshake and the upgrade too.
type handshakeConn struct {
	net.Conn
	budget int  // bytes left before the upgrade is refused
	done   bool // set once the upgrade returned; only the dialing goroutine reads before that
	stop   func() bool
}

func (c *handshakeConn) Read(p []byte) (int, error) {
	if c.done {
		return c.Conn.Read(p)
	}
	if c.budget <= 0 {
		return 0, errHandshakeTooLarge
	}
	if len(p) > c.budget {
		p = p[:c.budget]
	}
	n, err := c.Conn.Read(p)
	c.budget -= n
	return n, err
}

// finish ends the guard after the upgrade. It reports false when the
// context closed the connection first.
func (c *handshakeConn) finish() bool {
	c.done = true
	if c.stop == nil {
		return true // finished before
	}
	ok := c.stop()
	// The wrapper lives as long as the socket: let go of the dial's
	// context and its timer now (BENCHMARKS.md, memory).
	c.stop = nil
	return ok
}

// guardedDialer returns a NetDialContext for gorilla that wraps the
// connection in a handshakeConn tied to ctx (the dial's own context, not
// the one gorilla derives and cancels on return), and a function that
// returns that connection once dialled.
func guardedDialer(ctx context.Context, dial func(ctx context.Context, network, addr string) (net.Conn, error), budget int) (func(context.Context, string, string) (net.Conn, error), func() *handshakeConn) {
	var mu sync.Mutex
	var got *handshakeConn
	nd := func(dctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(dctx, network, addr)
		if err != nil {
			return nil, err
		}
		hc := &handshakeConn{Conn: conn, budget: budget}
		hc.stop = context.AfterFunc(ctx, func() { conn.Close() })
		mu.Lock()
		got = hc
		mu.Unlock()
		return hc, nil
	}
	return nd, func() *handshakeConn {
		mu.Lock()
		defer mu.Unlock()
		return got
	}
}
