// Package events holds the typed pushes of Huawei Cloud Meeting's
// meeting-control WebSocket channel, the ordered stream of events a
// session delivers (pushes plus lifecycle), and Mux, which fans that
// stream out to per-action handlers.
//
//	mux := events.NewMux(nil)
//	defer mux.Close(ctx)
//	events.On(mux, func(ctx context.Context, p *events.Push, n *events.ParticipantsNotify) {
//		for _, e := range n.Participants { /* e.PID, e.Info.HandRaised() … */ }
//	}, events.HandlerOptions{Name: "hands"})
//	// Give mux to a connector.Session as its handler: the session calls
//	// mux.HandleEvent for every event, in order.
//
// # What is where
//
//   - event.go: Event, the stream's items: *Push, and the lifecycle events
//     *Subscribed, *Disconnected and *Resubscribed; Handler.
//   - payload.go, pinfo.go: Payload, the closed set of typed payloads, one
//     struct per push action (*ParticipantsNotify for
//     "ParticipantsNotify", ...), and PInfo, a participant's pinfoMap with
//     typed accessors.
//   - decode.go: Decode, one table entry per known action;
//     decode_shapes.go: the wire struct of each action and its conversion
//     to the payload; decode_fast.go: the fast path of the high-rate
//     pushes. The byte-level detail (lenient scalars, scanners, the fast
//     parser, sanitized errors) is in internal/wire, shared with the
//     connector, which also finds there the Subscribe reply, the HeartBeat
//     echo and the encoders of the frames a client sends.
//   - mux.go: Mux, Handle, HandleAll, HandleLifecycle, On;
//     mux_registration.go: one registration's goroutine and overflow
//     policy; mux_queue.go: its bounded queue.
//
// # Pushes
//
// Decode turns one server text frame into a *Push: the envelope's fields
// (action, version, createTime, msgID, msgMode, confID), the typed Payload and Raw,
// the frame itself. Actions this package does not know decode to a *Push
// with a nil Payload rather than an error, so a client can log and skip
// them.
//
// Full snapshots (Mode ModeFull) carry a ms-timestamp Version; deltas
// (ModeDelta) carry a per-type counter. A ParticipantsNotify or
// WaitingListNotify delta holds only the pinfoMap keys that changed: merge
// them with PInfo.Merge, and drop the entry when Removed reports true.
//
// The vendor's documentation and samples disagree on many scalar types and
// key spellings. Decode accepts every variant the protocol notes list
// (numbers as strings and back, ms timestamps as strings, errorCode or
// resultCode, orgId or orgID, groupId or groupID, the interpreter groups
// under data or interpreterGroups, keys with stray spaces such as
// "msgs ", a SpeakerChangeNotify without data meaning nobody speaks) and
// ignores unknown fields. PInfo.LoginType reads the three spellings of the
// login-type key. Anything else that does not fit a known action's shape
// is an error wrapping ErrMalformed; such errors never quote payload
// values.
//
// Every field the protocol notes name has a typed home, the ones that only
// the vendor's sample frames show included (the audience, pause and
// waiting-room fields of ConfDynamicInfoNotify, the video packet loss of
// NetConditionNotify, a waiting-room entry's delType, ...); no table gives
// their types, so those read as 0/1 switches also accept a JSON boolean.
// Push.Raw is left for actions this package does not know and for keys no
// page names. Millisecond instants become time.Time; the caption offsets
// of RealTimeSubtitleNotify (BeginTime, EndTime) become time.Duration.
//
// Decode keeps no reference to anything but the frame itself (Push.Raw),
// and does not copy it: the caller must not modify the frame afterwards.
// Every secret in a payload is a secret.Secret, which never prints.
//
// # Concurrency
//
// Decode is safe for concurrent use. A decoded Push is immutable and may be
// shared by any number of handlers, which must not modify it. Every Mux
// method is safe for concurrent use; each registration's handler runs on
// its own goroutine, one event at a time, in the order HandleEvent
// received them.
//
// # Left to the caller
//
// This package neither connects nor keeps state: connector keeps a session
// subscribed and feeds a Handler, and package events/meeting folds the
// pushes into a live picture of the meeting, repairing it after gaps.
package events
