package token

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/confwatch/confwatch/secret"
	"time"
)

// WSTokenLifetime is how long a WebSocket token is valid after it was
// minted (protocol §2.2). It is also usable only once.
const WSTokenLifetime = 60 * time.Second

const wsTokenPath = "/v1/mmc/control/conferences/wsToken"

// WS is a single-use WebSocket token: the tmpToken of one dial.
type WS struct {
	// Token is the dial URL's tmpToken value.
	Token secret.Secret
	// ObtainedAt is when the request that produced the token was sent, on
	// the Client's clock.
	ObtainedAt time.Time
}

// Age is how long ago the token was obtained, as of now. A token whose age
// nears WSTokenLifetime should not be dialled with.
func (w *WS) Age(now time.Time) time.Duration { return now.Sub(w.ObtainedAt) }

// WSToken fetches a fresh WebSocket token with the control token control
// (protocol §2.2). Each call is one HTTP request; nothing is cached,
// because each token is good for one dial only. A rejected control token
// gives an error matching ErrUnauthorized.
func (c *Client) WSToken(ctx context.Context, conferenceID string, control secret.Secret) (*WS, error) {
	const op = "ws token"
	if control.IsZero() {
		return nil, fmt.Errorf("token: %s: empty control token", op)
	}
	resp, err := c.do(ctx, request{
		op:           op,
		path:         wsTokenPath,
		conferenceID: conferenceID,
		secret:       map[string]secret.Secret{"X-Conference-Authorization": control},
	})
	if err != nil {
		return nil, err
	}
	type wire struct {
		WebSocketToken flexString `json:"webSocketToken"`
	}
	var env struct {
		Data *wire `json:"data"`
		wire
	}
	if err := json.Unmarshal(resp.body, &env); err != nil {
		return nil, badResponse(op, resp, "body is not the expected JSON: "+err.Error())
	}
	tok := env.WebSocketToken
	if tok == "" && env.Data != nil {
		tok = env.Data.WebSocketToken
	}
	if tok == "" {
		return nil, badResponse(op, resp, "no webSocketToken in the answer")
	}
	c.secrets.Add(string(tok))
	return &WS{Token: secret.New(string(tok)), ObtainedAt: resp.sentAt}, nil
}
