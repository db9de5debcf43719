package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrMalformed is the sentinel every decoding error wraps; package events
// exports it as events.ErrMalformed.
var ErrMalformed = errors.New("events: malformed frame")

// MaxExcerpt caps any piece of a frame quoted in an error.
const MaxExcerpt = 64

// Unmarshal decodes b into the wire struct v and turns any failure into an
// ErrMalformed error that names the frame (name: an action, say) and the
// field, but never a value: values may hold passwords or names.
func Unmarshal(name string, b []byte, v any) error {
	err := json.Unmarshal(b, v)
	if err == nil {
		return nil
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("%w: %s: invalid JSON at offset %d", ErrMalformed, name, se.Offset)
	case errors.As(err, &te):
		got := te.Value
		if i := strings.IndexByte(got, ' '); i >= 0 {
			got = got[:i] // "number 1e999" → "number": no values
		}
		// The path is built from the wire structs' tags (never from map
		// keys); drop the embedded envelope's Go name.
		field := strings.TrimPrefix(te.Field, "Envelope.")
		if field == "" {
			return fmt.Errorf("%w: %s: cannot use JSON %s", ErrMalformed, name, got)
		}
		return fmt.Errorf("%w: %s: field %s: cannot use JSON %s", ErrMalformed, name, excerpt(field), got)
	}
	return fmt.Errorf("%w: %s: invalid payload", ErrMalformed, name)
}

// ScanError explains why FindAction or ActionName gave st, not OK.
func ScanError(frame []byte, st Status) error {
	switch {
	case st == NotObject && json.Valid(frame):
		return fmt.Errorf("%w: not a JSON object", ErrMalformed)
	case st == NoAction && json.Valid(frame):
		return fmt.Errorf("%w: no action", ErrMalformed)
	}
	return fmt.Errorf("%w: not JSON", ErrMalformed)
}

// QuoteExcerpt quotes s, cut so that the quoted form with its "…" fits in
// MaxExcerpt bytes: for naming something that came off the wire.
func QuoteExcerpt(s string) string {
	q := strconv.Quote(s)
	if len(q) <= MaxExcerpt {
		return q
	}
	s = excerptCut(s)
	for {
		q = strconv.Quote(s)
		if len(q)+len("…") <= MaxExcerpt || s == "" {
			return q + "…"
		}
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
}

// excerpt cuts s to at most MaxExcerpt bytes, "…" included.
func excerpt(s string) string {
	if len(s) <= MaxExcerpt {
		return s
	}
	return excerptCut(s) + "…"
}

// excerptCut cuts s on a rune boundary so that it and a "…" fit in
// MaxExcerpt bytes.
func excerptCut(s string) string {
	n := MaxExcerpt - len("…")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
