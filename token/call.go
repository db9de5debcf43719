package token

import (
	"context"
	"fmt"
	"github.com/confwatch/confwatch/secret"
	"net/http"
	"net/url"
	"strings"
)

// ControlRequest is one meeting-control REST call (package control builds
// them; REST reference §2.1). It holds no secret: Do adds the control
// token.
type ControlRequest struct {
	// Op names the call in errors and logs, e.g. "mute participant".
	Op string
	// Method is GET, PUT or POST.
	Method string
	// Path is the path below the base URL, e.g.
	// "/v1/mmc/control/conferences/mute".
	Path string
	// Query holds the query parameters besides conferenceID, which Do
	// always sends. Nil means none.
	Query url.Values
	// Body is the JSON body. Nil sends none.
	Body []byte
}

// Do sends r for the Provider's meeting, authorised by ctl's token in
// X-Conference-Authorization, with the Client's HTTP client, base URL,
// timeout, User-Agent and logging, and returns the body of a 2xx answer
// (at most 1 MiB). A non-2xx answer is an *APIError, with the token and
// the host password scrubbed from every string kept of it.
//
// Do makes exactly one request: it neither obtains nor renews ctl. A
// caller that gets ErrUnauthorized decides whether to Invalidate ctl and
// try again with a fresh Control.
func (p *Provider) Do(ctx context.Context, ctl *Control, r ControlRequest) ([]byte, error) {
	op := strings.TrimSpace(r.Op)
	if op == "" {
		op = "control call"
	}
	switch {
	case ctl == nil || ctl.Token.IsZero():
		return nil, fmt.Errorf("token: %s: empty control token", op)
	case !strings.HasPrefix(r.Path, "/"):
		return nil, fmt.Errorf("token: %s: path %q is not absolute", op, r.Path)
	}
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	resp, err := p.c.do(ctx, request{
		op:           op,
		method:       method,
		path:         r.Path,
		conferenceID: p.id,
		query:        r.Query,
		body:         r.Body,
		// Every control call says JSON, GET and body-less PUT included,
		// as the vendor's SDK does (REST reference §2.1).
		header: map[string]string{"Content-Type": "application/json"},
		secret: map[string]secret.Secret{"X-Conference-Authorization": ctl.Token},
		scrub:  []secret.Secret{p.password},
	})
	if err != nil {
		return nil, err
	}
	return resp.body, nil
}
