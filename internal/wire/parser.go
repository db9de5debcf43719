package wire

import (
	"encoding/json"
	"slices"
	"unicode/utf8"
)

// Parser is the hot path's decoder: a single-pass, validating parser for
// the plain form of the frames a busy meeting sends many times a second
// (ParticipantsNotify, WaitingListNotify, SpeakerChangeNotify).
//
// encoding/json validates a frame in one pass and decodes it, by
// reflection, in another, and allocates a string for every pinfoMap key and
// value. For those frames that costs more than reading them off the socket,
// so they first go through a Parser, which interns common strings and lets
// the caller build the payload directly.
//
// Every method reports ok == false at the first thing outside that plain
// form: a key spelled differently from the wire struct's tag (which
// encoding/json would still match case-insensitively), a repeated "data",
// a null array element, a scalar of an unexpected type, invalid JSON, and
// so on. The caller then runs the encoding/json path, which stays the
// reference for every frame: whatever a Parser accepts must decode to
// exactly what encoding/json would give (events' FuzzDecode checks this),
// and every error comes from encoding/json.
//
// A Parser is not safe for concurrent use.
type Parser struct {
	b       []byte
	i       int
	mapSize int  // size of the last StringMap, the hint for the next
	strs    strs // where decoded strings are copied to
}

// NewParser returns a Parser at the start of b.
//
// The strings it decodes share memory (chunks of up to 4 KiB, no larger
// than b): a string kept keeps its chunk alive, never b itself.
func NewParser(b []byte) Parser { return Parser{b: b, strs: newStrs(len(b))} }

// maxMapHint caps the size hint, so that one huge map cannot make every
// following one allocate a huge map.
const maxMapHint = 64

func (p *Parser) ws() {
	for p.i < len(p.b) && IsSpace(p.b[p.i]) {
		p.i++
	}
}

// next skips white space and reports whether the current byte is c,
// consuming it if so.
func (p *Parser) next(c byte) bool {
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *Parser) peek() byte {
	p.ws()
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

// strLit consumes a string literal and returns it with its quotes. plain
// reports that its contents are printable ASCII without escapes, i.e. the
// literal's bytes are the string.
func (p *Parser) strLit() (lit []byte, plain, ok bool) {
	b := p.b
	start := p.i
	if start >= len(b) || b[start] != '"' {
		return nil, false, false
	}
	plain = true
	i := start + 1
	for {
		for i < len(b) && plainByte[b[i]] {
			i++
		}
		if i >= len(b) {
			return nil, false, false
		}
		switch c := b[i]; {
		case c == '"':
			p.i = i + 1
			return b[start : i+1], plain, true
		case c == '\\':
			plain = false
			i += 2
		case c < 0x20:
			return nil, false, false
		default: // non-ASCII
			plain = false
			i++
		}
	}
}

// plainByte marks the bytes a plain string literal may hold.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// key consumes an object key and the colon after it. Only plain keys are
// accepted: encoding/json would unescape a key before matching it.
func (p *Parser) key() ([]byte, bool) {
	p.ws()
	lit, plain, ok := p.strLit()
	if !ok || !plain || !p.next(':') {
		return nil, false
	}
	p.ws()
	return lit[1 : len(lit)-1], true
}

// scalar consumes a string, number or literal and returns its bytes.
func (p *Parser) scalar() ([]byte, bool) {
	b, i := p.b, p.i
	if i >= len(b) {
		return nil, false
	}
	switch c := b[i]; {
	case c == '"':
		lit, _, ok := p.strLit()
		return lit, ok
	case c == '-' || (c >= '0' && c <= '9'):
		end := scanNumber(b, i)
		if end < 0 {
			return nil, false
		}
		p.i = end
		return b[i:end], true
	}
	for _, lit := range [...]string{"null", "true", "false"} {
		if len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit {
			p.i = i + len(lit)
			return b[i:p.i], true
		}
	}
	return nil, false
}

// null consumes a JSON null.
func (p *Parser) null() bool {
	raw, ok := p.scalar()
	return ok && string(raw) == "null"
}

// scanNumber returns the end of the JSON number at b[i], or -1.
func scanNumber(b []byte, i int) int {
	if at(b, i, '-') {
		i++
	}
	switch {
	case at(b, i, '0'):
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(b, i)
	default:
		return -1
	}
	if at(b, i, '.') {
		if i = someDigits(b, i+1); i < 0 {
			return -1
		}
	}
	if at(b, i, 'e') || at(b, i, 'E') {
		i++
		if at(b, i, '+') || at(b, i, '-') {
			i++
		}
		i = someDigits(b, i)
	}
	return i
}

func at(b []byte, i int, c byte) bool { return i < len(b) && b[i] == c }

// digits returns the end of the run of digits at b[i].
func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// someDigits is digits for a run that may not be empty; it returns -1 for
// an empty one.
func someDigits(b []byte, i int) int {
	if end := digits(b, i); end > i {
		return end
	}
	return -1
}

// skip consumes any valid JSON value. A value long enough to nest close
// to encoding/json's depth limit (10000, counted from the frame's top) is
// left to the slow path, since validating it alone could not tell.
func (p *Parser) skip() bool {
	if p.i < len(p.b) && p.b[p.i] == '"' {
		lit, plain, ok := p.strLit()
		if ok && !plain {
			_, ok = Unquote(lit) // validates escapes
		}
		return ok
	}
	if p.i < len(p.b) && p.b[p.i] != '{' && p.b[p.i] != '[' {
		_, ok := p.scalar()
		return ok
	}
	end := skipValue(p.b, p.i)
	if end < 0 || end-p.i > 9000 || !json.Valid(p.b[p.i:end]) {
		return false
	}
	p.i = end
	return true
}

// lenient decodes a lenient integer into *n with Int's own rules.
func (p *Parser) lenient(n *Int) bool {
	raw, ok := p.scalar()
	return ok && n.UnmarshalJSON(raw) == nil
}

// Int decodes a value into *n the way encoding/json decodes it into an Int
// field: null leaves *n as it is.
func (p *Parser) Int(n *int) bool {
	v := Int(*n)
	ok := p.lenient(&v)
	*n = int(v)
	return ok
}

// String decodes a value into a Go string field the way encoding/json
// does: a string sets it, null leaves it; anything else is a type error,
// left to the slow path.
func (p *Parser) String(s *string) bool {
	switch p.peek() {
	case '"':
		lit, plain, ok := p.strLit()
		if !ok {
			return false
		}
		if plain {
			*s = p.strs.of(lit[1 : len(lit)-1])
			return true
		}
		*s, ok = Unquote(lit) // validates escapes; replaces invalid UTF-8
		return ok
	case 'n':
		return p.null()
	}
	return false
}

// Object calls field for every key of the object at the current position;
// field must consume the key's value.
func (p *Parser) Object(field func(key []byte) bool) bool {
	if !p.next('{') {
		return false
	}
	if p.next('}') {
		return true
	}
	for {
		k, ok := p.key()
		if !ok || !field(k) {
			return false
		}
		if p.next(',') {
			continue
		}
		return p.next('}')
	}
}

// array calls elem for every element of the array at p.i; null gives
// isNull.
func (p *Parser) array(elem func() bool) (isNull, ok bool) {
	switch p.peek() {
	case 'n':
		return true, p.null()
	case '[':
		p.i++
	default:
		return false, false
	}
	if p.next(']') {
		return false, true
	}
	for {
		p.ws()
		if !elem() {
			return false, false
		}
		if p.next(',') {
			continue
		}
		return false, p.next(']')
	}
}

// Unknown handles a key that none of the wire struct's tags names:
// encoding/json ignores it unless it matches a tag case-insensitively
// (then the Parser gives up), so its value is validated and skipped.
func (p *Parser) Unknown(k []byte, tags ...string) bool {
	for _, t := range tags {
		if asciiEqualFold(k, t) {
			return false
		}
	}
	return p.skip()
}

// asciiEqualFold reports whether k equals t ignoring ASCII case, or k has
// non-ASCII bytes (which encoding/json's Unicode folding might match).
func asciiEqualFold(k []byte, t string) bool {
	for _, c := range k {
		if c >= utf8.RuneSelf {
			return true
		}
	}
	if len(k) != len(t) {
		return false
	}
	for i, c := range k {
		if lower(c) != lower(t[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// StringMap decodes an object of strings into *m like encoding/json into
// a map[string]string (null → nil map, null values → "", a repeated key of
// the enclosing object adds to the map). Keys and values found in intern
// are not allocated again. A new map is sized like the previous one of the
// frame: the entries of a snapshot carry the same keys.
func (p *Parser) StringMap(m *map[string]string, intern *Intern) bool {
	switch p.peek() {
	case 'n':
		*m = nil
		return p.null()
	case '{':
	default:
		return false
	}
	if *m == nil {
		*m = make(map[string]string, p.mapSize)
	}
	mp := *m
	ok := p.Object(func(k []byte) bool {
		key := p.str(intern, k)
		switch p.peek() {
		case '"':
			lit, plain, ok := p.strLit()
			if !ok {
				return false
			}
			if plain {
				mp[key] = p.str(intern, lit[1:len(lit)-1])
				return true
			}
			v, ok := Unquote(lit)
			mp[key] = v
			return ok
		case 'n': // a null value stores ""
			mp[key] = ""
			return p.null()
		}
		return false
	})
	p.mapSize = min(len(mp), maxMapHint)
	return ok
}

// Intern holds strings that decoding returns without allocating. It is a
// small hash table of its own rather than a map: keyed by length and end
// bytes, a lookup costs a comparison or two and no string hashing, which
// matters at 23 lookups per participant of a full snapshot.
type Intern struct{ slots [internSlots][]string }

const internSlots = 256

// NewIntern returns an Intern holding s.
func NewIntern(s ...string) *Intern {
	in := new(Intern)
	for _, v := range s {
		h := internHash(v)
		if !slices.Contains(in.slots[h], v) {
			in.slots[h] = append(in.slots[h], v)
		}
	}
	return in
}

func internHash[T string | []byte](b T) int {
	if len(b) == 0 {
		return 0
	}
	return int((uint(len(b))*31 ^ uint(b[0])*7 ^ uint(b[len(b)-1])) % internSlots)
}

func (in *Intern) lookup(b []byte) (string, bool) {
	for _, s := range in.slots[internHash(b)] {
		if s == string(b) {
			return s, true
		}
	}
	return "", false
}

// str returns b as a string: the interned one if intern holds it.
func (p *Parser) str(intern *Intern, b []byte) string {
	if s, ok := intern.lookup(b); ok {
		return s
	}
	return p.strs.of(b)
}

// Frame parses the whole frame as a push envelope into env, handing the
// elements of the "data" array to elem, which must consume one element
// each. set and null describe "data" (absent: neither).
func (p *Parser) Frame(env *Envelope, elem func() bool) (set, null, ok bool) {
	ok = p.Object(func(k []byte) bool {
		if known, ok := p.envelopeField(k, env); known {
			return ok
		}
		if string(k) == "data" {
			if set {
				return false // a repeated array merges in encoding/json
			}
			set = true
			var ok bool
			null, ok = p.array(elem)
			return ok
		}
		return p.Unknown(k, envelopeTags[:]...)
	})
	if ok {
		p.ws()
		ok = p.i == len(p.b)
	}
	return set, null, ok
}
