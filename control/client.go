package control

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/confwatch/confwatch/clock"
	"github.com/confwatch/confwatch/token"
)

// Defaults for the zero values of Config.
const (
	// DefaultMaxRetryAfter caps how long a throttled action waits for the
	// server's Retry-After before trying again.
	DefaultMaxRetryAfter = 60 * time.Second
)

// Retry timing. A throttled call without Retry-After waits 1 s, then 2 s
// (the REST reference's advice starts at 1 s); a repeatable call that met
// a server failure waits 1 s once.
const (
	throttleRetries = 2
	firstBackoff    = time.Second
)

// ErrUnreachable: the meeting API could not be reached (no connection
// could be made), so the action was not sent. Nothing is queued: try again
// when the network is back.
var ErrUnreachable = errors.New("control: meeting API unreachable; the action was not sent")

// Config configures a Client. Tokens is required; the zero value of every
// other field means the documented default.
type Config struct {
	// Tokens is the meeting's credential chain: the control token of every
	// call comes from it, and a refused token is re-obtained through it.
	// Its token.Client's HTTP client, base URL, TLS roots, timeout (15 s by
	// default, per request) and User-Agent are the ones every action uses.
	Tokens *token.Provider
	// MaxRetryAfter caps the wait a throttled action accepts from the
	// server's Retry-After. Zero means DefaultMaxRetryAfter. A wait that
	// would outlast the context is not started.
	MaxRetryAfter time.Duration
	// DryRun, when set, receives each action that would change the meeting
	// instead of it being sent; the action then returns nil. Reads
	// (RealTimeInfo, and the lookups Rename and SetAllHands make) are still
	// sent. Nil sends everything.
	DryRun func(Request)
	// Logger receives a Debug record per action and an Info record per
	// re-login or wait; never a secret. Nil means silent.
	Logger *slog.Logger
	// Clock times the waits between attempts. Nil means the wall clock.
	// Network timeouts always run on the wall clock.
	Clock clock.Clock
}

// Validate reports every problem with c, joined with errors.Join.
func (c Config) Validate() error {
	var errs []error
	if c.Tokens == nil {
		//lint:ignore ST1005 each problem starts with the field it is about
		errs = append(errs, errors.New("Tokens is nil"))
	}
	if c.MaxRetryAfter < 0 {
		errs = append(errs, fmt.Errorf("MaxRetryAfter %v is negative", c.MaxRetryAfter))
	}
	return errors.Join(errs...)
}

// Client acts on one meeting through its control token. It is safe for
// concurrent use and starts no goroutines; every method returns when its
// call is done, failed, or ctx ends.
type Client struct {
	tokens   *token.Provider
	maxRetry time.Duration
	dryRun   func(Request)
	log      *slog.Logger
	clock    clock.Clock
}

// New returns a Client for cfg, or the problems cfg.Validate reports.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("control: new client: %w", err)
	}
	c := &Client{
		tokens:   cfg.Tokens,
		maxRetry: cmp.Or(cfg.MaxRetryAfter, DefaultMaxRetryAfter),
		dryRun:   cfg.DryRun,
		log:      cfg.Logger,
		clock:    clock.OrReal(cfg.Clock),
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// Request is one action as it goes on the wire, for dry runs and logs. It
// holds no secret: the control token travels in a header that Request
// does not carry.
type Request struct {
	// Op names the action, e.g. "mute participant".
	Op string
	// Method is GET, PUT or POST.
	Method string
	// Path is below the API's base URL, e.g.
	// "/v1/mmc/control/conferences/participants/mute".
	Path string
	// Query includes conferenceID.
	Query url.Values
	// Body is the JSON body, or nil.
	Body []byte
}

// String renders r as "PUT /path?query {body}".
func (r Request) String() string {
	s := r.Method + " " + r.Path + "?" + r.Query.Encode()
	if r.Body != nil {
		s += " " + string(r.Body)
	}
	return s
}

// call is one action to perform.
type call struct {
	spec  *spec
	query url.Values
	body  any // marshalled to JSON; nil sends no body
}

// do performs c: it obtains the control token, sends the request, and
// applies the retry policy of the failure table. It returns the 2xx body.
func (cl *Client) do(ctx context.Context, c call) ([]byte, error) {
	sp := c.spec
	var body []byte
	if c.body != nil {
		var err error
		if body, err = json.Marshal(c.body); err != nil {
			return nil, fmt.Errorf("control: %s: %w", sp.op, err)
		}
	}
	req := token.ControlRequest{Op: sp.vendor, Method: sp.method, Path: pathPrefix + sp.path, Query: c.query, Body: body}
	if cl.dryRun != nil && !sp.read {
		q := url.Values{}
		for k, v := range c.query {
			q[k] = v
		}
		q.Set("conferenceID", cl.tokens.ConferenceID())
		cl.dryRun(Request{Op: sp.op, Method: req.Method, Path: req.Path, Query: q, Body: body})
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("control: %s: %w", sp.op, err)
	}

	ctl, err := cl.tokens.Control(ctx)
	if err != nil {
		return nil, cl.tokenError(sp, err, false)
	}
	var a attempt
	for {
		start := time.Now()
		out, err := cl.tokens.Do(ctx, ctl, req)
		cl.log.LogAttrs(ctx, slog.LevelDebug, "control: action",
			slog.String("op", sp.op), slog.String("conference", cl.tokens.ConferenceID()),
			slog.Int("attempt", a.n+1), slog.Duration("duration", time.Since(start)), slog.Any("error", err))
		if err == nil {
			return out, checkSuccess(sp, out)
		}
		a.n++
		switch next := cl.next(ctx, sp, &a, err); {
		case next.relogin:
			cl.log.LogAttrs(ctx, slog.LevelInfo, "control: control token refused; logging in again",
				slog.String("op", sp.op), slog.String("conference", cl.tokens.ConferenceID()))
			cl.tokens.Invalidate(ctl)
			if ctl, err = cl.tokens.Control(ctx); err != nil {
				return nil, cl.tokenError(sp, err, true)
			}
		case next.wait > 0:
			cl.log.LogAttrs(ctx, slog.LevelInfo, "control: waiting before trying again",
				slog.String("op", sp.op), slog.Duration("wait", next.wait), slog.Any("error", err))
			if err := clock.Sleep(ctx, cl.clock, next.wait); err != nil {
				return nil, fmt.Errorf("control: %s: %w (while waiting to retry after: %w)", sp.op, err, errorText(next.cause))
			}
		default:
			return nil, next.err
		}
	}
}

// attempt is the retry bookkeeping of one action.
type attempt struct {
	n         int  // requests sent
	relogged  bool // a fresh login was made after a refusal
	throttled int  // retries after throttling
	failed    bool // the one retry after a server failure was used
}

// decision is what to do after a failed request: log in again, wait and
// resend, or return err.
type decision struct {
	relogin bool
	wait    time.Duration
	cause   error
	err     error
}

// next applies the retry policy: a refused token gets one fresh login
// (every action: the server did nothing); throttling is waited out
// (every action: the server did nothing), up to throttleRetries times and
// within MaxRetryAfter and ctx; a server failure is retried once only for
// actions that are safe to repeat. Everything else is returned.
func (cl *Client) next(ctx context.Context, sp *spec, a *attempt, err error) decision {
	switch {
	case errors.Is(err, token.ErrUnauthorized) && !a.relogged:
		a.relogged = true
		return decision{relogin: true}
	case errors.Is(err, token.ErrUnauthorized):
		return decision{err: fmt.Errorf("control: %s: %w after a fresh login: %w", sp.op, token.ErrCredentialsRejected, err)}
	case errors.Is(err, token.ErrRateLimited):
		if a.throttled >= throttleRetries {
			return decision{err: fmt.Errorf("control: %s: still throttled after %d attempts: %w", sp.op, a.n, err)}
		}
		wait := firstBackoff << a.throttled
		var api *token.APIError
		if errors.As(err, &api) && api.RetryAfter > 0 {
			wait = api.RetryAfter
		}
		if wait > cl.maxRetry {
			return decision{err: fmt.Errorf("control: %s: the server asks to wait %v, more than the %v accepted: %w", sp.op, wait, cl.maxRetry, err)}
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return decision{err: fmt.Errorf("control: %s: the server asks to wait %v, past the context's deadline: %w", sp.op, wait, err)}
		}
		a.throttled++
		return decision{wait: wait, cause: err}
	case sp.repeatable && !a.failed && serverFailure(err):
		a.failed = true
		return decision{wait: firstBackoff, cause: err}
	}
	return decision{err: cl.wrap(sp, err)}
}

// serverFailure reports answers that say the server failed rather than
// refused: 5xx, and the vendor's "control operation failed" and
// "response timeout" codes (REST reference §2.3: retry with backoff).
func serverFailure(err error) bool {
	var api *token.APIError
	if !errors.As(err, &api) {
		return false
	}
	switch strings.TrimPrefix(strings.ToUpper(api.Code), "MMC.") {
	case "111072012", "111072049":
		return true
	}
	return api.Status >= 500
}

// wrap adds the action to an error from the token layer, marking the
// failures to connect as ErrUnreachable.
func (cl *Client) wrap(sp *spec, err error) error {
	if unreachable(err) {
		return fmt.Errorf("%w (%s): %w", ErrUnreachable, sp.op, err)
	}
	return fmt.Errorf("control: %s: %w", sp.op, err)
}

// tokenError wraps a failure to obtain a control token. A refused
// password, or a given token that cannot be renewed, means the
// credentials are rejected.
func (cl *Client) tokenError(sp *spec, err error, relogin bool) error {
	if errors.Is(err, token.ErrUnauthorized) || errors.Is(err, token.ErrCannotRenew) {
		when := "logging in"
		if relogin {
			when = "logging in again after the control token was refused"
		}
		return fmt.Errorf("control: %s: %w while %s: %w", sp.op, token.ErrCredentialsRejected, when, err)
	}
	return cl.wrap(sp, err)
}

// unreachable reports a failure to connect: the request never left.
func unreachable(err error) bool {
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && (op.Op == "dial" || op.Op == "proxyconnect")
}

// errorText keeps an error's message for the text of another one without
// making it match errors.Is.
func errorText(err error) error { return errors.New(err.Error()) }

// checkSuccess accepts what a 2xx answer to an action may carry: nothing,
// or a JSON object whose returnCode is absent or 0 (REST reference §2.2:
// the real body is UNCONFIRMED; it is probably
// {"returnCode":0,"returnDesc":"SUCCESS"}). A body that is not JSON, such
// as a proxy's HTML page, is refused: the action probably never reached
// the meeting service. No text of a 2xx body goes into an error but a
// vendor code and an enum-like description, since only error bodies are
// scrubbed of secrets.
func checkSuccess(sp *spec, body []byte) error {
	b := bytes.TrimSpace(body)
	if len(b) == 0 || sp.read {
		return nil
	}
	var rc struct {
		ReturnCode json.RawMessage `json:"returnCode"`
		ReturnDesc string          `json:"returnDesc"`
	}
	if b[0] != '{' || json.Unmarshal(b, &rc) != nil {
		what := fmt.Sprintf("%d bytes that are not JSON", len(b))
		if bytes.HasPrefix(bytes.ToLower(b), []byte("<!doctype html")) || bytes.Contains(bytes.ToLower(b[:min(len(b), 512)]), []byte("<html")) {
			what = "an HTML page"
		}
		return fmt.Errorf("control: %s: %w: the 2xx answer is %s", sp.op, token.ErrBadResponse, what)
	}
	code := strings.Trim(string(rc.ReturnCode), `" `)
	if code == "" || code == "0" || code == "null" {
		return nil
	}
	if !plainCode.MatchString(code) {
		code = "(not a number)"
	}
	desc := ""
	if plainDesc.MatchString(rc.ReturnDesc) {
		desc = " (" + rc.ReturnDesc + ")"
	}
	return fmt.Errorf("control: %s: %w: returnCode %s%s", sp.op, token.ErrBadResponse, code, desc)
}

var (
	plainCode = regexp.MustCompile(`^-?[0-9]{1,12}$`)
	plainDesc = regexp.MustCompile(`^[A-Za-z_ ]{1,64}$`)
)

// Format prints the Client as control.Client(conference <id>) for every
// verb. Without it, fmt would print the Provider inside field by field,
// secrets included: it cannot call the Provider's own Format on an
// unexported field.
func (cl *Client) Format(f fmt.State, _ rune) {
	if cl == nil {
		fmt.Fprint(f, "control.Client(nil)")
		return
	}
	fmt.Fprintf(f, "control.Client(conference %s)", cl.tokens.ConferenceID())
}

// LogValue implements slog.LogValuer, for the same reason as Format.
func (cl *Client) LogValue() slog.Value {
	return slog.GroupValue(slog.String("conference", cl.tokens.ConferenceID()))
}
