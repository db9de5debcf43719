package events

import "github.com/confwatch/confwatch/internal/wire"

// The fast paths of ParticipantsNotify, WaitingListNotify (which shares its
// shape) and SpeakerChangeNotify: the shapes' elements read with
// wire.Parser, which documents the rules. Whatever these accept must
// decode exactly as the wire structs of decode_shapes.go would; FuzzDecode
// checks that.

// listPayload is a payload that holds one list of entries E.
type listPayload[P, E any] interface {
	*P
	Payload
	list() *[]E
}

func (p *ParticipantsNotify) list() *[]Participant { return &p.Participants }
func (p *WaitingListNotify) list() *[]Participant  { return &p.Members }
func (p *SpeakerChangeNotify) list() *[]Speaker    { return &p.Speakers }

// A list payload holds its first entries in the allocation of its Push:
// one for a participant or waiting-room delta, which seldom carries more,
// three for a speaker change (the server sends the three loudest).
type (
	oneEntry[E any]     [1]E
	threeEntries[E any] [3]E
)

func (a *oneEntry[E]) buf() []E     { return a[:0] }
func (a *threeEntries[E]) buf() []E { return a[:0] }

// fastList returns a fast path that parses a frame with parse into a P
// allocated together with its Push and the inline entries H. parse
// appends the entries to the buffer it is given.
func fastList[P, E, H any, PP listPayload[P, E], PH interface {
	*H
	buf() []E
}](parse func(frame []byte, buf []E) (wire.Envelope, []E, bool)) func(string, []byte) (*Push, bool) {
	return func(action string, frame []byte) (*Push, bool) {
		x := new(struct {
			push    Push
			payload P
			entries H
		})
		env, list, ok := parse(frame, PH(&x.entries).buf())
		if !ok {
			return nil, false
		}
		x.push = head(action, &env, frame)
		x.push.Payload = PP(&x.payload)
		*PP(&x.payload).list() = list
		return &x.push, true
	}
}

// listOf returns the entries parsed into out as the reference decodes
// them: nil for an absent or null data, empty but not nil for [].
func listOf[E any](out []E, set, null bool) []E {
	switch {
	case !set || null:
		return nil
	case out == nil:
		return []E{}
	}
	return out
}

// fastParticipants parses a ParticipantsNotify frame, appending the
// entries to buf.
//
// It and fastWaiting are written out rather than shared through a generic
// helper taking the entry parser as a func value: through a func value the
// Parser and each entry escape to the heap, an allocation per entry.
func fastParticipants(b []byte, buf []Participant) (env wire.Envelope, _ []Participant, ok bool) {
	p := wire.NewParser(b)
	out := buf
	set, null, ok := p.Frame(&env, func() bool {
		var e Participant
		if !participant(&p, &e) {
			return false
		}
		out = append(out, e)
		return true
	})
	return env, listOf(out, set, null), ok
}

// fastWaiting parses a WaitingListNotify frame, as fastParticipants.
func fastWaiting(b []byte, buf []Participant) (env wire.Envelope, _ []Participant, ok bool) {
	p := wire.NewParser(b)
	out := buf
	set, null, ok := p.Frame(&env, func() bool {
		var e Participant
		if !waitingMember(&p, &e) {
			return false
		}
		out = append(out, e)
		return true
	})
	return env, listOf(out, set, null), ok
}

// fastSpeakers parses a SpeakerChangeNotify frame, as fastParticipants.
func fastSpeakers(b []byte, buf []Speaker) (env wire.Envelope, _ []Speaker, ok bool) {
	p := wire.NewParser(b)
	out := buf
	set, null, ok := p.Frame(&env, func() bool {
		var s Speaker
		if !speaker(&p, &s) {
			return false
		}
		out = append(out, s)
		return true
	})
	return env, listOf(out, set, null), ok
}

var (
	participantTags = [...]string{"pid", "mode", "pinfoMap"}
	waitingTags     = [...]string{"pid", "mode", "pinfoMap", "delType"}
)

func participant(p *wire.Parser, e *Participant) bool {
	return p.Object(func(k []byte) bool { return participantField(p, k, e, participantTags[:]) })
}

// waitingMember reads a waiting-room entry: a participant's keys and the
// sample's delType (protocol §5.11).
func waitingMember(p *wire.Parser, e *Participant) bool {
	return p.Object(func(k []byte) bool {
		if string(k) == "delType" {
			return p.Int(&e.DelType)
		}
		return participantField(p, k, e, waitingTags[:])
	})
}

// participantField reads the value of key k of a participant entry; tags
// are every key the entry's wire struct knows.
func participantField(p *wire.Parser, k []byte, e *Participant, tags []string) bool {
	switch string(k) {
	case "pid":
		return p.String(&e.PID)
	case "mode":
		return p.Int(&e.Mode)
	case "pinfoMap":
		return p.StringMap((*map[string]string)(&e.Info), pinfoStrings)
	}
	return p.Unknown(k, tags...)
}

var speakerTags = [...]string{"pid", "name", "speakingVolume"}

func speaker(p *wire.Parser, s *Speaker) bool {
	return p.Object(func(k []byte) bool {
		switch string(k) {
		case "pid":
			return p.String(&s.PID)
		case "name":
			return p.String(&s.Name)
		case "speakingVolume":
			return p.Int(&s.SpeakingVolume)
		}
		return p.Unknown(k, speakerTags[:]...)
	})
}

// pinfoStrings interns pinfoMap keys and common values: a full snapshot
// repeats the same twenty-odd keys and a handful of values for every
// participant.
var pinfoStrings = wire.NewIntern(
	KeyName, KeyTel, KeyRole, KeyState, KeyHand, KeyBroadcast, KeyRollCall,
	KeyShare, KeyAddTime, KeyMute, KeyVideo, KeyAnonymous, KeyLocalRec,
	KeyViewType, KeyWaiting, KeyLoginType, "CLIENT_LOGIN_TYPE",
	"CLIENT_ LOG IN_TYPE", "M", "T", "CAMERASTATE", "ORG_ID", "LOCKED_VIEW",
	"ACCOUNT_ID", "ALLOW_CLIENT_REC", "CLIENT_REC_STATE",
	"CLIENT_CAPABILITIES", "ROLE_SWITCH_OVER", "RTC_USER_ID", "ACCOUNT",
	"IS_COHOST", "IS_SVC", "THIRDACCOUNT", "INVITE_SHARE_STATE",

	"", "0", "1", "2", "3", "Desktop", "Mobile", "Pad", "OtherType", "1,3",
)
