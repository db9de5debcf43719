package token

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/confwatch/confwatch/secret"
)

// ProviderConfig says whose credentials a Provider manages. Password or
// ControlToken (or both) must be set.
type ProviderConfig struct {
	// ConferenceID is the meeting ID (not the vmrConferenceID). Required.
	ConferenceID string
	// Password is the host (chair) password. It mints control tokens and
	// is the fallback when a keep-alive is refused. Optional when
	// ControlToken is set, but then the chain ends when that token lapses.
	Password secret.Secret
	// ControlToken is a control token obtained elsewhere. The first use
	// keeps it alive once to learn wsURL and expiry. Optional.
	ControlToken secret.Secret
	// RefreshFraction is the share of a token's lifetime after which it is
	// kept alive, in (0, 1). Zero means DefaultRefreshFraction (5/6).
	RefreshFraction float64
}

// Validate reports every problem with c, joined with errors.Join.
func (c ProviderConfig) Validate() error {
	var errs []error
	if strings.TrimSpace(c.ConferenceID) == "" {
		errs = append(errs, errors.New("ConferenceID is empty"))
	}
	if c.Password.IsZero() && c.ControlToken.IsZero() {
		//lint:ignore ST1005 each problem starts with the field it is about; NewProvider adds the "token: " prefix
		errs = append(errs, errors.New("Password or ControlToken is needed"))
	}
	if f := c.RefreshFraction; math.IsNaN(f) || f < 0 || f >= 1 {
		errs = append(errs, fmt.Errorf("RefreshFraction %v is outside (0, 1)", f))
	}
	return errors.Join(errs...)
}

// Provider is the credential chain of one meeting: it holds the current
// control token, keeps it alive, logs in again when it is refused, and
// mints a fresh WebSocket token per dial. It is safe for concurrent use;
// concurrent Control calls that need the server share one request.
type Provider struct {
	c        *Client
	id       string
	password secret.Secret
	fraction float64

	// mu guards the fields below. It is held only for bookkeeping, never
	// across a request: the request is owned by the caller that started
	// it (the flight's leader), and other callers wait on its done channel.
	mu     sync.Mutex
	cur    *Control      // current control token, nil when none is known good
	given  secret.Secret // caller-given token not yet confirmed by a keep-alive
	flight *flight       // the renewal in progress, or nil
}

// flight is one renewal shared by every caller that needs it.
type flight struct {
	done      chan struct{} // closed by the leader once ctl and err are set
	ctl       *Control
	err       error
	abandoned bool // the leader's ctx ended the request: waiters try again
	waiters   int  // callers that joined, guarded by Provider.mu
}

// NewProvider returns a Provider for cfg that makes its requests with c.
// It makes no request itself; the first Control call does.
func NewProvider(c *Client, cfg ProviderConfig) (*Provider, error) {
	err := cfg.Validate()
	if c == nil {
		err = errors.Join(errors.New("nil Client"), err)
	}
	if err != nil {
		return nil, fmt.Errorf("token: new provider: %w", err)
	}
	c.secrets.Pin(cfg.Password.Reveal())
	c.secrets.Add(cfg.ControlToken.Reveal())
	return &Provider{
		c:        c,
		id:       strings.TrimSpace(cfg.ConferenceID),
		password: cfg.Password,
		fraction: cmp.Or(cfg.RefreshFraction, DefaultRefreshFraction),
		given:    cfg.ControlToken,
	}, nil
}

// ScrubText removes every secret the Provider holds or has held (the
// password, every control and ws token of its Client) from text. The
// connector calls it on server text (close reasons, Subscribe refusals)
// before storing, logging or returning it.
func (p *Provider) ScrubText(text string) string { return p.c.ScrubText(text) }

// ConferenceID returns the meeting ID the Provider serves.
func (p *Provider) ConferenceID() string { return p.id }

// Format prints the Provider as token.Provider(conference <id>) for every
// verb, so that no secret it holds can reach a log through fmt.
func (p *Provider) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "token.Provider(conference %s)", p.id)
}

// LogValue implements slog.LogValuer, for the same reason as Format.
func (p *Provider) LogValue() slog.Value {
	return slog.GroupValue(slog.String("conference", p.id))
}

// Control returns the current control token. With none, it logs in (or
// keeps a caller-given token alive once to learn its wsURL and expiry);
// past the token's refresh time it keeps the token alive, and logs in
// again when the keep-alive is refused and a password is known. If a
// keep-alive fails for a reason other than refusal (network, 5xx) while
// the current token has not expired, Control returns that token.
//
// Errors: ErrCannotRenew when only a caller-given token was known and it
// expired or was refused; otherwise the Client's errors (ErrUnauthorized,
// ErrMeetingEnded, ErrNotStarted, ...) or ctx's.
func (p *Provider) Control(ctx context.Context) (*Control, error) { return p.get(ctx) }

// WSToken gets a control token through Control and fetches a brand-new
// WebSocket token with it: one request per call, never cached. When the
// server rejects the control token (ErrUnauthorized), WSToken drops it so
// that the next call logs in again, and returns the error.
func (p *Provider) WSToken(ctx context.Context) (*WS, error) {
	ctl, err := p.Control(ctx)
	if err != nil {
		return nil, err
	}
	ws, err := p.c.WSToken(ctx, p.id, ctl.Token)
	if errors.Is(err, ErrUnauthorized) {
		p.Invalidate(ctl) // §7: a control token refused here needs a new login
	}
	return ws, err
}

// Invalidate reports that the server rejected rejected. If it is still the
// current token it is dropped, so the next Control logs in again (or, with
// no password, fails with ErrCannotRenew). It is a no-op when the token
// was already replaced, and for nil.
func (p *Provider) Invalidate(rejected *Control) {
	if rejected != nil {
		p.drop(rejected.Token)
	}
}

// get is Control: the current token, or one renewal shared by every caller
// that needs it.
func (p *Provider) get(ctx context.Context) (*Control, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("token: control: %w", err)
		}
		p.mu.Lock()
		if cur := p.cur; cur != nil && p.c.clock.Now().Before(cur.RefreshAt()) {
			p.mu.Unlock()
			return cur, nil
		}
		if f := p.flight; f != nil {
			f.waiters++
			p.mu.Unlock()
			select {
			case <-f.done:
			case <-ctx.Done():
				return nil, fmt.Errorf("token: control: %w", ctx.Err())
			}
			if f.abandoned {
				continue // the leader gave up for its own reasons; try again
			}
			return p.settle(ctx, f.ctl, f.err)
		}
		f := &flight{done: make(chan struct{})}
		p.flight = f
		p.mu.Unlock()

		ctl, err := p.renew(ctx)

		p.mu.Lock()
		p.flight = nil
		f.ctl, f.err = ctl, err
		f.abandoned = err != nil && ctx.Err() != nil
		waiters := f.waiters
		p.mu.Unlock()
		close(f.done)
		if waiters > 0 {
			p.c.log.LogAttrs(ctx, slog.LevelDebug, "token: renewal shared",
				slog.String("conference", p.id), slog.Int("waiters", waiters))
		}
		return p.settle(ctx, ctl, err)
	}
}

// settle turns a renewal's outcome into Control's answer: on a transient
// failure the current token is still good until it expires.
func (p *Provider) settle(ctx context.Context, ctl *Control, err error) (*Control, error) {
	if err == nil || ctx.Err() != nil {
		return ctl, err
	}
	p.mu.Lock()
	cur := p.cur
	p.mu.Unlock()
	if cur == nil || !p.c.clock.Now().Before(cur.ExpiresAt) {
		return nil, err
	}
	p.c.log.LogAttrs(ctx, slog.LevelWarn, "token: keep-alive failed; using the current token until it expires",
		slog.String("conference", p.id), slog.Time("expires_at", cur.ExpiresAt), slog.Any("error", err))
	return cur, nil
}

// renew obtains the next control token. Only a flight's leader calls it.
// It drops the current token whenever the server says it is no good, and
// keeps it on failures that say nothing about it (network, 5xx).
func (p *Provider) renew(ctx context.Context) (*Control, error) {
	p.mu.Lock()
	cur, tok := p.cur, p.given
	p.mu.Unlock()

	if cur != nil {
		tok = cur.Token
		if !p.c.clock.Now().Before(cur.ExpiresAt) {
			// Lapsed: a keep-alive would be refused; only a login helps.
			p.drop(tok)
			tok = secret.Secret{}
			if p.password.IsZero() {
				return nil, fmt.Errorf("%w: the control token expired at %s",
					ErrCannotRenew, cur.ExpiresAt.UTC().Format(time.RFC3339))
			}
		}
	}

	if !tok.IsZero() {
		ctl, err := p.c.KeepAlive(ctx, p.id, tok, p.password)
		switch {
		case err == nil:
			return p.adopt(ctl, cur)
		case errors.Is(err, ErrMeetingEnded):
			p.drop(tok)
			return nil, err
		case !refused(err):
			return nil, err
		case p.password.IsZero():
			p.drop(tok)
			return nil, fmt.Errorf("%w: keep-alive refused: %w", ErrCannotRenew, err)
		}
		p.drop(tok)
		p.c.log.LogAttrs(ctx, slog.LevelInfo, "token: keep-alive refused; logging in again",
			slog.String("conference", p.id), slog.Any("error", err))
	} else if p.password.IsZero() {
		return nil, fmt.Errorf("%w: no valid control token is left", ErrCannotRenew)
	}

	ctl, err := p.c.Login(ctx, p.id, p.password)
	if err != nil {
		return nil, err
	}
	return p.adopt(ctl, nil)
}

// adopt makes ctl current. A keep-alive answer without wsURL only renews
// the token, so the descriptive fields are carried over from prev.
func (p *Provider) adopt(ctl, prev *Control) (*Control, error) {
	if ctl.WSURL == "" && prev != nil {
		ctl.WSURL, ctl.Role, ctl.UserID, ctl.OrgID = prev.WSURL, prev.Role, prev.UserID, prev.OrgID
		ctl.SupportNotifyType = prev.SupportNotifyType
	}
	if ctl.WSURL == "" {
		return nil, fmt.Errorf("token: keep-alive: %w: no wsURL in the answer", ErrBadResponse)
	}
	ctl.refresh = ctl.refreshAt(p.fraction)
	p.mu.Lock()
	p.cur, p.given = ctl, secret.Secret{}
	p.mu.Unlock()
	return ctl, nil
}

// drop forgets tok if it is the current or the caller-given token.
func (p *Provider) drop(tok secret.Secret) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur != nil && p.cur.Token.Reveal() == tok.Reveal() {
		p.cur = nil
	}
	if p.given.Reveal() == tok.Reveal() {
		p.given = secret.Secret{}
	}
}

// refused reports whether the server turned a token down, as opposed to
// failing to answer. No code for "token expired" is documented (protocol
// §8 Q1), so any 4xx that is not a known state of the meeting or of the
// server's throttling counts.
func refused(err error) bool {
	if errors.Is(err, ErrUnauthorized) {
		return true
	}
	var api *APIError
	if !errors.As(err, &api) || api.Status < 400 || api.Status >= 500 {
		return false
	}
	for _, s := range []error{ErrMeetingEnded, ErrNotStarted, ErrRateLimited, ErrLoginLocked} {
		if errors.Is(err, s) {
			return false
		}
	}
	return true
}
