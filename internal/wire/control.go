package wire

import (
	"encoding/json"
	"fmt"
)

// The server's frames that are not pushes: the answer to Subscribe and the
// echo of a HeartBeat. Only the connector reads them.

// Actions of the frames a client sends, and of the server's answers to
// Subscribe and HeartBeat.
const (
	ActionSubscribe   = "Subscribe"
	ActionHeartBeat   = "HeartBeat"
	ActionConfControl = "ConfControl"
)

// SubscribeReply is the server's answer to Subscribe.
type SubscribeReply struct {
	Sequence   string
	ReturnCode int
	ReturnDesc string
}

// OK reports whether the subscription was accepted.
func (r *SubscribeReply) OK() bool { return r.ReturnCode == 0 }

// HeartBeat is the server's echo of a client HeartBeat.
type HeartBeat struct {
	Sequence string
}

type wireSubscribeReply struct {
	Sequence String             `json:"sequence"`
	Data     *wireSubscribeData `json:"data"`
}

// wireSubscribeData is the reply's result object. The server sends an
// object; a JSON string holding the object (the way the client sends its
// Subscribe data) is accepted too.
type wireSubscribeData struct {
	ReturnCode *Int   `json:"returnCode"`
	ReturnDesc String `json:"returnDesc"`
}

type wireSubscribeDataObj wireSubscribeData

func (d *wireSubscribeData) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || b[0] != '"' {
		return json.Unmarshal(b, (*wireSubscribeDataObj)(d))
	}
	s, ok := Unquote(b)
	if !ok {
		return typeError(b, typeString)
	}
	inner := TrimKeys([]byte(s))
	if i := SkipSpace(inner, 0); i >= len(inner) || inner[i] != '{' {
		return typeError(b, typeString)
	}
	if err := json.Unmarshal(inner, (*wireSubscribeDataObj)(d)); err != nil {
		if _, ok := err.(*json.UnmarshalTypeError); ok {
			return err
		}
		return typeError(b, typeString) // a string, but not an object's JSON
	}
	return nil
}

// DecodeSubscribeReply decodes a frame whose action is Subscribe, leniently
// as events.Decode decodes pushes (keys with surrounding spaces, numbers as
// strings, data as an object or a string holding one). Errors wrap
// ErrMalformed.
func DecodeSubscribeReply(frame []byte) (*SubscribeReply, error) {
	var w wireSubscribeReply
	if err := Unmarshal(ActionSubscribe, TrimKeys(frame), &w); err != nil {
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
}

// DecodeHeartBeat decodes a frame whose action is HeartBeat. Errors wrap
// ErrMalformed.
func DecodeHeartBeat(frame []byte) (*HeartBeat, error) {
	var w struct {
		Sequence String `json:"sequence"`
	}
	if err := Unmarshal(ActionHeartBeat, TrimKeys(frame), &w); err != nil {
		return nil, err
	}
	return &HeartBeat{Sequence: string(w.Sequence)}, nil
}
