package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/secret"
)

const testToken = "stb4e1c9a07d2b84f6a91e3c5d7b0a2f48c6e1d3b5a7f9c0e2d"

var thirtyDigits = regexp.MustCompile(`^[0-9]{30}$`)

// pushTypes stands in for events.KnownActions, which this package cannot
// import.
var pushTypes = []string{"ConfBasicInfoNotify", "ParticipantsNotify", "SpeakerChangeNotify"}

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func TestSequence(t *testing.T) {
	at := time.UnixMilli(1736153012345)
	eq(t, "Sequence", Sequence(at), "000000000000000001736153012345")
	eq(t, "Sequence(epoch)", Sequence(time.Unix(0, 0)), strings.Repeat("0", 30))
	eq(t, "Sequence(before 1970)", Sequence(time.Unix(-5, 0)), strings.Repeat("0", 30))
	if s := Sequence(time.Now()); !thirtyDigits.MatchString(s) {
		t.Errorf("Sequence(now) = %q, want 30 digits", s)
	}
	// Sequences sort like the times they encode.
	if a, b := Sequence(at), Sequence(at.Add(time.Millisecond)); !(a < b) {
		t.Errorf("%s !< %s", a, b)
	}
}

// decodeClientFrame decodes an encoded client frame into its outer fields
// and, when data is a JSON string, the object it holds.
func decodeClientFrame(t *testing.T, b []byte) (outer map[string]json.RawMessage, inner map[string]any) {
	t.Helper()
	if err := json.Unmarshal(b, &outer); err != nil {
		t.Fatalf("frame is not a JSON object: %v\n%s", err, b)
	}
	if raw, ok := outer["data"]; ok {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatalf("data is not a JSON string: %s", raw)
		}
		if err := json.Unmarshal([]byte(s), &inner); err != nil {
			t.Fatalf("data string is not a JSON object: %v: %s", err, s)
		}
	}
	return outer, inner
}

func str(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("%s is not a JSON string", raw)
	}
	return s
}

func TestEncodeSubscribe(t *testing.T) {
	seq := Sequence(time.UnixMilli(1736153012345))
	tok := secret.New("Basic " + testToken + "&<>")
	b, err := EncodeSubscribe(seq, "986112045", pushTypes, tok)
	if err != nil {
		t.Fatal(err)
	}
	outer, inner := decodeClientFrame(t, b)
	eq(t, "keys", len(outer), 3)
	eq(t, "action", str(t, outer["action"]), ActionSubscribe)
	eq(t, "sequence", str(t, outer["sequence"]), seq)
	eq(t, "inner keys", len(inner), 3)
	eq(t, "conferenceID", inner["conferenceID"], any("986112045"))
	eq(t, "confToken", inner["confToken"], any(tok.Reveal()))
	types, _ := inner["subscribeType"].([]any)
	if fmt.Sprint(types) != fmt.Sprint(pushTypes) {
		t.Errorf("subscribeType = %v, want %v", types, pushTypes)
	}
	// The token is wire data: it is in the frame in clear, unescaped.
	if !strings.Contains(string(b), testToken+"&<>") {
		t.Errorf("frame does not carry the raw token: %s", b)
	}
	if !strings.HasPrefix(string(b), `{"action":"Subscribe","sequence":"`+seq+`","data":"{\"conferenceID\":\"986112045\"`) {
		t.Errorf("unexpected frame layout: %s", b)
	}
}

func TestEncodeSubscribeErrors(t *testing.T) {
	tok := secret.New(testToken)
	cases := map[string]func() ([]byte, error){
		"EmptySequence":     func() ([]byte, error) { return EncodeSubscribe("", "1", pushTypes, tok) },
		"EmptyConferenceID": func() ([]byte, error) { return EncodeSubscribe("1", "", pushTypes, tok) },
		"NoTypes":           func() ([]byte, error) { return EncodeSubscribe("1", "1", nil, tok) },
		"EmptyType":         func() ([]byte, error) { return EncodeSubscribe("1", "1", []string{""}, tok) },
		"NoToken":           func() ([]byte, error) { return EncodeSubscribe("1", "1", pushTypes, secret.Secret{}) },
	}
	for name, f := range cases {
		b, err := f()
		if err == nil || b != nil {
			t.Errorf("%s: got %s, %v; want an error", name, b, err)
			continue
		}
		if strings.Contains(err.Error(), testToken) {
			t.Errorf("%s: error reveals the token: %v", name, err)
		}
	}
}

func TestEncodeHeartBeat(t *testing.T) {
	seq := Sequence(time.Now())
	b := EncodeHeartBeat(seq)
	eq(t, "frame", string(b), `{"action":"HeartBeat","sequence":"`+seq+`"}`)
	outer, _ := decodeClientFrame(t, b)
	got := str(t, outer["sequence"])
	if !thirtyDigits.MatchString(got) {
		t.Errorf("sequence %q is not 30 digits", got)
	}
	// The server echoes the frame; DecodeHeartBeat reads the echo back.
	hb, err := DecodeHeartBeat(b)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "echo", hb.Sequence, seq)
}

func TestEncodeSubtitleControl(t *testing.T) {
	tok := secret.New(testToken)
	c := SubtitleControl{
		ConferenceID: "986112045",
		ConfToken:    tok,
		On:           true,
		SubtitleType: 1,
		SISProperty:  "chinese_16k_general",
		SpeakerIDs:   []string{"q7m2xk9c4tz1w8d5r0yb6n3hv2pe7sfa", "f2n8ra5kz0c1v7yq4wx9m3dt6ub8hgle"},
	}
	b, err := EncodeSubtitleControl("000000000000000001736153012345", c)
	if err != nil {
		t.Fatal(err)
	}
	outer, inner := decodeClientFrame(t, b)
	eq(t, "action", str(t, outer["action"]), ActionConfControl)
	eq(t, "type", str(t, outer["type"]), "REALTIMESUBTITLE")
	eq(t, "sequence", str(t, outer["sequence"]), "000000000000000001736153012345")
	eq(t, "conferenceID", inner["conferenceID"], any("986112045"))
	eq(t, "confToken", inner["confToken"], any(testToken))
	// Strings, as the vendor's sample sends them (protocol §4.3).
	eq(t, "isSubtitle", inner["isSubtitle"], any("1"))
	eq(t, "subtitleType", inner["subtitleType"], any("1"))
	eq(t, "sisProperty", inner["sisProperty"], any("chinese_16k_general"))
	eq(t, "id", fmt.Sprint(inner["id"]), fmt.Sprint(c.SpeakerIDs))

	// Off, defaults: isSubtitle 0 and subtitleType 0 are sent, the
	// optional fields are not.
	b, err = EncodeSubtitleControl("1", SubtitleControl{ConferenceID: "986112045", ConfToken: tok})
	if err != nil {
		t.Fatal(err)
	}
	_, inner = decodeClientFrame(t, b)
	eq(t, "isSubtitle off", inner["isSubtitle"], any("0"))
	eq(t, "subtitleType default", inner["subtitleType"], any("0"))
	if _, ok := inner["sisProperty"]; ok {
		t.Error("empty sisProperty sent")
	}
	if _, ok := inner["id"]; ok {
		t.Error("empty id sent")
	}

	for name, bad := range map[string]SubtitleControl{
		"NoConferenceID": {ConfToken: tok},
		"NoToken":        {ConferenceID: "1"},
		"FiveSpeakers":   {ConferenceID: "1", ConfToken: tok, SpeakerIDs: []string{"a", "b", "c", "d", "e"}},
	} {
		if b, err := EncodeSubtitleControl("1", bad); err == nil {
			t.Errorf("%s: got %s, want an error", name, b)
		} else if strings.Contains(err.Error(), testToken) {
			t.Errorf("%s: error reveals the token: %v", name, err)
		}
	}
	if _, err := EncodeSubtitleControl("", c); err == nil {
		t.Error("empty sequence accepted")
	}
}

// TestClientFrameSecrets checks that the encoded frames are the one place
// the token is in clear: the errors of the encoders never show it.
func TestClientFrameSecrets(t *testing.T) {
	tok := secret.New(testToken)
	c := SubtitleControl{ConferenceID: "986112045", ConfToken: tok, On: true}
	b, err := EncodeSubtitleControl("1", c)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), testToken) {
		t.Error("frame does not carry the token")
	}
	_, err = EncodeSubscribe("1", "986112045", nil, tok)
	if err == nil || strings.Contains(fmt.Sprint(err), testToken) || errors.Is(err, ErrMalformed) {
		t.Errorf("unexpected error %v", err)
	}
}
