package events

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"time"
	"unicode/utf8"
)

// This file holds the lenient scalar types of the wire structs and the
// small byte scanners Decode uses before handing a frame to encoding/json.
//
// The vendor's pages and samples disagree about scalar types (numbers sent
// as strings and the other way round), so every numeric field of a wire
// struct accepts a JSON number or a string holding one, and every string
// field accepts a JSON number too. JSON null leaves the zero value, as
// encoding/json does for built-in types.
//
// The UnmarshalJSON methods run inside json.Unmarshal, which has already
// validated the whole document, so they may assume a well-formed value.
// They report type mismatches as *json.UnmarshalTypeError, which
// encoding/json then annotates with the field path; Decode turns that into
// an ErrMalformed error naming the field but never the value.

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

// unquote returns the contents of the JSON string literal b (quotes
// included), decoded exactly as encoding/json decodes strings (escapes
// resolved, invalid UTF-8 replaced by U+FFFD). b must be a valid literal.
func unquote(b []byte) (string, bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return "", false
	}
	in := b[1 : len(b)-1]
	if bytes.IndexByte(in, '\\') < 0 && utf8.Valid(in) {
		return string(in), true
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return "", false
	}
	return s, true
}

// flexInt is an integer sent as a JSON number or as a string holding one
// ("4", " 4 ", "" for zero). An integral number written with a fraction or
// exponent (4.0, 4e0) is accepted; a fractional one is not.
type flexInt int64

func (n *flexInt) UnmarshalJSON(b []byte) error {
	if len(b) == 0 {
		return typeError(b, typeInt64)
	}
	switch b[0] {
	case 'n': // null
		return nil
	case '"':
		s, ok := unquote(b)
		if !ok {
			return typeError(b, typeInt64)
		}
		v, ok := parseInt([]byte(trimSpace(s)), true)
		if !ok {
			return typeError(b, typeInt64)
		}
		*n = flexInt(v)
		return nil
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		v, ok := parseInt(b, false)
		if !ok {
			return typeError(b, typeInt64)
		}
		*n = flexInt(v)
		return nil
	}
	return typeError(b, typeInt64)
}

func trimSpace(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s[0] == '\r') {
		s = s[1:]
	}
	for len(s) > 0 {
		c := s[len(s)-1]
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			break
		}
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
	neg := false
	d := b
	if d[0] == '-' || d[0] == '+' {
		neg = d[0] == '-'
		d = d[1:]
	}
	if len(d) > 0 && len(d) <= 18 {
		var v int64
		for _, c := range d {
			if c < '0' || c > '9' {
				goto slow
			}
			v = v*10 + int64(c-'0')
		}
		if neg {
			v = -v
		}
		return v, true
	}
slow:
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

// flexTime is an epoch-milliseconds timestamp sent as a number or a string.
// Zero, negative or absent means "no time" (the zero time.Time).
type flexTime struct{ ms flexInt }

func (t *flexTime) UnmarshalJSON(b []byte) error { return t.ms.UnmarshalJSON(b) }

// Time returns the timestamp, or the zero time.
func (t flexTime) Time() time.Time { return msTime(int64(t.ms)) }

func msTime(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// flexString is a string that may also be sent as a JSON number (kept as
// written, e.g. 986112045 → "986112045").
type flexString string

func (s *flexString) UnmarshalJSON(b []byte) error {
	if len(b) == 0 {
		return typeError(b, typeString)
	}
	switch b[0] {
	case 'n':
		return nil
	case '"':
		v, ok := unquote(b)
		if !ok {
			return typeError(b, typeString)
		}
		*s = flexString(v)
		return nil
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		*s = flexString(b)
		return nil
	}
	return typeError(b, typeString)
}

// flexBool is a boolean sent as true/false, 0/1, or a string of either.
type flexBool bool

func (v *flexBool) UnmarshalJSON(b []byte) error {
	lit := string(b)
	if len(b) > 0 && b[0] == '"' {
		u, ok := unquote(b)
		if !ok {
			return typeError(b, typeBool)
		}
		switch trimSpace(u) {
		case "true", "1":
			*v = true
		case "false", "0", "":
			*v = false
		default:
			return typeError(b, typeBool)
		}
		return nil
	}
	switch lit {
	case "null":
	case "true", "1":
		*v = true
	case "false", "0":
		*v = false
	default:
		return typeError(b, typeBool)
	}
	return nil
}

// ---- byte scanners ----
//
// These do not validate JSON: json.Unmarshal does that afterwards. They are
// exact on valid JSON and never panic or loop on anything else.

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// skipString returns the index just past the string literal starting at
// b[i] == '"', or -1 when it is not terminated.
func skipString(b []byte, i int) int {
	i++
	for {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return -1
		}
		i += j
		// Count the backslashes before the quote: an odd count escapes it.
		k := i - 1
		for k >= 0 && b[k] == '\\' {
			k--
		}
		if (i-1-k)%2 == 0 {
			return i + 1
		}
		i++
	}
}

// skipValue returns the index just past the JSON value starting at b[i],
// or -1.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				if i < 0 {
					return -1
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	}
	start := i
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ':', ' ', '\t', '\n', '\r', '"', '{', '[':
			if i == start {
				return -1
			}
			return i
		}
		i++
	}
	return i
}

// Results of findAction besides success.
const (
	scanOK = iota
	scanNotObject
	scanNoAction
	scanBad // not JSON
)

// findAction returns the string value of the first top-level "action" key
// of the object b (a key with surrounding spaces counts too), without
// decoding anything else. It stops at the key, so a frame that starts with
// its action (as all vendor frames do) costs a few bytes of scanning.
func findAction(b []byte) (string, int) {
	i := skipSpace(b, 0)
	if i >= len(b) {
		return "", scanBad
	}
	if b[i] != '{' {
		if skipValue(b, i) > 0 {
			return "", scanNotObject
		}
		return "", scanBad
	}
	i++
	for {
		i = skipSpace(b, i)
		if i >= len(b) {
			return "", scanBad
		}
		if b[i] == '}' {
			return "", scanNoAction
		}
		if b[i] != '"' {
			return "", scanBad
		}
		end := skipString(b, i)
		if end < 0 {
			return "", scanBad
		}
		key := b[i:end]
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return "", scanBad
		}
		i = skipSpace(b, i+1)
		if isActionKey(key) {
			if i >= len(b) || b[i] != '"' {
				return "", scanNoAction
			}
			vend := skipString(b, i)
			if vend < 0 {
				return "", scanBad
			}
			if s, ok := knownActions[string(b[i+1:vend-1])]; ok {
				return s, scanOK // no allocation for the usual names
			}
			for _, c := range b[i+1 : vend-1] {
				if c < 0x20 {
					return "", scanBad // JSON strings hold no control bytes
				}
			}
			s, ok := unquote(b[i:vend])
			if !ok {
				return "", scanBad
			}
			if s == "" {
				return "", scanNoAction
			}
			return s, scanOK
		}
		i = skipValue(b, i)
		if i < 0 {
			return "", scanBad
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return "", scanBad
		}
		switch b[i] {
		case ',':
			i++
		case '}':
			return "", scanNoAction
		default:
			return "", scanBad
		}
	}
}

// knownActions interns the action names Decode dispatches on.
var knownActions = internSet(append(KnownActions(), ActionSubscribe, ActionHeartBeat)...)

// isActionKey reports whether the key literal (quotes included) is
// "action", possibly escaped or with surrounding spaces.
func isActionKey(lit []byte) bool {
	if string(lit) == `"action"` {
		return true
	}
	if len(lit) < 8 || len(lit) > 64 {
		return false
	}
	s, ok := unquote(lit)
	return ok && trimKeySpace(s) == "action"
}

func trimKeySpace(s string) string {
	for len(s) > 0 && s[0] == ' ' {
		s = s[1:]
	}
	for len(s) > 0 && s[len(s)-1] == ' ' {
		s = s[:len(s)-1]
	}
	return s
}

// trimKeys returns b with the surrounding spaces removed from every object
// key ("returnDesc " → "returnDesc"), at any depth. It returns b itself when
// no key needs it, and leaves keys holding escapes alone. A string literal
// followed by ':' is a key; the rewrite keeps a valid document valid and an
// invalid one invalid.
func trimKeys(b []byte) []byte {
	var out []byte
	last := 0
	i := 0
	for {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			break
		}
		i += j
		end := skipString(b, i)
		if end < 0 {
			break
		}
		in := b[i+1 : end-1]
		if len(in) > 0 && (in[0] == ' ' || in[len(in)-1] == ' ') && bytes.IndexByte(in, '\\') < 0 {
			if k := skipSpace(b, end); k < len(b) && b[k] == ':' {
				if out == nil {
					out = make([]byte, 0, len(b))
				}
				out = append(out, b[last:i+1]...)
				out = append(out, bytes.Trim(in, " ")...)
				out = append(out, '"')
				last = end
			}
		}
		i = end
	}
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}
