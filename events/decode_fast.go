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

// fastList returns a fast path that parses a frame with parse and puts the
// entries into a P allocated together with its Push.
func fastList[P, E any, PP listPayload[P, E]](parse func(frame []byte) (wire.Envelope, []E, bool)) func(string, []byte) (*Push, bool) {
	return func(action string, frame []byte) (*Push, bool) {
		env, list, ok := parse(frame)
		if !ok {
			return nil, false
		}
		p, pl := newPush[P, PP](head(action, &env, frame))
		*PP(pl).list() = list
		return p, true
	}
}

// fastParticipants parses a ParticipantsNotify frame. The list is nil
// for an absent or null data and empty but not nil for [].
//
// It and fastWaiting are written out rather than shared through a generic
// helper taking the entry parser as a func value: through a func value the
// Parser and each entry escape to the heap, an allocation per entry.
func fastParticipants(b []byte) (env wire.Envelope, out []Participant, ok bool) {
	p := wire.NewParser(b)
	set, null, ok := p.Frame(&env, func() bool {
		var e Participant
		if !participant(&p, &e) {
			return false
		}
		out = append(out, e)
		return true
	})
	if set && !null && out == nil {
		out = []Participant{}
	}
	return env, out, ok
}

// fastWaiting parses a WaitingListNotify frame, as fastParticipants.
func fastWaiting(b []byte) (env wire.Envelope, out []Participant, ok bool) {
	p := wire.NewParser(b)
	set, null, ok := p.Frame(&env, func() bool {
		var e Participant
		if !waitingMember(&p, &e) {
			return false
		}
		out = append(out, e)
		return true
	})
	if set && !null && out == nil {
		out = []Participant{}
	}
	return env, out, ok
}

// fastSpeakers parses a SpeakerChangeNotify frame.
func fastSpeakers(b []byte) (env wire.Envelope, out []Speaker, ok bool) {
	p := wire.NewParser(b)
	set, null, ok := p.Frame(&env, func() bool {
		var s Speaker
		if !speaker(&p, &s) {
			return false
		}
		if out == nil {
			out = make([]Speaker, 0, 3) // the server sends the three loudest
		}
		out = append(out, s)
		return true
	})
	if set && !null && out == nil {
		out = []Speaker{}
	}
	return env, out, ok
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
