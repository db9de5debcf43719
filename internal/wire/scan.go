package wire

import "bytes"

// Byte scanners. They do not validate JSON: json.Unmarshal or the Parser
// does that afterwards. They are exact on valid JSON and never panic or
// loop on anything else.

// IsSpace reports whether c is JSON white space.
func IsSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// SkipSpace returns the index of the first byte at or after i that is not
// white space.
func SkipSpace(b []byte, i int) int {
	for i < len(b) && IsSpace(b[i]) {
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
		return skipNested(b, i)
	}
	start := i
	for ; i < len(b); i++ {
		switch b[i] {
		case ',', '}', ']', ':', ' ', '\t', '\n', '\r', '"', '{', '[':
			if i == start {
				return -1
			}
			return i
		}
	}
	return i
}

// skipNested returns the index just past the object or array starting at
// b[i], or -1.
func skipNested(b []byte, i int) int {
	depth := 0
	for i < len(b) {
		switch b[i] {
		case '"':
			if i = skipString(b, i); i < 0 {
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

// Status is the outcome of FindAction.
type Status int

// FindAction's outcomes.
const (
	OK        Status = iota
	NotObject        // valid JSON, but not an object
	NoAction         // an object without a non-empty string "action"
	Bad              // not JSON
)

// FindAction returns the literal (quotes included) of the string value of
// the first top-level "action" key of the object b, a key with surrounding
// spaces or escapes counting too, without decoding anything else. It stops
// at the key, so a frame that starts with its action (as all vendor frames
// do) costs a few bytes of scanning. ActionName turns the literal into the
// action.
func FindAction(b []byte) ([]byte, Status) {
	i := SkipSpace(b, 0)
	if i >= len(b) {
		return nil, Bad
	}
	if b[i] != '{' {
		if skipValue(b, i) > 0 {
			return nil, NotObject
		}
		return nil, Bad
	}
	i++
	for {
		key, v, st := member(b, i)
		if st != OK {
			return nil, st
		}
		if isActionKey(key) {
			return actionLiteral(b, v)
		}
		if i, st = nextMember(b, v); st != OK {
			return nil, st
		}
	}
}

// member reads the key of the object member at b[i] (white space first)
// and its colon, and returns the key's literal and where its value starts.
func member(b []byte, i int) (key []byte, value int, st Status) {
	i = SkipSpace(b, i)
	switch {
	case i >= len(b):
		return nil, 0, Bad
	case b[i] == '}':
		return nil, 0, NoAction
	case b[i] != '"':
		return nil, 0, Bad
	}
	end := skipString(b, i)
	if end < 0 {
		return nil, 0, Bad
	}
	j := SkipSpace(b, end)
	if j >= len(b) || b[j] != ':' {
		return nil, 0, Bad
	}
	return b[i:end], SkipSpace(b, j+1), OK
}

// nextMember skips the value at b[i] and the comma after it, and returns
// where the next member starts.
func nextMember(b []byte, i int) (int, Status) {
	if i = skipValue(b, i); i < 0 {
		return 0, Bad
	}
	if i = SkipSpace(b, i); i >= len(b) {
		return 0, Bad
	}
	switch b[i] {
	case ',':
		return i + 1, OK
	case '}':
		return 0, NoAction
	}
	return 0, Bad
}

// actionLiteral returns the string literal at b[i], the action's value.
func actionLiteral(b []byte, i int) ([]byte, Status) {
	if i >= len(b) || b[i] != '"' {
		return nil, NoAction
	}
	end := skipString(b, i)
	if end < 0 {
		return nil, Bad
	}
	return b[i:end], OK
}

// ActionName decodes the literal FindAction returned.
func ActionName(lit []byte) (string, Status) {
	for _, c := range lit {
		if c < 0x20 {
			return "", Bad // JSON strings hold no control bytes
		}
	}
	s, ok := Unquote(lit)
	if !ok {
		return "", Bad
	}
	if s == "" {
		return "", NoAction
	}
	return s, OK
}

// isActionKey reports whether the key literal (quotes included) is
// "action", possibly escaped or with surrounding spaces.
func isActionKey(lit []byte) bool {
	if string(lit) == `"action"` {
		return true
	}
	if len(lit) < 8 || len(lit) > 64 {
		return false
	}
	s, ok := Unquote(lit)
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

// TrimKeys returns b with the surrounding spaces removed from every object
// key ("returnDesc " → "returnDesc"), at any depth. It returns b itself when
// no key needs it, and leaves keys holding escapes alone. A string literal
// followed by ':' is a key; the rewrite keeps a valid document valid and an
// invalid one invalid.
func TrimKeys(b []byte) []byte {
	var out []byte
	last := 0
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			break
		}
		i += j
		end := skipString(b, i)
		if end < 0 {
			break
		}
		if in := b[i+1 : end-1]; needsTrim(b, in, end) {
			if out == nil {
				out = make([]byte, 0, len(b))
			}
			out = append(out, b[last:i+1]...)
			out = append(out, bytes.Trim(in, " ")...)
			out = append(out, '"')
			last = end
		}
		i = end
	}
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}

// needsTrim reports whether the string literal with contents in, ending at
// b[end], is a key with surrounding spaces and no escapes.
func needsTrim(b, in []byte, end int) bool {
	if len(in) == 0 || (in[0] != ' ' && in[len(in)-1] != ' ') || bytes.IndexByte(in, '\\') >= 0 {
		return false
	}
	k := SkipSpace(b, end)
	return k < len(b) && b[k] == ':'
}
