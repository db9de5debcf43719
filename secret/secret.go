package secret

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
)

// Redacted is what a Secret shows instead of its value.
const Redacted = "REDACTED"

// Secret holds a password or a token. It renders as REDACTED in fmt verbs
// (%s %v %+v %#v %q), in slog output and in JSON; the value is available
// only through Reveal, so that a secret cannot reach a log line or an error
// by accident.
//
// The zero value is the empty secret.
//
// The value is held behind a pointer: fmt cannot call Format on a Secret
// in an unexported field of a larger struct (a Provider inside a Session,
// say), and it would print a string field there raw; a pointer it prints
// as an address.
type Secret struct {
	p *string
}

// New wraps s.
func New(s string) Secret {
	if s == "" {
		return Secret{}
	}
	return Secret{p: &s}
}

// Reveal returns the raw value. Call it only where the value is put on the
// wire.
func (s Secret) Reveal() string {
	if s.p == nil {
		return ""
	}
	return *s.p
}

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.Reveal() == "" }

// String returns REDACTED, or "" for the empty secret.
func (s Secret) String() string {
	if s.IsZero() {
		return ""
	}
	return Redacted
}

// GoString implements fmt.GoStringer for %#v.
func (s Secret) GoString() string { return `secret.Secret("` + s.String() + `")` }

// Format implements fmt.Formatter so that every verb is redacted.
func (s Secret) Format(f fmt.State, verb rune) {
	switch verb {
	case 'v':
		if f.Flag('#') {
			fmt.Fprint(f, s.GoString())
			return
		}
		fmt.Fprint(f, s.String())
	case 'q':
		fmt.Fprintf(f, "%q", s.String())
	default:
		fmt.Fprint(f, s.String())
	}
}

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON encodes the secret as "REDACTED" (or "" when empty).
func (s Secret) MarshalJSON() ([]byte, error) {
	return []byte(`"` + s.String() + `"`), nil
}

// MarshalText encodes the secret as REDACTED (or empty), for encoders
// that prefer text.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalJSON accepts a JSON string (or null) as the secret's value, so
// wire types can hold secrets directly.
func (s *Secret) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*s = Secret{}
		return nil
	}
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return errors.New("secret: want a JSON string")
	}
	*s = New(v)
	return nil
}
