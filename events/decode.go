package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrMalformed is wrapped by every error Decode returns: the frame is not a
// JSON object, has no action, or a known action's payload has a shape that
// no documented variant explains. Test for it with errors.Is.
//
// The wrapping errors name the action and, where known, the field, but
// never carry payload values (which may include passwords or names).
var ErrMalformed = errors.New("events: malformed frame")

// maxExcerpt caps any piece of a frame quoted in an error.
const maxExcerpt = 64

// Decode decodes one server text frame into a *Push, a *SubscribeReply or a
// *HeartBeat.
//
// Pushes of the actions listed by KnownActions get their typed payload
// (Push.Payload holds *ParticipantsNotify for "ParticipantsNotify", and so
// on); any other action is not an error: it yields a *Push with a nil
// Payload, whose Raw still holds the frame. The frame "Subscribe" yields a
// *SubscribeReply and "HeartBeat" a *HeartBeat.
//
// Decode is lenient about the vendor's documented inconsistencies: numbers
// sent as strings and strings sent as numbers, ms timestamps as strings,
// alternative key spellings (errorCode/resultCode, orgId/orgID,
// groupId/groupID, data/interpreterGroups), a missing SpeakerChangeNotify
// data (nobody speaking), and unknown fields. A missing or null payload
// decodes as an empty payload (nil slices). Keys with surrounding spaces
// ("returnDesc ", "msgs ") are trimmed in every known frame except
// ParticipantsNotify, WaitingListNotify and SpeakerChangeNotify, the
// high-rate pushes, whose pinfoMap keys are kept exactly as sent.
//
// Decode does not copy frame: Push.Raw is frame itself, and payload values
// never alias it. The caller must not modify frame (or reuse its buffer for
// the next read) while the returned Push is in use.
//
// Decode is safe for concurrent use. Errors wrap ErrMalformed.
func Decode(frame []byte) (Frame, error) { return decode(frame, true) }

// decode is Decode; fast false skips the fast path (decode_fast.go), which
// the tests use as the reference.
func decode(frame []byte, fast bool) (Frame, error) {
	action, st := findAction(frame)
	if st != scanOK {
		return nil, scanError(frame, st)
	}
	switch action {
	case ActionParticipants, ActionWaitingList:
		var env wireEnvelope
		if fast {
			if list, ok := fastParticipants(frame, &env); ok {
				if action == ActionWaitingList {
					return waitingPush(env.envelope(action), frame, list), nil
				}
				p, pl := newPush[ParticipantsNotify](env.envelope(action), frame)
				pl.Participants = list
				return p, nil
			}
		}
		var w wireParticipants
		if err := unmarshal(action, frame, &w); err != nil {
			return nil, err
		}
		if action == ActionWaitingList {
			return &Push{Envelope: w.envelope(action), Payload: w.toWaitingList(), Raw: frame}, nil
		}
		return &Push{Envelope: w.envelope(action), Payload: w.toParticipants(), Raw: frame}, nil
	case ActionSpeakerChange:
		if fast {
			var env wireEnvelope
			if list, ok := fastSpeakers(frame, &env); ok {
				p, pl := newPush[SpeakerChangeNotify](env.envelope(action), frame)
				pl.Speakers = list
				return p, nil
			}
		}
		var w wireSpeakers
		if err := unmarshal(action, frame, &w); err != nil {
			return nil, err
		}
		return &Push{Envelope: w.envelope(action), Payload: w.payload(), Raw: frame}, nil

	// The remaining shapes are small and infrequent; their keys are
	// trimmed of surrounding spaces first (the vendor's samples show
	// "returnDesc ", "msgs ", "isFinal " ...). The hot paths above and the
	// pinfoMap-carrying WaitingListNotify are left alone: pinfoMap keys are
	// kept exactly as sent.
	case ActionConfBasicInfo:
		var w wireConfBasic
		if err := unmarshal(action, trimKeys(frame), &w); err != nil {
			return nil, err
		}
		return &Push{Envelope: w.envelope(action), Payload: w.payload(), Raw: frame}, nil
	case ActionConfDynamicInfo:
		var w wireConfDynamic
		if err := unmarshal(action, trimKeys(frame), &w); err != nil {
			return nil, err
		}
		return &Push{Envelope: w.envelope(action), Payload: w.payload(), Raw: frame}, nil
	case ActionAttendees:
		var w wireAttendees
		if err := unmarshal(action, trimKeys(frame), &w); err != nil {
			return nil, err
		}
		return &Push{Envelope: w.envelope(action), Payload: w.payload(), Raw: frame}, nil
	case ActionNetCondition:
		var w wireNetConditions
		if err := unmarshal(action, trimKeys(frame), &w); err != nil {
			return nil, err
		}
		return &Push{Envelope: w.envelope(action), Payload: w.payload(), Raw: frame}, nil
	case ActionInviteResult:
		var w wireInviteResults
		if err := unmarshal(action, trimKeys(frame), &w); err != nil {
			return nil, err
		}
		return &Push{Envelope: w.envelope(action), Payload: w.payload(), Raw: frame}, nil
	case ActionRealTimeSubtitle:
		var w wireSubtitle
		if err := unmarshal(action, trimKeys(frame), &w); err != nil {
			return nil, err
		}
		return &Push{Envelope: w.envelope(action), Payload: w.payload(), Raw: frame}, nil
	case ActionInterpreterGroup:
		var w wireInterpreterGroups
		if err := unmarshal(action, trimKeys(frame), &w); err != nil {
			return nil, err
		}
		return &Push{Envelope: w.envelope(action), Payload: w.payload(), Raw: frame}, nil

	case ActionSubscribe:
		var w wireSubscribeReply
		if err := unmarshal(action, trimKeys(frame), &w); err != nil {
			return nil, err
		}
		if w.Data == nil {
			return nil, fmt.Errorf("%w: Subscribe reply: no data", ErrMalformed)
		}
		if w.Data.ReturnCode == nil {
			return nil, fmt.Errorf("%w: Subscribe reply: no data.returnCode", ErrMalformed)
		}
		return &SubscribeReply{
			Sequence:   string(w.Sequence),
			ReturnCode: int(*w.Data.ReturnCode),
			ReturnDesc: string(w.Data.ReturnDesc),
		}, nil
	case ActionHeartBeat:
		var w wireHeartBeat
		if err := unmarshal(action, trimKeys(frame), &w); err != nil {
			return nil, err
		}
		return &HeartBeat{Sequence: string(w.Sequence)}, nil
	}

	// An action this package does not know: keep the envelope and Raw.
	var w wireEnvelope
	if err := unmarshal(action, frame, &w); err != nil {
		return nil, err
	}
	return &Push{Envelope: w.envelope(action), Raw: frame}, nil
}

// newPush allocates a Push and its payload together.
func newPush[P any, PP interface {
	*P
	Payload
}](env Envelope, raw []byte) (*Push, *P) {
	x := new(struct {
		push    Push
		payload P
	})
	x.push = Push{Envelope: env, Payload: PP(&x.payload), Raw: raw}
	return &x.push, &x.payload
}

func waitingPush(env Envelope, raw []byte, list []Participant) *Push {
	p, pl := newPush[WaitingListNotify](env, raw)
	pl.Members = list
	return p
}

// unmarshal decodes b into the wire struct v and turns any failure into an
// ErrMalformed error that names the action and field but not the value.
func unmarshal(action string, b []byte, v any) error {
	err := json.Unmarshal(b, v)
	if err == nil {
		return nil
	}
	name := actionName(action)
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
		field := strings.ReplaceAll(te.Field, "wireEnvelope.", "")
		if field == "" {
			return fmt.Errorf("%w: %s: cannot use JSON %s", ErrMalformed, name, got)
		}
		return fmt.Errorf("%w: %s: field %s: cannot use JSON %s", ErrMalformed, name, excerpt(field), got)
	}
	return fmt.Errorf("%w: %s: invalid payload", ErrMalformed, name)
}

// actionName renders an action for an error: a known action as is, any
// other quoted and cut to maxExcerpt bytes (it comes off the wire).
func actionName(action string) string {
	switch action {
	case ActionConfBasicInfo, ActionConfDynamicInfo, ActionParticipants,
		ActionAttendees, ActionSpeakerChange, ActionNetCondition,
		ActionInviteResult, ActionRealTimeSubtitle, ActionWaitingList,
		ActionInterpreterGroup, ActionSubscribe, ActionHeartBeat:
		return action
	}
	return "action " + quoteExcerpt(action)
}

// quoteExcerpt quotes s, cut so that the quoted form with its "…" fits in
// maxExcerpt bytes.
func quoteExcerpt(s string) string {
	q := strconv.Quote(s)
	if len(q) <= maxExcerpt {
		return q
	}
	s = excerptCut(s)
	for {
		q = strconv.Quote(s)
		if len(q)+len("…") <= maxExcerpt || s == "" {
			return q + "…"
		}
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
}

// excerpt cuts s to at most maxExcerpt bytes, "…" included.
func excerpt(s string) string {
	if len(s) <= maxExcerpt {
		return s
	}
	return excerptCut(s) + "…"
}

// excerptCut cuts s on a rune boundary so that it and a "…" fit in
// maxExcerpt bytes.
func excerptCut(s string) string {
	n := maxExcerpt - len("…")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// scanError explains why findAction found no action.
func scanError(frame []byte, st int) error {
	switch {
	case st == scanNotObject && json.Valid(frame):
		return fmt.Errorf("%w: not a JSON object", ErrMalformed)
	case st == scanNoAction && json.Valid(frame):
		return fmt.Errorf("%w: no action", ErrMalformed)
	}
	return fmt.Errorf("%w: not JSON", ErrMalformed)
}
