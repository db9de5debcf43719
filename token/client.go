package token

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"github.com/confwatch/confwatch/secret"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/confwatch/confwatch/clock"
	"github.com/confwatch/confwatch/internal/scrub"
)

// Defaults for the zero values of Config.
const (
	// DefaultBaseURL is the vendor's global API host (protocol §2, §8 Q14).
	DefaultBaseURL = "https://api.meeting.huaweicloud.com"
	// DefaultTimeout bounds one HTTP request, from dial to the last byte
	// of the body.
	DefaultTimeout = 15 * time.Second
)

// Version is confwatch's version, sent as "confwatch/<Version>" in the
// User-Agent. It is a variable so that builds can stamp it with
// -ldflags "-X github.com/confwatch/confwatch/token.Version=…"; do not
// change it at run time.
var Version = "0.1.0"

// Config configures a Client. The zero value is valid and means the
// defaults documented on each field.
type Config struct {
	// BaseURL is the API's absolute http or https URL, optionally with a
	// path prefix. Empty means DefaultBaseURL.
	BaseURL string
	// Timeout bounds each HTTP request, including reading the body. It is
	// applied through the request context, so it also bounds a caller's
	// HTTPClient. Zero means DefaultTimeout.
	Timeout time.Duration
	// HTTPClient, when set, sends the requests instead of the Client's own
	// (which clones http.DefaultTransport, takes proxies from the
	// environment and verifies TLS). It is copied, and the copy never
	// follows redirects, because a redirect would replay the password
	// header to wherever it points. Mutually exclusive with RootCAs.
	HTTPClient *http.Client
	// RootCAs, when set, replaces the system roots for verifying the
	// server, e.g. for a corporate TLS proxy. Nil means the system roots.
	RootCAs *x509.CertPool
	// UserAgent is sent with every request. Empty means
	// "confwatch/<Version>".
	UserAgent string
	// Logger receives one Debug record per HTTP call (operation, status,
	// request id, duration; never a secret). Nil means silent.
	Logger *slog.Logger
	// Clock stamps ObtainedAt and resolves Retry-After dates. Nil means
	// the wall clock. Network timeouts always run on the wall clock.
	Clock clock.Clock
}

// Validate reports every problem with c, joined with errors.Join.
func (c Config) Validate() error {
	var errs []error
	if c.BaseURL != "" {
		if _, err := parseBaseURL(c.BaseURL); err != nil {
			errs = append(errs, err)
		}
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("Timeout %v is negative", c.Timeout))
	}
	if c.HTTPClient != nil && c.RootCAs != nil {
		errs = append(errs, errors.New("RootCAs cannot be used with HTTPClient: configure the client's transport instead"))
	}
	if strings.ContainsFunc(c.UserAgent, isCTL) {
		errs = append(errs, errors.New("UserAgent contains control characters"))
	}
	return errors.Join(errs...)
}

func parseBaseURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return nil, fmt.Errorf("BaseURL: %w", err)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("BaseURL %q: scheme must be http or https", s)
	case u.Host == "":
		return nil, fmt.Errorf("BaseURL %q: no host", s)
	case u.User != nil:
		return nil, errors.New("BaseURL: user info is not supported")
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("BaseURL %q: no query or fragment allowed", s)
	}
	return u, nil
}

// Client makes the three HTTP calls of the credential chain. It holds no
// credentials; Provider does. A Client is safe for concurrent use.
type Client struct {
	base    *url.URL
	http    *http.Client
	timeout time.Duration
	ua      string
	log     *slog.Logger
	clock   clock.Clock
	// secrets are every secret the Client has sent or received (the
	// password for good, the latest tokens), removed from any server text
	// it keeps: a server may echo an earlier token in a later answer.
	secrets scrub.Set
	// wsPut is set once the service has refused GET on wsToken with 405
	// and taken PUT (see WSToken); false means GET.
	wsPut atomic.Bool
}

// ScrubText removes every secret the Client has sent or received from
// text, in the forms a server may echo it (raw, URL-escaped, base64).
func (c *Client) ScrubText(text string) string { return c.secrets.Secrets(text) }

// New returns a Client for cfg, or the problems cfg.Validate reports.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("token: new client: %w", err)
	}
	base, _ := parseBaseURL(cmp.Or(cfg.BaseURL, DefaultBaseURL))
	c := &Client{
		base:    base,
		timeout: cmp.Or(cfg.Timeout, DefaultTimeout),
		ua:      cmp.Or(cfg.UserAgent, "confwatch/"+Version),
		log:     cfg.Logger,
		clock:   clock.OrReal(cfg.Clock),
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if cfg.HTTPClient != nil {
		hc := *cfg.HTTPClient
		c.http = &hc
	} else {
		c.http = &http.Client{Transport: newTransport(cfg.RootCAs)}
	}
	c.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c, nil
}

// newTransport clones http.DefaultTransport (connection pooling, HTTP/2,
// dial and TLS handshake timeouts) with verified TLS against roots.
func newTransport(roots *x509.CertPool) *http.Transport {
	var t *http.Transport
	if dt, ok := http.DefaultTransport.(*http.Transport); ok {
		t = dt.Clone()
	} else {
		t = &http.Transport{ForceAttemptHTTP2: true, TLSHandshakeTimeout: 10 * time.Second}
	}
	t.Proxy = http.ProxyFromEnvironment
	t.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	return t
}

// CloseIdleConnections closes the kept-alive connections of the Client's
// HTTP client, e.g. at shutdown. The Client stays usable.
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }

// errRequestTimeout is the cause of a request context that ran out of
// Client.timeout, to tell it apart from the caller's own deadline. net/http
// reports the cause, so it behaves like context.DeadlineExceeded: a net
// timeout that errors.Is matches with DeadlineExceeded.
var errRequestTimeout error = requestTimeout{}

type requestTimeout struct{}

func (requestTimeout) Error() string        { return "request timed out" }
func (requestTimeout) Timeout() bool        { return true }
func (requestTimeout) Is(target error) bool { return target == context.DeadlineExceeded }

// request is one call to the API: a GET unless method says otherwise.
type request struct {
	op           string // "login", "keep-alive", "ws token": names the call in errors and logs
	method       string // "" = GET
	path         string
	conferenceID string
	query        url.Values               // besides conferenceID
	body         []byte                   // JSON; nil = none
	header       map[string]string        // plain headers
	secret       map[string]secret.Secret // headers carrying secrets; also redacted from answers
	scrub        []secret.Secret          // not sent, but redacted from answers too
}

// response is a 2xx answer.
type response struct {
	body      []byte
	requestID string
	sentAt    time.Time // Client clock when the request was sent
}

// do sends r and returns its 2xx body, or an error wrapped once with
// "token: <op>:". Non-2xx answers become *APIError.
// remember checks r's secrets, adds them to those scrubbed from every
// answer (the password for good), and returns all that r's answer must be
// scrubbed of.
func (c *Client) remember(r request) ([]secret.Secret, error) {
	secrets := make([]secret.Secret, 0, len(r.secret)+len(r.scrub))
	for name, s := range r.secret {
		if strings.ContainsFunc(s.Reveal(), isCTL) {
			return nil, fmt.Errorf("token: %s: %s value contains control characters", r.op, name)
		}
		secrets = append(secrets, s)
		if name == "X-Password" {
			c.secrets.Pin(s.Reveal())
		} else {
			c.secrets.Add(s.Reveal())
		}
	}
	return append(secrets, r.scrub...), nil
}

// newRequest builds r's HTTP request: URL with the conference ID and r's
// query, body, and headers, secrets included.
func (c *Client) newRequest(ctx context.Context, r request) (*http.Request, error) {
	u := *c.base
	u.Path = strings.TrimSuffix(u.Path, "/") + r.path
	u.RawPath = ""
	q := url.Values{}
	for k, v := range r.query {
		q[k] = v
	}
	q.Set("conferenceID", r.conferenceID)
	u.RawQuery = q.Encode()
	var reqBody io.Reader
	if r.body != nil {
		reqBody = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, cmp.Or(r.method, http.MethodGet), u.String(), reqBody)
	if err != nil {
		return nil, fmt.Errorf("token: %s: %w", r.op, err)
	}
	req.Header.Set("User-Agent", c.ua)
	req.Header.Set("Accept", "application/json")
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	for k, v := range r.secret {
		req.Header.Set(k, v.Reveal())
	}
	return req, nil
}

func (c *Client) do(ctx context.Context, r request) (*response, error) {
	if strings.TrimSpace(r.conferenceID) == "" {
		return nil, fmt.Errorf("token: %s: empty conference id", r.op)
	}
	secrets, err := c.remember(r)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeoutCause(ctx, c.timeout, errRequestTimeout)
	defer cancel()
	req, err := c.newRequest(ctx, r)
	if err != nil {
		return nil, err
	}

	sentAt, wall := c.clock.Now(), time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		err = c.transportError(ctx, r.op, err)
		c.log.LogAttrs(ctx, slog.LevelDebug, "token: http call failed",
			slog.String("op", r.op), slog.String("path", r.path), slog.String("conference", r.conferenceID),
			slog.Duration("duration", time.Since(wall)), slog.Any("error", err))
		return nil, err
	}
	defer resp.Body.Close()

	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	limit := int64(maxErrorBody)
	if ok {
		limit = maxBody
	}
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	truncated := int64(len(body)) > limit
	if truncated {
		body = body[:limit]
	}
	rid := clean(c.secrets.Secrets(resp.Header.Get("X-Request-Id")), maxRequestID, secrets)
	c.log.LogAttrs(ctx, slog.LevelDebug, "token: http call",
		slog.String("op", r.op), slog.String("path", r.path), slog.String("conference", r.conferenceID),
		slog.Int("status", resp.StatusCode), slog.String("request_id", rid),
		slog.Duration("duration", time.Since(wall)))

	if !ok {
		return nil, newAPIError(r.op, resp, body, truncated, c.clock.Now(), &c.secrets, secrets)
	}
	switch {
	case readErr != nil:
		return nil, c.transportError(ctx, r.op, readErr)
	case truncated:
		return nil, fmt.Errorf("token: %s: %w: body over %d bytes (http %d%s)", r.op, ErrBadResponse, maxBody, resp.StatusCode, ridSuffix(rid))
	}
	return &response{body: body, requestID: rid, sentAt: sentAt}, nil
}

// transportError wraps a network failure. The url.Error inside is a
// net.Error, so errors.As(err, &netErr) && netErr.Timeout() identifies
// timeouts, and errors.Is(err, context.DeadlineExceeded) holds for them.
func (c *Client) transportError(ctx context.Context, op string, err error) error {
	if errors.Is(context.Cause(ctx), errRequestTimeout) {
		return fmt.Errorf("token: %s: no answer within %v: %w", op, c.timeout, err)
	}
	return fmt.Errorf("token: %s: %w", op, err)
}

// badResponse is the error for a 2xx answer without what op needs.
func badResponse(op string, resp *response, what string) error {
	return fmt.Errorf("token: %s: %w: %s%s", op, ErrBadResponse, what, ridSuffix(resp.requestID))
}

func ridSuffix(rid string) string {
	if rid == "" {
		return ""
	}
	return ", request id " + rid
}

// isCTL reports the characters that may not appear in a header value.
func isCTL(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }
