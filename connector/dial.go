package connector

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/internal/wire"
	"github.com/confwatch/confwatch/secret"
	"github.com/confwatch/confwatch/token"
)

// connPath is where the meeting-control socket lives under the control
// token's wsURL.
const connPath = "/cms/open/websocket/confctl/increment/conn"

// dialURL builds the socket URL. The second result is the same URL without
// its query, which is all that may be logged: tmpToken is a secret.
func dialURL(base, confID string, tmp secret.Secret) (full, loggable string, err error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", "", fmt.Errorf("connector: bad wsURL from the control token: %w", err)
	}
	switch u.Scheme {
	case "wss", "ws":
	case "https":
		u.Scheme = "wss"
	case "http":
		u.Scheme = "ws"
	default:
		return "", "", fmt.Errorf("connector: wsURL scheme %q is not ws or wss", u.Scheme)
	}
	if u.Host == "" {
		return "", "", errors.New("connector: wsURL has no host")
	}
	u.Path = strings.TrimRight(u.Path, "/") + connPath
	u.RawQuery, u.Fragment = "", ""
	loggable = u.String()
	q := url.Values{}
	q.Set("confID", confID)
	q.Set("tmpToken", tmp.Reveal())
	u.RawQuery = q.Encode()
	return u.String(), loggable, nil
}

// writePools share write buffers between the sockets of a process, one
// pool per buffer size, as gorilla requires; idle sessions then hold none.
var writePools sync.Map // int → *sync.Pool

func writePool(size int) websocket.BufferPool {
	p, _ := writePools.LoadOrStore(size, &sync.Pool{})
	return p.(*sync.Pool)
}

// dial opens the socket. last receives the time of every read that
// brings bytes (see liveConn).
func (s *Session) dial(ctx context.Context, rawURL string, tok secret.Secret, last *atomic.Int64) (*websocket.Conn, error) {
	d := websocket.Dialer{
		NetDialContext:   s.liveDialer(last),
		Proxy:            http.ProxyFromEnvironment,
		TLSClientConfig:  s.cfg.TLSConfig,
		HandshakeTimeout: s.cfg.HandshakeTimeout,
		ReadBufferSize:   s.cfg.ReadBufferSize,
		WriteBufferSize:  s.cfg.WriteBufferSize,
		WriteBufferPool:  writePool(s.cfg.WriteBufferSize),
	}
	conn, resp, err := d.DialContext(ctx, rawURL, nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		he := &HandshakeError{Err: scrub(err, tok)}
		if resp != nil {
			he.Status = resp.StatusCode
			if secs, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && secs > 0 {
				he.RetryAfter = time.Duration(secs) * time.Second
			}
		}
		return nil, he
	}
	conn.SetReadLimit(s.cfg.ReadLimit)
	return conn, nil
}

// subscribeFrame encodes Subscribe. confToken is sent the way the vendor's
// captured sample sends it: "Basic " + base64(token).
func (s *Session) subscribeFrame(ctl *token.Control, types []string) ([]byte, error) {
	basic := secret.New("Basic " + base64.StdEncoding.EncodeToString([]byte(ctl.Token.Reveal())))
	return wire.EncodeSubscribe(wire.Sequence(s.cfg.Clock.Now()), s.cfg.ConferenceID, types, basic)
}

// subscribeTypes returns the configured types, else the supported ones
// that events decodes, else every known one.
func (s *Session) subscribeTypes(ctl *token.Control) []string {
	if len(s.cfg.Types) > 0 {
		return s.cfg.Types
	}
	supported := make(map[string]bool, len(ctl.SupportNotifyType))
	for _, t := range ctl.SupportNotifyType {
		supported[t] = true
	}
	var out []string
	for _, t := range events.KnownActions() {
		if supported[t] {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return events.KnownActions()
	}
	return out
}

// redactedError replaces an error whose text held a secret. It does not
// unwrap to the original, which would hand the secret back to anyone
// printing the chain; it keeps only whether it was a timeout.
type redactedError struct {
	msg     string
	timeout bool
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Timeout() bool { return e.timeout }

// scrub hides tok (and its URL-escaped form) in err's message. Errors
// of the dial path can quote the URL, whose query holds the ws token.
func scrub(err error, tok secret.Secret) error {
	raw := tok.Reveal()
	if err == nil || raw == "" {
		return err
	}
	msg := err.Error()
	if !strings.Contains(msg, raw) && !strings.Contains(msg, url.QueryEscape(raw)) {
		return err
	}
	msg = strings.ReplaceAll(msg, raw, secret.Redacted)
	msg = strings.ReplaceAll(msg, url.QueryEscape(raw), secret.Redacted)
	var ne net.Error
	return &redactedError{msg: msg, timeout: errors.As(err, &ne) && ne.Timeout()}
}
