package events

import "github.com/confwatch/confwatch/internal/wire"

// ErrMalformed is wrapped by every error Decode returns: the frame is not a
// JSON object, has no action, or a known action's payload has a shape that
// no documented variant explains. Test for it with errors.Is.
//
// The wrapping errors name the action and, where known, the field, but
// never carry payload values (which may include passwords or names).
var ErrMalformed = wire.ErrMalformed

// Decode decodes one server push.
//
// Pushes of the actions listed by KnownActions get their typed payload
// (Push.Payload holds *ParticipantsNotify for "ParticipantsNotify", and so
// on); any other action is not an error: it yields a *Push with a nil
// Payload, whose Raw still holds the frame. The server's answer to
// Subscribe and its HeartBeat echo are not pushes: Decode returns them as a
// *Push with only Action and Raw set, neither decoded nor validated, for
// the connector, which reads them itself and never delivers them.
//
// Decode is lenient about the vendor's documented inconsistencies: numbers
// sent as strings and strings sent as numbers, ms timestamps as strings,
// alternative key spellings (errorCode/resultCode, orgId/orgID,
// groupId/groupID, data/interpreterGroups), a missing SpeakerChangeNotify
// data (nobody speaking), and unknown fields. A missing or null payload
// decodes as an empty payload (nil slices). Keys with surrounding spaces
// ("returnDesc ", "msgs ") are trimmed in every known push except
// ParticipantsNotify, WaitingListNotify and SpeakerChangeNotify, the
// high-rate pushes, whose pinfoMap keys are kept exactly as sent.
//
// Decode does not copy frame: Push.Raw is frame itself, and payload values
// never alias it. The caller must not modify frame (or reuse its buffer for
// the next read) while the returned Push is in use. The strings of a
// high-rate push share blocks of at most 4 KiB, so a string kept from it
// keeps at most its block alive.
//
// Decode is safe for concurrent use. Errors wrap ErrMalformed.
func Decode(frame []byte) (*Push, error) { return decode(frame, true) }

// decode is Decode; fast false skips the fast paths (decode_fast.go),
// which the tests use as the reference.
func decode(frame []byte, fast bool) (*Push, error) {
	lit, st := wire.FindAction(frame)
	if st != wire.OK {
		return nil, wire.ScanError(frame, st)
	}
	// The usual spelling of a known action is found without allocating;
	// any other is unquoted first (it may be a known one, escaped).
	d := decoders[string(lit[1:len(lit)-1])]
	if d == nil {
		action, st := wire.ActionName(lit)
		if st != wire.OK {
			return nil, wire.ScanError(frame, st)
		}
		if d = decoders[action]; d == nil {
			return decodeUnknown(action, frame)
		}
	}
	if fast && d.fast != nil {
		if p, ok := d.fast(d.action, frame); ok {
			return p, nil
		}
	}
	return d.slow(d.action, frame)
}

// A decoder decodes the frames of one known action.
type decoder struct {
	action string
	// slow decodes with encoding/json into the action's wire struct
	// (decode_shapes.go); it is the reference and the source of every
	// error.
	slow func(action string, frame []byte) (*Push, error)
	// fast, when set, is tried first; ok false hands the frame to slow.
	fast func(action string, frame []byte) (p *Push, ok bool)
}

// decoderList is the table of known actions, in KnownActions' order. The
// high-rate pushes keep their keys as sent and have a fast path; the rest
// have stray spaces trimmed from their keys (the vendor's samples show
// "returnDesc ", "msgs ", "isFinal " ...).
var decoderList = [...]decoder{
	shape[wireConfBasic, *ConfBasicInfoNotify](keysTrimmed),
	shape[wireConfDynamic, *ConfDynamicInfoNotify](keysTrimmed),
	shape[wireParticipants, *ParticipantsNotify](keysAsSent).withFast(fastList[ParticipantsNotify, Participant, oneEntry[Participant]](fastParticipants)),
	shape[wireAttendees, *AttendeesNotify](keysTrimmed),
	shape[wireSpeakers, *SpeakerChangeNotify](keysAsSent).withFast(fastList[SpeakerChangeNotify, Speaker, threeEntries[Speaker]](fastSpeakers)),
	shape[wireNetConditions, *NetConditionNotify](keysTrimmed),
	shape[wireInviteResults, *InviteResultNotify](keysTrimmed),
	shape[wireSubtitle, *RealTimeSubtitleNotify](keysTrimmed),
	shape[wireWaitingList, *WaitingListNotify](keysAsSent).withFast(fastList[WaitingListNotify, Participant, oneEntry[Participant]](fastWaiting)),
	shape[wireInterpreterGroups, *InterpreterGroupNotify](keysTrimmed),
}

// controlDecoders pass the connector's own frames through undecoded, so
// that its reader finds a frame's action with one scan, Decode's.
var controlDecoders = [...]decoder{
	{action: wire.ActionSubscribe, slow: actionOnly},
	{action: wire.ActionHeartBeat, slow: actionOnly},
}

// decoders indexes decoderList and controlDecoders by action.
var decoders = func() map[string]*decoder {
	m := make(map[string]*decoder, len(decoderList)+len(controlDecoders))
	for i := range decoderList {
		m[decoderList[i].action] = &decoderList[i]
	}
	for i := range controlDecoders {
		m[controlDecoders[i].action] = &controlDecoders[i]
	}
	return m
}()

func actionOnly(action string, frame []byte) (*Push, error) {
	return &Push{Action: action, Raw: frame}, nil
}

// KnownActions lists every push type this package decodes, in a stable
// order. It is the default subscription.
func KnownActions() []string {
	out := make([]string, len(decoderList))
	for i := range decoderList {
		out[i] = decoderList[i].action
	}
	return out
}

// keyForm says whether a frame's keys are trimmed of surrounding spaces
// before decoding.
type keyForm bool

const (
	keysAsSent  keyForm = false
	keysTrimmed keyForm = true
)

// wireShape is the pointer type of a wire struct W that embeds the
// envelope and converts to payload P.
type wireShape[W any, P Payload] interface {
	*W
	Head() *wire.Envelope
	payload() P
}

// shape returns the decoder of the frames whose wire struct is W and whose
// payload is P; P names the action.
func shape[W any, P Payload, PW wireShape[W, P]](keys keyForm) decoder {
	var zero P
	return decoder{
		action: zero.action(),
		slow: func(action string, frame []byte) (*Push, error) {
			b := frame
			if keys == keysTrimmed {
				b = wire.TrimKeys(frame)
			}
			var w W
			if err := wire.Unmarshal(action, b, &w); err != nil {
				return nil, err
			}
			pw := PW(&w)
			p := head(action, pw.Head(), frame)
			p.Payload = pw.payload()
			return &p, nil
		},
	}
}

// withFast returns d with the fast path f.
func (d decoder) withFast(f func(action string, frame []byte) (*Push, bool)) decoder {
	d.fast = f
	return d
}

// decodeUnknown keeps the envelope and Raw of an action this package does
// not know.
func decodeUnknown(action string, frame []byte) (*Push, error) {
	var w wire.Envelope
	if err := wire.Unmarshal("action "+wire.QuoteExcerpt(action), frame, &w); err != nil {
		return nil, err
	}
	p := head(action, &w, frame)
	return &p, nil
}

// head is the Push of frame with its envelope's fields and no payload.
func head(action string, w *wire.Envelope, frame []byte) Push {
	return Push{
		Raw:        frame,
		frameLen:   len(frame),
		Action:     action,
		Version:    int64(w.Version),
		CreateTime: w.CreateTime.Time(),
		MsgID:      string(w.MsgID),
		Mode:       Mode(w.MsgMode),
		ConfID:     string(w.ConfID),
	}
}
