// Package wire is the byte level of the meeting-control push channel,
// shared by events (which decodes pushes) and connector (which speaks the
// rest of the protocol). Nothing here is part of confwatch's API.
//
//   - scan.go: byte scanners that find a frame's action without decoding
//     it (FindAction, ActionName) and trim the stray spaces the vendor puts
//     around keys (TrimKeys).
//   - scalar.go: lenient scalar types for wire structs (Int, String, Bool,
//     Time) that accept the vendor's numbers-as-strings and back.
//   - parser.go, envelope.go: the hot path's single-pass Parser and the
//     push Envelope it fills.
//   - error.go: ErrMalformed and Unmarshal, which turns encoding/json's
//     errors into ones that name the field but never carry a value.
//   - control.go: the Subscribe reply and HeartBeat echo the connector
//     reads (DecodeSubscribeReply, DecodeHeartBeat; events.Decode passes
//     them through undecoded).
//   - client.go: the frames a client sends (EncodeSubscribe,
//     EncodeHeartBeat, EncodeSubtitleControl, Sequence).
//
// Everything is safe for concurrent use except a Parser, which one
// goroutine uses for one frame.
package wire
