// Package events holds the wire types of Huawei Cloud Meeting's
// meeting-control WebSocket push channel, the decoder for the frames the
// server sends and the encoders for the frames a client sends.
//
// # Server frames
//
// Decode turns one text frame into a Frame:
//
//   - *Push for every "...Notify" push: an Envelope (action, version,
//     createTime, msgID, msgMode, confID), the typed Payload (a pointer to
//     the payload.go struct named after the action, e.g.
//     *ParticipantsNotify), and Raw, the frame itself. Actions this package
//     does not know decode to a *Push with a nil Payload rather than an
//     error, so a client can log and skip them.
//   - *SubscribeReply for the answer to Subscribe.
//   - *HeartBeat for the echo of a client HeartBeat.
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
// "returnDesc ", a SpeakerChangeNotify without data meaning nobody speaks)
// and ignores unknown fields. PInfo.LoginType reads the three spellings of
// the login-type key. Anything else that does not fit a known action's shape
// is an error wrapping ErrMalformed; such errors never quote payload values.
//
// Decode keeps no reference to anything but the frame itself (Push.Raw), and
// does not copy it: the caller must not modify the frame afterwards.
//
// # Client frames
//
// EncodeSubscribe, EncodeHeartBeat and EncodeSubtitleControl build the
// frames a client sends; Sequence makes their zero-padded ms sequence
// strings. Subscribe and ConfControl carry the meeting-control token in
// clear, as the server needs it; those frames are wire bytes only. Every
// secret elsewhere in this package is a secret.Secret, which never prints.
//
// # Dispatch and state
//
// A Mux (see NewMux) is a Handler that dispatches a session's events to
// per-action handlers, each behind its own queue, and package
// events/meeting folds the push stream into a live picture of the meeting.
package events
