package token

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/confwatch/confwatch/secret"
)

const (
	// DefaultControlLifetime is the control token's documented lifetime,
	// assumed when an answer states none (protocol §2.1).
	DefaultControlLifetime = 30 * time.Minute
	// DefaultRefreshFraction is the share of the lifetime after which the
	// token is kept alive: 25 of 30 minutes, leaving 5 minutes for retries.
	DefaultRefreshFraction = 5.0 / 6.0

	// maxLifetime bounds a plausible lifetime; a larger one comes from
	// clock skew or a broken field and is ignored.
	maxLifetime = 24 * time.Hour
	// MinControlLifetime is the shortest lifetime taken as real. An answer
	// whose token would lapse sooner (an expireTime 10 ms ahead) is a bad
	// response: kept alive on its own schedule, it would make an idle
	// session send keep-alives in a busy loop.
	MinControlLifetime = 500 * time.Millisecond
	// MinRefreshInterval is the least time between obtaining a control
	// token and keeping it alive, whatever the refresh fraction says.
	MinRefreshInterval = 10 * time.Second
	tokenPath          = "/v1/mmc/control/conferences/token"
)

// Control is a meeting-control token and what came with it. Values are
// never modified after they are returned, so they may be shared.
type Control struct {
	// Token goes in X-Conference-Authorization and in Subscribe's
	// confToken.
	Token secret.Secret
	// WSURL is the base of the WebSocket dial URL (scheme and host[:port]).
	WSURL string
	// Role is 1 for host, 0 for ordinary participant.
	Role int
	// ExpiresAt is when the token lapses unless kept alive.
	ExpiresAt time.Time
	// Lifetime is ExpiresAt - ObtainedAt.
	Lifetime time.Duration
	// ObtainedAt is when the request that produced the token was sent,
	// on the Client's clock (sent, not answered, to err on the early side).
	ObtainedAt time.Time
	// UserID is the scheduler's user id; OrgID the enterprise id.
	UserID, OrgID string
	// SupportNotifyType lists the push types the meeting offers.
	SupportNotifyType []string

	refresh time.Time // set by the Provider from its RefreshFraction
}

// RefreshAt is when the token should be kept alive: ObtainedAt plus the
// Provider's RefreshFraction of Lifetime (DefaultRefreshFraction for a
// Control that no Provider handed out), never sooner than
// MinRefreshInterval after ObtainedAt.
func (c *Control) RefreshAt() time.Time {
	if !c.refresh.IsZero() {
		return c.refresh
	}
	return c.refreshAt(DefaultRefreshFraction)
}

func (c *Control) refreshAt(fraction float64) time.Time {
	d := time.Duration(math.Round(float64(c.Lifetime) * fraction))
	return c.ObtainedAt.Add(max(d, min(MinRefreshInterval, c.Lifetime/2)))
}

// Login mints a control token from the meeting ID and the host password
// (protocol §2.1). It fails with ErrUnauthorized for a wrong ID or
// password, ErrNotStarted before the meeting runs and ErrMeetingEnded
// after.
func (c *Client) Login(ctx context.Context, conferenceID string, password secret.Secret) (*Control, error) {
	if password.IsZero() {
		return nil, fmt.Errorf("token: login: empty password")
	}
	return c.control(ctx, request{
		op:           "login",
		path:         tokenPath,
		conferenceID: conferenceID,
		header:       map[string]string{"X-Login-Type": "1"},
		secret:       map[string]secret.Secret{"X-Password": password},
	}, true)
}

// KeepAlive extends current (protocol §2.1: the login endpoint with
// X-Conference-Authorization). When password is not empty it is sent too,
// so that the server can log in afresh if current has already lapsed.
// A refused token gives an error matching ErrUnauthorized.
//
// The answer may omit wsURL and the other descriptive fields; then only
// Token, ExpiresAt, Lifetime and ObtainedAt are set, and Provider carries
// the rest over from the token it replaced.
func (c *Client) KeepAlive(ctx context.Context, conferenceID string, current, password secret.Secret) (*Control, error) {
	if current.IsZero() {
		return nil, fmt.Errorf("token: keep-alive: empty control token")
	}
	secrets := map[string]secret.Secret{"X-Conference-Authorization": current}
	if !password.IsZero() {
		secrets["X-Password"] = password
	}
	return c.control(ctx, request{
		op:           "keep-alive",
		path:         tokenPath,
		conferenceID: conferenceID,
		header:       map[string]string{"X-Login-Type": "1"},
		secret:       secrets,
	}, false)
}

// controlWire is data of §2.1's answer. Types are lenient because the
// vendor's tables and samples disagree; encoding/json already matches keys
// without case (wsUrl, userId).
type controlWire struct {
	Token               flexString  `json:"token"`
	WSURL               flexString  `json:"wsURL"`
	Role                flexInt     `json:"role"`
	ExpireTime          flexInt     `json:"expireTime"`          // epoch ms
	ConfTokenExpireTime flexInt     `json:"confTokenExpireTime"` // seconds
	UserID              flexString  `json:"userID"`
	OrgID               flexString  `json:"orgID"`
	SupportNotifyType   flexStrings `json:"supportNotifyType"`
}

func (c *Client) control(ctx context.Context, r request, needWSURL bool) (*Control, error) {
	resp, err := c.do(ctx, r)
	if err != nil {
		return nil, err
	}
	// The fields live under "data"; a body without "data" is read at the
	// top level, which is how a gateway unwrapping the envelope would
	// deliver them.
	var env struct {
		Data *controlWire `json:"data"`
		controlWire
	}
	if err := json.Unmarshal(resp.body, &env); err != nil {
		return nil, badResponse(r.op, resp, "body is not the expected JSON: "+err.Error())
	}
	w := env.controlWire
	if env.Data != nil && env.Data.Token != "" {
		w = *env.Data
	}
	switch {
	case w.Token == "":
		return nil, badResponse(r.op, resp, "no token in the answer")
	case needWSURL && w.WSURL == "":
		return nil, badResponse(r.op, resp, "no wsURL in the answer")
	}
	c.secrets.Add(string(w.Token))
	life := lifetime(resp.sentAt, w)
	if life < MinControlLifetime {
		return nil, badResponse(r.op, resp, fmt.Sprintf("the token's lifetime %v is implausibly short (the least taken is %v)", life.Round(time.Millisecond), MinControlLifetime))
	}
	return &Control{
		Token:             secret.New(string(w.Token)),
		WSURL:             string(w.WSURL),
		Role:              int(w.Role),
		ExpiresAt:         resp.sentAt.Add(life),
		Lifetime:          life,
		ObtainedAt:        resp.sentAt,
		UserID:            string(w.UserID),
		OrgID:             string(w.OrgID),
		SupportNotifyType: []string(w.SupportNotifyType),
	}, nil
}

// lifetime picks the token's lifetime: the shorter of what expireTime and
// confTokenExpireTime say, ignoring values that are not plausible, and
// DefaultControlLifetime when neither is. Taking the shorter one guards
// against our clock running behind the server's, which would otherwise
// stretch the expireTime-derived lifetime past the real one.
func lifetime(sentAt time.Time, w controlWire) time.Duration {
	life := time.Duration(0)
	consider := func(d time.Duration) {
		if d > 0 && d <= maxLifetime && (life == 0 || d < life) {
			life = d
		}
	}
	if ms := int64(w.ExpireTime); ms > 0 {
		if ms < 1e11 { // seconds: as milliseconds it would be before 1973
			ms *= 1000
		}
		consider(time.UnixMilli(ms).Sub(sentAt))
	}
	if s := int64(w.ConfTokenExpireTime); s > 0 && s <= int64(maxLifetime/time.Second) {
		consider(time.Duration(s) * time.Second)
	}
	if life == 0 {
		return DefaultControlLifetime
	}
	return life
}
