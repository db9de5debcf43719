package events

import (
	"encoding/json"
	"unicode/utf8"
)

// The hot path: ParticipantsNotify, SpeakerChangeNotify and (sharing the
// participants shape) WaitingListNotify.
//
// encoding/json validates a frame in one pass and decodes it, by
// reflection, in another, and allocates a string for every pinfoMap key and
// value. For the frames a busy meeting sends many times a second that costs
// more than reading them off the socket, so these three actions first go
// through fastParser: a single-pass, validating parser for the plain form
// of exactly these shapes, which interns the pinfoMap keys and common
// values and builds the payload directly.
//
// fastParser gives up (ok == false) at the first thing outside that plain
// form: a key spelled differently from the wire struct's tag (which
// encoding/json would still match case-insensitively), a repeated "data",
// a null array element, a scalar of an unexpected type, invalid JSON, and
// so on. Decode then runs the encoding/json path, which stays the
// reference for every frame: whatever fastParser accepts decodes to
// exactly what encoding/json would give (FuzzDecode checks this), and every
// error comes from encoding/json.

type fastParser struct {
	b         []byte
	i         int
	pinfoSize int // size of the last pinfoMap, the hint for the next
}

// maxPinfoHint caps the size hint, so that one huge pinfoMap cannot make
// every following entry allocate a huge map.
const maxPinfoHint = 64

func (p *fastParser) ws() {
	for p.i < len(p.b) && isSpace(p.b[p.i]) {
		p.i++
	}
}

// next skips white space and reports whether the current byte is c,
// consuming it if so.
func (p *fastParser) next(c byte) bool {
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *fastParser) peek() byte {
	p.ws()
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

// strLit consumes a string literal and returns it with its quotes. plain
// reports that its contents are printable ASCII without escapes, i.e. the
// literal's bytes are the string.
func (p *fastParser) strLit() (lit []byte, plain, ok bool) {
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

// str consumes a string literal and returns its value, as encoding/json
// would decode it.
func (p *fastParser) str() (string, bool) {
	lit, plain, ok := p.strLit()
	if !ok {
		return "", false
	}
	if plain {
		return string(lit[1 : len(lit)-1]), true
	}
	return unquote(lit) // validates escapes; replaces invalid UTF-8
}

// key consumes an object key and the colon after it. Only plain keys are
// accepted: encoding/json would unescape a key before matching it.
func (p *fastParser) key() ([]byte, bool) {
	p.ws()
	lit, plain, ok := p.strLit()
	if !ok || !plain || !p.next(':') {
		return nil, false
	}
	p.ws()
	return lit[1 : len(lit)-1], true
}

// scalar consumes a string, number or literal and returns its bytes.
func (p *fastParser) scalar() ([]byte, bool) {
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

// scanNumber returns the end of the JSON number at b[i], or -1.
func scanNumber(b []byte, i int) int {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return -1
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return -1
		}
	}
	return i
}

// skip consumes any valid JSON value. A value long enough to nest close
// to encoding/json's depth limit (10000, counted from the frame's top) is
// left to the slow path, since validating it alone could not tell.
func (p *fastParser) skip() bool {
	if p.i < len(p.b) && p.b[p.i] == '"' {
		lit, plain, ok := p.strLit()
		if ok && !plain {
			_, ok = unquote(lit) // validates escapes
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

// flexInt decodes a lenient integer into *n with flexInt's own rules.
func (p *fastParser) flexInt(n *flexInt) bool {
	raw, ok := p.scalar()
	return ok && n.UnmarshalJSON(raw) == nil
}

// plainString decodes a value into a Go string field the way encoding/json
// does: a string sets it, null leaves it; anything else is a type error,
// left to the slow path.
func (p *fastParser) plainString(s *string) bool {
	switch p.peek() {
	case '"':
		v, ok := p.str()
		*s = v
		return ok
	case 'n':
		_, ok := p.scalar()
		return ok
	}
	return false
}

// object calls field for every key of the object at p.i.
func (p *fastParser) object(field func(key []byte) bool) bool {
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
func (p *fastParser) array(elem func() bool) (isNull, ok bool) {
	switch p.peek() {
	case 'n':
		raw, ok := p.scalar()
		return true, ok && string(raw) == "null"
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

// unknownKey handles a key no field of the wire struct is tagged with:
// encoding/json ignores it unless it matches a tag case-insensitively
// (then fastParser gives up), so its value is validated and skipped.
func (p *fastParser) unknownKey(k []byte, tags ...string) bool {
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
		d := t[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if 'A' <= d && d <= 'Z' {
			d += 'a' - 'A'
		}
		if c != d {
			return false
		}
	}
	return true
}

var envelopeTags = [...]string{"version", "createTime", "msgID", "msgMode", "confID", "data"}

// envelopeField decodes an envelope key; known reports whether k was one.
func (p *fastParser) envelopeField(k []byte, w *wireEnvelope) (known, ok bool) {
	switch string(k) {
	case "version":
		return true, p.flexInt(&w.Version)
	case "createTime":
		return true, p.flexInt(&w.CreateTime.ms)
	case "msgMode":
		return true, p.flexInt(&w.MsgMode)
	case "msgID", "confID":
		raw, ok := p.scalar()
		if !ok {
			return true, false
		}
		if string(k) == "msgID" {
			return true, w.MsgID.UnmarshalJSON(raw) == nil
		}
		return true, w.ConfID.UnmarshalJSON(raw) == nil
	}
	return false, true
}

// frame parses the top-level object: envelope fields into env, the "data"
// array through elem. dataSet/dataNull describe "data" (absent: neither).
func (p *fastParser) frame(env *wireEnvelope, elem func() bool) (dataSet, dataNull, ok bool) {
	ok = p.object(func(k []byte) bool {
		if known, ok := p.envelopeField(k, env); known {
			return ok
		}
		if string(k) == "data" {
			if dataSet {
				return false // a repeated array merges in encoding/json
			}
			dataSet = true
			var ok bool
			dataNull, ok = p.array(elem)
			return ok
		}
		return p.unknownKey(k, envelopeTags[:]...)
	})
	if ok {
		p.ws()
		ok = p.i == len(p.b)
	}
	return dataSet, dataNull, ok
}

// fastParticipants parses a ParticipantsNotify or WaitingListNotify frame
// into env and the entry list. The list is nil for an absent or null data
// and empty but not nil for [].
func fastParticipants(b []byte, env *wireEnvelope) ([]Participant, bool) {
	p := fastParser{b: b}
	var out []Participant
	set, null, ok := p.frame(env, func() bool {
		var e Participant
		if !p.participant(&e) {
			return false
		}
		out = append(out, e)
		return true
	})
	if !ok {
		return nil, false
	}
	if set && !null && out == nil {
		out = []Participant{}
	}
	return out, true
}

var participantTags = [...]string{"pid", "mode", "pinfoMap"}

func (p *fastParser) participant(e *Participant) bool {
	if p.peek() != '{' {
		return false // null elements and type errors: slow path
	}
	return p.object(func(k []byte) bool {
		switch string(k) {
		case "pid":
			return p.plainString(&e.PID)
		case "mode":
			m := flexInt(e.Mode)
			ok := p.flexInt(&m)
			e.Mode = int(m)
			return ok
		case "pinfoMap":
			return p.pinfo(&e.Info)
		}
		return p.unknownKey(k, participantTags[:]...)
	})
}

// pinfo decodes a pinfoMap into *m like encoding/json (null → nil map, a
// repeated pinfoMap adds to the map). A new map is sized like the previous
// one of the frame: the entries of a snapshot carry the same keys.
func (p *fastParser) pinfo(m *PInfo) bool {
	if p.peek() == 'n' {
		raw, ok := p.scalar()
		*m = nil
		return ok && string(raw) == "null"
	}
	if p.peek() != '{' {
		return false
	}
	if *m == nil {
		*m = make(PInfo, p.pinfoSize)
	}
	mp := *m
	ok := p.object(func(k []byte) bool {
		key := internKey(k)
		switch p.peek() {
		case '"':
			lit, plain, ok := p.strLit()
			if !ok {
				return false
			}
			if plain {
				mp[key] = internValue(lit[1 : len(lit)-1])
				return true
			}
			v, ok := unquote(lit)
			mp[key] = v
			return ok
		case 'n': // a null value stores ""
			raw, ok := p.scalar()
			mp[key] = ""
			return ok && string(raw) == "null"
		}
		return false
	})
	p.pinfoSize = min(len(mp), maxPinfoHint)
	return ok
}

// fastSpeakers parses a SpeakerChangeNotify frame.
func fastSpeakers(b []byte, env *wireEnvelope) ([]Speaker, bool) {
	p := fastParser{b: b}
	var out []Speaker
	set, null, ok := p.frame(env, func() bool {
		var s Speaker
		if !p.speaker(&s) {
			return false
		}
		if out == nil {
			out = make([]Speaker, 0, 3) // the server sends the three loudest
		}
		out = append(out, s)
		return true
	})
	if !ok {
		return nil, false
	}
	if set && !null && out == nil {
		out = []Speaker{}
	}
	return out, true
}

var speakerTags = [...]string{"pid", "name", "speakingVolume"}

func (p *fastParser) speaker(s *Speaker) bool {
	if p.peek() != '{' {
		return false
	}
	return p.object(func(k []byte) bool {
		switch string(k) {
		case "pid":
			return p.plainString(&s.PID)
		case "name":
			return p.plainString(&s.Name)
		case "speakingVolume":
			v := flexInt(s.SpeakingVolume)
			ok := p.flexInt(&v)
			s.SpeakingVolume = int(v)
			return ok
		}
		return p.unknownKey(k, speakerTags[:]...)
	})
}

// Interned pinfoMap keys and values: a full snapshot repeats the same
// twenty-odd keys and a handful of values for every participant.
var (
	internedKeys = internSet(
		KeyName, KeyTel, KeyRole, KeyState, KeyHand, KeyBroadcast, KeyRollCall,
		KeyShare, KeyAddTime, KeyMute, KeyVideo, KeyAnonymous, KeyLocalRec,
		KeyViewType, KeyWaiting, KeyLoginType, "CLIENT_LOGIN_TYPE",
		"CLIENT_ LOG IN_TYPE", "M", "T", "CAMERASTATE", "ORG_ID", "LOCKED_VIEW",
		"ACCOUNT_ID", "ALLOW_CLIENT_REC", "CLIENT_REC_STATE",
		"CLIENT_CAPABILITIES", "ROLE_SWITCH_OVER", "RTC_USER_ID", "ACCOUNT",
		"IS_COHOST", "IS_SVC", "THIRDACCOUNT", "INVITE_SHARE_STATE",
	)
	internedValues = internSet(
		"", "0", "1", "2", "3", "Desktop", "Mobile", "Pad", "OtherType", "1,3",
	)
)

func internSet(s ...string) map[string]string {
	m := make(map[string]string, len(s))
	for _, v := range s {
		m[v] = v
	}
	return m
}

func internKey(b []byte) string {
	if s, ok := internedKeys[string(b)]; ok {
		return s
	}
	return string(b)
}

func internValue(b []byte) string {
	if s, ok := internedValues[string(b)]; ok {
		return s
	}
	return string(b)
}
