package token

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"github.com/confwatch/confwatch/secret"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/confwatch/confwatch/internal/scrub"
)

// Bounds on what is read from, and kept of, a server answer. The server is
// trusted to mint tokens, not to be small or printable: a proxy may answer
// with an HTML page of any size, and whatever is kept ends up in logs.
const (
	maxErrorBody = 64 << 10 // bytes of an error body that are read
	maxBody      = 1 << 20  // bytes of a 2xx body that are read
	maxMessage   = 256      // bytes of a message kept in an APIError
	maxRequestID = 128      // bytes of a request id kept
	maxRetry     = 24 * time.Hour
)

// vendorCode is the shape of a vendor code ("MMC.111072065", "100000429",
// "APIGW.0101"); anything else from the server is treated as message text,
// which is redacted and bounded.
var vendorCode = regexp.MustCompile(`^([A-Za-z]{1,16}\.)?[0-9A-Za-z]{1,24}$`)

// newAPIError builds the error for a non-2xx answer. body holds at most
// maxErrorBody bytes; truncated says the server sent more. secrets are the
// values the request carried, removed from every kept string in case the
// server echoes them.
func newAPIError(op string, resp *http.Response, body []byte, truncated bool, now time.Time, known *scrub.Set, secrets []secret.Secret) *APIError {
	code, msg, bodyRID := parseErrorBody(body, truncated)
	if code != "" && !vendorCode.MatchString(code) {
		msg = strings.TrimSpace(code + " " + msg)
		code = ""
	}
	rid := resp.Header.Get("X-Request-Id")
	if rid == "" {
		rid = bodyRID
	}
	return &APIError{
		Op:         op,
		Status:     resp.StatusCode,
		Code:       code,
		Message:    clean(known.Secrets(msg), maxMessage, secrets),
		RequestID:  clean(known.Secrets(rid), maxRequestID, secrets),
		RetryAfter: retryAfter(resp.Header.Get("Retry-After"), now),
	}
}

// parseErrorBody finds code, message and request id in the vendor
// envelope {"error_code","error_msg"} and in the shapes gateways use
// ({"code","message"}, {"error":{...}}, {"error":"..."}). A body that is
// not JSON is described instead.
func parseErrorBody(body []byte, truncated bool) (code, msg, requestID string) {
	trimmed := bytes.TrimSpace(body)
	switch {
	case len(trimmed) == 0:
		return "", "empty body", ""
	case trimmed[0] == '{' && !truncated:
		var m map[string]json.RawMessage
		if json.Unmarshal(trimmed, &m) == nil {
			code, msg, requestID = fromEnvelope(m)
			if code != "" || msg != "" {
				return code, msg, requestID
			}
			return "", "JSON body without an error code: " + string(trimmed), requestID
		}
	}
	prefix := ""
	if truncated {
		prefix = "body over 64 KiB, "
	}
	if looksHTML(trimmed) {
		if title := htmlTitle(trimmed); title != "" {
			return "", prefix + "HTML page: " + title, ""
		}
		return "", prefix + "HTML page", ""
	}
	return "", prefix + "non-JSON body: " + string(trimmed), ""
}

// fromEnvelope reads an error object whose keys are compared without case,
// underscores or surrounding spaces.
func fromEnvelope(m map[string]json.RawMessage) (code, msg, requestID string) {
	norm := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		norm[strings.ReplaceAll(strings.ToLower(strings.TrimSpace(k)), "_", "")] = v
	}
	text := func(keys ...string) string {
		for _, k := range keys {
			if raw, ok := norm[k]; ok {
				var s flexString
				if json.Unmarshal(raw, &s) == nil && s != "" {
					return string(s)
				}
			}
		}
		return ""
	}
	code = text("errorcode", "code")
	msg = text("errormsg", "errormessage", "message", "msg", "description")
	requestID = text("requestid")
	if raw, ok := norm["error"]; ok {
		var inner map[string]json.RawMessage
		if json.Unmarshal(raw, &inner) == nil {
			c, m, r := fromEnvelope(inner)
			code, msg, requestID = cmp.Or(code, c), cmp.Or(msg, m), cmp.Or(requestID, r)
		} else if msg == "" {
			var s flexString
			if json.Unmarshal(raw, &s) == nil {
				msg = string(s)
			}
		}
	}
	return code, msg, requestID
}

func looksHTML(b []byte) bool {
	head := strings.ToLower(string(b[:min(len(b), 512)]))
	return strings.HasPrefix(head, "<!doctype html") || strings.Contains(head, "<html")
}

func htmlTitle(b []byte) string {
	lower := strings.ToLower(string(b))
	start := strings.Index(lower, "<title")
	if start < 0 {
		return ""
	}
	gt := strings.IndexByte(lower[start:], '>')
	if gt < 0 {
		return ""
	}
	start += gt + 1
	end := strings.Index(lower[start:], "</title")
	if end < 0 {
		return ""
	}
	return string(b[start : start+end])
}

// clean makes server text safe to log: the request's secrets removed (in
// every form a server may echo; callers remove every other secret the
// Client has held first), invalid UTF-8 and
// control characters replaced, whitespace collapsed, at most limit bytes
// (cut on a rune boundary, marked with "…").
func clean(s string, limit int, secrets []secret.Secret) string {
	for _, sec := range secrets {
		if !sec.IsZero() {
			s = scrub.Remove(s, scrub.Forms(sec.Reveal())...)
		}
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= limit {
		return s
	}
	cut := limit - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// retryAfter reads a Retry-After header: delay seconds or an HTTP date.
// Garbage gives 0; values are capped at maxRetry so that a broken header
// cannot park a client for years.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(h, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(maxRetry/time.Second) {
			return maxRetry
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(h); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetry)
}

// flexString decodes a JSON string, number or boolean as its text, because
// the vendor's pages disagree on the types of many fields.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*f = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	case b[0] == '{' || b[0] == '[':
		return errors.New("want a string or a number")
	default:
		*f = flexString(b)
	}
	return nil
}

// flexInt decodes a JSON number or a string holding one; "" and null are 0.
type flexInt int64

func (f *flexInt) UnmarshalJSON(b []byte) error {
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	t := strings.TrimSpace(string(s))
	if t == "" {
		*f = 0
		return nil
	}
	if n, err := strconv.ParseInt(t, 10, 64); err == nil {
		*f = flexInt(n)
		return nil
	}
	x, err := strconv.ParseFloat(t, 64)
	if err != nil || x != x || x > 1<<62 || x < -(1<<62) {
		return errors.New("want an integer")
	}
	*f = flexInt(x)
	return nil
}

// flexStrings decodes an array of strings, or one string of
// comma-separated values.
type flexStrings []string

func (f *flexStrings) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var xs []flexString
		if err := json.Unmarshal(b, &xs); err != nil {
			return err
		}
		out := make([]string, 0, len(xs))
		for _, x := range xs {
			if v := strings.TrimSpace(string(x)); v != "" {
				out = append(out, v)
			}
		}
		*f = out
		return nil
	}
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	var out []string
	for _, v := range strings.Split(string(s), ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	*f = out
	return nil
}
