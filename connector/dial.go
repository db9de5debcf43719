package connector

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"github.com/confwatch/confwatch/secret"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/internal/wire"
	"github.com/confwatch/confwatch/token"
)

// connPath is where the meeting-control socket lives under the control
// token's wsURL.
const connPath = "/cms/open/websocket/confctl/increment/conn"

// errPlainText refuses a ws:// or http:// wsURL without Config.AllowPlainText.
var errPlainText = errors.New("connector: the control token's wsURL is plain text (ws://); the tmpToken and confToken would travel in clear; set Config.AllowPlainText to allow it")

// dialURL builds the socket URL. The second result is the same URL without
// its query, which is all that may be logged: tmpToken is a secret.
func dialURL(base, confID string, tmp secret.Secret, allowPlain bool) (full, loggable string, err error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", "", fmt.Errorf("connector: bad wsURL from the control token: %w", err)
	}
	switch u.Scheme {
	case "wss":
	case "https":
		u.Scheme = "wss"
	case "ws", "http":
		if !allowPlain {
			return "", "", errPlainText
		}
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

// dial opens the socket. The whole of it, TCP, TLS and upgrade, is bounded
// by HandshakeTimeout and ends at once when ctx does; the server may send
// at most MaxHandshakeBytes before the upgrade completes, and may not
// choose an extension we did not offer (we offer none: a permessage-deflate
// it slipped in would inflate frames past ReadLimit).
func (s *Session) dial(ctx context.Context, rawURL string) (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.HandshakeTimeout)
	defer cancel()
	dial := s.cfg.NetDialContext
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	netDial, guard := guardedDialer(ctx, dial, MaxHandshakeBytes+s.cfg.ReadBufferSize)
	d := websocket.Dialer{
		NetDialContext:   netDial,
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
	hc := guard()
	if err == nil && hc != nil && !hc.finish() {
		conn.Close()
		err = ctx.Err()
		if err == nil {
			err = errors.New("connector: the connection closed during the upgrade")
		}
		resp = nil
	}
	if err != nil {
		if hc != nil {
			hc.finish()
		}
		return nil, s.handshakeError(ctx, err, resp)
	}
	if ext := resp.Header.Get("Sec-WebSocket-Extensions"); ext != "" {
		conn.Close()
		return nil, &HandshakeError{Status: resp.StatusCode, Err: fmt.Errorf("connector: the server chose the extension %q, which was not offered", s.clean(ext))}
	}
	conn.SetReadLimit(s.cfg.ReadLimit)
	return conn, nil
}

// handshakeError describes a failed upgrade without any secret, and with
// ctx's error when ctx ended it (the caller's cancel, or the handshake
// timeout).
func (s *Session) handshakeError(ctx context.Context, err error, resp *http.Response) error {
	if errors.Is(err, errHandshakeTooLarge) {
		return &HandshakeError{Err: errHandshakeTooLarge}
	}
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		err = fmt.Errorf("%w (%s)", cerr, s.cleanErr(err).Error())
	}
	he := &HandshakeError{Err: s.cleanErr(err)}
	if resp != nil {
		he.Status = resp.StatusCode
		if secs, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && secs > 0 {
			he.RetryAfter = time.Duration(min(int64(secs), int64(token.MaxRetryAfter/time.Second))) * time.Second
		}
	}
	return he
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

// cleanErr returns err, or a redactedError when its text needs cleaning
// (a secret, control characters, excessive length: errors of the dial path
// quote the URL, whose query holds the ws token, and the server's text).
func (s *Session) cleanErr(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := s.clean(msg)
	if clean == msg {
		return err
	}
	var ne net.Error
	return &redactedError{msg: clean, timeout: errors.As(err, &ne) && ne.Timeout()}
}
