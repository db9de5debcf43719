package feed

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/confwatch/confwatch/events"
)

// payloadTypes maps each action events decodes to a new value of its
// payload type: a record's payload is that type marshaled (package
// internal/record), so it decodes back into it.
var payloadTypes = map[string]func() events.Payload{
	events.ActionConfBasicInfo:    func() events.Payload { return new(events.ConfBasicInfoNotify) },
	events.ActionConfDynamicInfo:  func() events.Payload { return new(events.ConfDynamicInfoNotify) },
	events.ActionParticipants:     func() events.Payload { return new(events.ParticipantsNotify) },
	events.ActionAttendees:        func() events.Payload { return new(events.AttendeesNotify) },
	events.ActionSpeakerChange:    func() events.Payload { return new(events.SpeakerChangeNotify) },
	events.ActionNetCondition:     func() events.Payload { return new(events.NetConditionNotify) },
	events.ActionInviteResult:     func() events.Payload { return new(events.InviteResultNotify) },
	events.ActionRealTimeSubtitle: func() events.Payload { return new(events.RealTimeSubtitleNotify) },
	events.ActionWaitingList:      func() events.Payload { return new(events.WaitingListNotify) },
	events.ActionInterpreterGroup: func() events.Payload { return new(events.InterpreterGroupNotify) },
}

// decodePayload decodes a push record's payload into the type of action.
// An action events does not know gives nil, as events.Decode does.
func decodePayload(action string, raw json.RawMessage) (events.Payload, error) {
	mk, ok := payloadTypes[action]
	if !ok {
		return nil, nil
	}
	p := mk()
	var err error
	if sub, ok := p.(*events.RealTimeSubtitleNotify); ok {
		err = decodeSubtitle(raw, sub)
	} else {
		err = json.Unmarshal(raw, p)
	}
	if err != nil {
		return nil, fmt.Errorf("payload of %s: %w", action, err)
	}
	return p, nil
}

// decodeSubtitle reverses RealTimeSubtitleNotify.MarshalJSON, which writes
// beginTime and endTime as ms offsets rather than as a Duration's
// nanoseconds.
func decodeSubtitle(raw json.RawMessage, n *events.RealTimeSubtitleNotify) error {
	type plain events.RealTimeSubtitleNotify // without MarshalJSON
	var w struct {
		*plain
		BeginTime int64 `json:"beginTime"` // shallower: hides plain's
		EndTime   int64 `json:"endTime"`
	}
	w.plain = (*plain)(n)
	if err := json.Unmarshal(raw, &w); err != nil {
		return err
	}
	n.BeginTime, n.EndTime = time.Duration(w.BeginTime)*time.Millisecond, time.Duration(w.EndTime)*time.Millisecond
	return nil
}
