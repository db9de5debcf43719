package token

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/confwatch/confwatch/secret"
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
//
// The page documents GET, but its raw-request sample shows PUT. WSToken
// sends GET; if the service answers 405 (method not allowed) it tries
// once more with PUT, and when that is not refused as well, the Client
// sends PUT from then on, for every Provider it serves. A later 405 to
// PUT switches back the same way.
func (c *Client) WSToken(ctx context.Context, conferenceID string, control secret.Secret) (*WS, error) {
	const op = "ws token"
	if control.IsZero() {
		return nil, fmt.Errorf("token: %s: empty control token", op)
	}
	method := c.wsMethod()
	resp, err := c.wsTokenCall(ctx, method, conferenceID, control)
	if methodRefused(err) {
		other := otherWSMethod(method)
		c.log.LogAttrs(ctx, slog.LevelDebug, "token: ws token: method refused, trying the other",
			slog.String("refused", method), slog.String("next", other))
		resp, err = c.wsTokenCall(ctx, other, conferenceID, control)
		if !methodRefused(err) && !isTransport(err) {
			c.wsPut.Store(other == http.MethodPut)
		}
	}
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

func (c *Client) wsTokenCall(ctx context.Context, method, conferenceID string, control secret.Secret) (*response, error) {
	r := request{
		op:           "ws token",
		method:       method,
		path:         wsTokenPath,
		conferenceID: conferenceID,
		secret:       map[string]secret.Secret{"X-Conference-Authorization": control},
	}
	if method == http.MethodPut {
		// A body-less PUT still says JSON, as the vendor's SDK does for
		// its PUT calls (REST reference §2.1).
		r.header = map[string]string{"Content-Type": "application/json"}
	}
	return c.do(ctx, r)
}

// wsMethod is the method the Client sends wsToken requests with.
func (c *Client) wsMethod() string {
	if c.wsPut.Load() {
		return http.MethodPut
	}
	return http.MethodGet
}

func otherWSMethod(m string) string {
	if m == http.MethodPut {
		return http.MethodGet
	}
	return http.MethodPut
}

// methodRefused reports an answer of 405 Method Not Allowed.
func methodRefused(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusMethodNotAllowed
}

// isTransport reports a failure that is not an answer of the service (no
// status): it says nothing about which method the service takes.
func isTransport(err error) bool {
	var ae *APIError
	return err != nil && !errors.As(err, &ae)
}
