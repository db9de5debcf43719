package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/confwatch/confwatch/secret"
)

// Client frames. The vendor wants the "data" of Subscribe and ConfControl
// as a JSON-encoded string of an object, not as an object.
//
// The frames returned by EncodeSubscribe and EncodeSubtitleControl carry
// the meeting-control token in clear, because the server needs it: they
// are wire bytes, to be written to the socket and dropped, never logged or
// put into an error.

// MaxSubtitleSpeakers is the most speaker IDs a SubtitleControl may name.
const MaxSubtitleSpeakers = 4

// sequenceDigits is the width of a sequence string.
const sequenceDigits = 30

// Sequence returns the ms timestamp of t zero-padded to 30 digits, the form
// the vendor's samples use for client "sequence" values, e.g.
// "000000000000000001736153012345". Times before 1970 give all zeros.
func Sequence(t time.Time) string {
	ms := t.UnixMilli()
	if ms < 0 {
		ms = 0
	}
	s := strconv.FormatInt(ms, 10)
	return strings.Repeat("0", sequenceDigits-len(s)) + s
}

type clientFrame struct {
	Action   string `json:"action"`
	Sequence string `json:"sequence"`
	Type     string `json:"type,omitempty"`
	Data     string `json:"data,omitempty"`
}

type subscribeData struct {
	ConferenceID  string   `json:"conferenceID"`
	SubscribeType []string `json:"subscribeType"`
	ConfToken     string   `json:"confToken"`
}

// EncodeSubscribe returns the Subscribe frame for conferenceID and the push
// types, authenticated by confToken, which is sent as is (Reveal): pass
// "Basic <base64>" if that form is wanted.
//
// The frame holds the token in clear: write it to the socket only.
func EncodeSubscribe(seq, conferenceID string, types []string, confToken secret.Secret) ([]byte, error) {
	if seq == "" {
		return nil, errors.New("events: subscribe: empty sequence")
	}
	if conferenceID == "" {
		return nil, errors.New("events: subscribe: empty conference ID")
	}
	if len(types) == 0 {
		return nil, errors.New("events: subscribe: no subscribe types")
	}
	for _, t := range types {
		if t == "" {
			return nil, errors.New("events: subscribe: empty subscribe type")
		}
	}
	if confToken.IsZero() {
		return nil, errors.New("events: subscribe: empty confToken")
	}
	data, err := marshal(subscribeData{
		ConferenceID:  conferenceID,
		SubscribeType: types,
		ConfToken:     confToken.Reveal(),
	})
	if err != nil {
		return nil, errors.New("events: subscribe: cannot encode data")
	}
	return marshal(clientFrame{Action: ActionSubscribe, Sequence: seq, Data: string(data)})
}

// EncodeHeartBeat returns the frame {"action":"HeartBeat","sequence":seq}.
// The server echoes the sequence back (see DecodeHeartBeat).
func EncodeHeartBeat(seq string) []byte {
	b, err := marshal(clientFrame{Action: ActionHeartBeat, Sequence: seq})
	if err != nil {
		panic("events: cannot encode HeartBeat: " + err.Error()) // strings always encode
	}
	return b
}

// SubtitleControl is the content of a ConfControl frame of type
// REALTIMESUBTITLE: connector.SubtitleControl with the meeting's ID and
// control token.
type SubtitleControl struct {
	ConferenceID string
	ConfToken    secret.Secret
	On           bool
	SubtitleType int
	SISProperty  string
	SpeakerIDs   []string
}

// subtitleData sends isSubtitle and subtitleType as JSON strings ("1",
// "0"), as the vendor's own sample frame does; the field table calls them
// integers (protocol §4.3), and a server that reads the sample's form is
// the one we know exists.
type subtitleData struct {
	ConferenceID string   `json:"conferenceID"`
	ConfToken    string   `json:"confToken"`
	IsSubtitle   string   `json:"isSubtitle"`
	SubtitleType string   `json:"subtitleType"`
	SISProperty  string   `json:"sisProperty,omitempty"`
	ID           []string `json:"id,omitempty"`
}

// ActionConfControl's type for captions.
const confControlSubtitle = "REALTIMESUBTITLE"

// EncodeSubtitleControl returns the ConfControl frame for c. No reply frame
// is documented.
//
// The frame holds the token in clear: write it to the socket only.
func EncodeSubtitleControl(seq string, c SubtitleControl) ([]byte, error) {
	if seq == "" {
		return nil, errors.New("events: subtitle control: empty sequence")
	}
	if c.ConferenceID == "" {
		return nil, errors.New("events: subtitle control: empty conference ID")
	}
	if c.ConfToken.IsZero() {
		return nil, errors.New("events: subtitle control: empty confToken")
	}
	if len(c.SpeakerIDs) > MaxSubtitleSpeakers {
		return nil, errors.New("events: subtitle control: more than " +
			strconv.Itoa(MaxSubtitleSpeakers) + " speaker IDs")
	}
	d := subtitleData{
		ConferenceID: c.ConferenceID,
		ConfToken:    c.ConfToken.Reveal(),
		IsSubtitle:   "0",
		SubtitleType: strconv.Itoa(c.SubtitleType),
		SISProperty:  c.SISProperty,
		ID:           c.SpeakerIDs,
	}
	if c.On {
		d.IsSubtitle = "1"
	}
	data, err := marshal(d)
	if err != nil {
		return nil, errors.New("events: subtitle control: cannot encode data")
	}
	return marshal(clientFrame{
		Action:   ActionConfControl,
		Sequence: seq,
		Type:     confControlSubtitle,
		Data:     string(data),
	})
}

// marshal encodes v compactly without HTML escaping (the server gets "&",
// not "\u0026") and without the Encoder's trailing newline.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
