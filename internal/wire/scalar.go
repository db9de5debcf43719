package wire

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"time"
	"unicode/utf8"
)

// Lenient scalars: the field types of the wire structs.
//
// The vendor's pages and samples disagree about scalar types (numbers sent
// as strings and the other way round), so every numeric field accepts a
// JSON number or a string holding one, and every string field accepts a
// JSON number too. JSON null leaves the zero value, as encoding/json does
// for built-in types.
//
// The UnmarshalJSON methods run inside json.Unmarshal, which has already
// validated the whole document, so they may assume a well-formed value.
// They report type mismatches as *json.UnmarshalTypeError, which
// encoding/json then annotates with the field path; Unmarshal turns that
// into an ErrMalformed error naming the field but never the value.

var (
	typeInt64  = reflect.TypeFor[int64]()
	typeString = reflect.TypeFor[string]()
	typeBool   = reflect.TypeFor[bool]()
)

// jsonKind names the kind of the JSON value b for error messages. It never
// returns any part of the value itself.
func jsonKind(b []byte) string {
	if len(b) == 0 {
		return "empty value"
	}
	switch b[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}

func typeError(b []byte, t reflect.Type) error {
	return &json.UnmarshalTypeError{Value: jsonKind(b), Type: t}
}

// Unquote returns the contents of the JSON string literal b (quotes
// included), decoded exactly as encoding/json decodes strings (escapes
// resolved, invalid UTF-8 replaced by U+FFFD). It reports false when b is
// not a valid literal.
func Unquote(b []byte) (string, bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return "", false
	}
	in := b[1 : len(b)-1]
	if bytes.IndexByte(in, '\\') < 0 && utf8.Valid(in) {
		return string(in), true
	}
	var s string // escapes through Unmarshal: declared only on this path
	if err := json.Unmarshal(b, &s); err != nil {
		return "", false
	}
	return s, true
}

// Int is an integer sent as a JSON number or as a string holding one
// ("4", " 4 ", "" for zero). An integral number written with a fraction or
// exponent (4.0, 4e0) is accepted; a fractional one is not.
type Int int64

// UnmarshalJSON implements json.Unmarshaler.
func (n *Int) UnmarshalJSON(b []byte) error {
	if len(b) == 0 {
		return typeError(b, typeInt64)
	}
	var v int64
	var ok bool
	switch b[0] {
	case 'n': // null
		return nil
	case '"':
		var s string
		if s, ok = Unquote(b); ok {
			v, ok = parseInt([]byte(trimSpace(s)), true)
		}
	default:
		if b[0] == '-' || (b[0] >= '0' && b[0] <= '9') {
			v, ok = parseInt(b, false)
		}
	}
	if !ok {
		return typeError(b, typeInt64)
	}
	*n = Int(v)
	return nil
}

func trimSpace(s string) string {
	for len(s) > 0 && IsSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && IsSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// parseInt parses a decimal integer without allocating on the common path.
// emptyZero makes "" parse as 0 (for numbers sent as strings).
func parseInt(b []byte, emptyZero bool) (int64, bool) {
	if len(b) == 0 {
		return 0, emptyZero
	}
	if v, ok := parseSmallInt(b); ok {
		return v, true
	}
	s := string(b)
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || f < -(1<<63) || f >= 1<<63 {
		return 0, false
	}
	return int64(f), true
}

// parseSmallInt parses an optionally signed run of at most 18 digits, which
// cannot overflow; anything else is left to parseInt's slow path.
func parseSmallInt(b []byte) (int64, bool) {
	neg := false
	d := b
	if d[0] == '-' || d[0] == '+' {
		neg = d[0] == '-'
		d = d[1:]
	}
	if len(d) == 0 || len(d) > 18 {
		return 0, false
	}
	var v int64
	for _, c := range d {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

// Time is an epoch-milliseconds timestamp sent as a number or a string.
// Zero, negative or absent means "no time" (the zero time.Time).
type Time struct{ ms Int }

// UnmarshalJSON implements json.Unmarshaler.
func (t *Time) UnmarshalJSON(b []byte) error { return t.ms.UnmarshalJSON(b) }

// Time returns the timestamp, or the zero time.
func (t Time) Time() time.Time {
	if t.ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(int64(t.ms))
}

// Millis is a count of milliseconds that is not an instant (an offset or
// a span), sent as a number or a string holding one. Duration converts it;
// a count too large for a time.Duration is a type error, so that no
// overflow can wrap it round.
type Millis struct{ ms Int }

// maxMillis is the largest count of milliseconds a time.Duration holds.
const maxMillis = math.MaxInt64 / int64(time.Millisecond)

// UnmarshalJSON implements json.Unmarshaler.
func (m *Millis) UnmarshalJSON(b []byte) error {
	v := m.ms // null leaves it, as for Int
	if err := v.UnmarshalJSON(b); err != nil {
		return err
	}
	if v > Int(maxMillis) || v < -Int(maxMillis) {
		return typeError(b, typeInt64)
	}
	m.ms = v
	return nil
}

// Duration returns the count as a time.Duration.
func (m Millis) Duration() time.Duration { return time.Duration(m.ms) * time.Millisecond }

// IntOrBool is an integer that may also be sent as a JSON boolean (true 1,
// false 0) or as a string of either. It types the fields that only the
// vendor's samples show: no table states their type, the samples' values
// read as small integer switches, and a bool in their place must not make
// the whole frame unreadable.
type IntOrBool int64

// UnmarshalJSON implements json.Unmarshaler.
func (n *IntOrBool) UnmarshalJSON(b []byte) error {
	lit := b
	if len(b) > 0 && b[0] == '"' {
		if u, ok := Unquote(b); ok {
			lit = []byte(trimSpace(u))
		}
	}
	switch string(lit) {
	case "true":
		*n = 1
		return nil
	case "false":
		*n = 0
		return nil
	}
	v := Int(*n)
	if err := v.UnmarshalJSON(b); err != nil {
		return err
	}
	*n = IntOrBool(v)
	return nil
}

// String is a string that may also be sent as a JSON number (kept as
// written, e.g. 986112045 → "986112045").
type String string

// UnmarshalJSON implements json.Unmarshaler.
func (s *String) UnmarshalJSON(b []byte) error {
	if len(b) == 0 {
		return typeError(b, typeString)
	}
	switch c := b[0]; {
	case c == 'n':
		return nil
	case c == '"':
		v, ok := Unquote(b)
		if !ok {
			return typeError(b, typeString)
		}
		*s = String(v)
		return nil
	case c == '-' || (c >= '0' && c <= '9'):
		*s = String(b)
		return nil
	}
	return typeError(b, typeString)
}

// Bool is a boolean sent as true/false, 0/1, or a string of either.
type Bool bool

// UnmarshalJSON implements json.Unmarshaler.
func (v *Bool) UnmarshalJSON(b []byte) error {
	lit := string(b)
	if len(b) > 0 && b[0] == '"' {
		u, ok := Unquote(b)
		if !ok {
			return typeError(b, typeBool)
		}
		if u = trimSpace(u); u == "" {
			u = "false"
		}
		lit = u
	} else if lit == "null" {
		return nil
	}
	switch lit {
	case "true", "1":
		*v = true
	case "false", "0":
		*v = false
	default:
		return typeError(b, typeBool)
	}
	return nil
}
