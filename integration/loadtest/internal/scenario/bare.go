package scenario

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/confwatch/confwatch/internal/wire"
	"github.com/confwatch/confwatch/secret"
	"github.com/confwatch/confwatch/token"
	"github.com/gorilla/websocket"
)

// bareDialer is what the baselines dial with: a plain gorilla dialer with
// the given buffer sizes and, like connector, a write buffer pool shared by
// all its sockets, so that a comparison shows what connector adds and not a
// difference in buffers.
func bareDialer(bufSize int) *websocket.Dialer {
	return &websocket.Dialer{
		HandshakeTimeout: 10 * time.Second,
		ReadBufferSize:   bufSize,
		WriteBufferSize:  bufSize,
		WriteBufferPool:  &sync.Pool{},
	}
}

// bareLogin gets the control token the baselines share: a bare client
// needs one, and its cost is not per socket.
func bareLogin(ctx context.Context, tc *token.Client, tgt target) (*token.Control, error) {
	ctl, err := tc.Login(ctx, tgt.confID, secret.New(tgt.password))
	if err != nil {
		return nil, fmt.Errorf("scenario: bare login: %w", err)
	}
	return ctl, nil
}

// dialBare opens one subscribed gorilla socket: fresh ws token, dial,
// Subscribe. It does not wait for the reply.
func dialBare(ctx context.Context, tc *token.Client, d *websocket.Dialer, tgt target, ctl *token.Control, types []string) (*websocket.Conn, error) {
	ws, err := tc.WSToken(ctx, tgt.confID, ctl.Token)
	if err != nil {
		return nil, fmt.Errorf("scenario: bare ws token: %w", err)
	}
	conn, resp, err := d.DialContext(ctx, connURL(ctl.WSURL, tgt.confID, ws.Token), nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("scenario: bare dial: %w", err)
	}
	sub, err := wire.EncodeSubscribe(wire.Sequence(time.Now()), tgt.confID, types, ctl.Token)
	if err == nil {
		err = conn.WriteMessage(websocket.TextMessage, sub)
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("scenario: bare subscribe: %w", err)
	}
	return conn, nil
}
