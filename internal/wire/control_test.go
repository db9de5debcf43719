package wire

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestDecodeSubscribeReply(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "SubscribeResponse.json"))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		frame string
		want  SubscribeReply
	}{
		"Sample":           {string(b), SubscribeReply{Sequence: "000000000000000001736153012345", ReturnDesc: "SUCCESS"}},
		"ReturnDescKey":    {`{"action":"Subscribe","sequence":"000000000000000001736153012345","data":{"returnCode":"0","returnDesc ":"SUCCESS"}}`, SubscribeReply{Sequence: "000000000000000001736153012345", ReturnDesc: "SUCCESS"}},
		"Failed":           {`{"action":"Subscribe","data":{"returnCode":111070121,"returnDesc":"FORBIDDEN"}}`, SubscribeReply{ReturnCode: 111070121, ReturnDesc: "FORBIDDEN"}},
		"DataAsString":     {`{"action":"Subscribe","sequence":"1","data":"{\"returnCode\":0,\"returnDesc \":\"SUCCESS\"}"}`, SubscribeReply{Sequence: "1", ReturnDesc: "SUCCESS"}},
		"SequenceAsNumber": {`{"action":"Subscribe","sequence":17,"data":{"returnCode":0}}`, SubscribeReply{Sequence: "17"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r, err := DecodeSubscribeReply([]byte(c.frame))
			if err != nil {
				t.Fatal(err)
			}
			eq(t, "reply", *r, c.want)
			eq(t, "OK", r.OK(), c.want.ReturnCode == 0)
		})
	}
}

func TestDecodeHeartBeat(t *testing.T) {
	hb, err := DecodeHeartBeat([]byte(`{"sequence":"000000000000000001736153072345","data":{"a":[1,"}"]}, "action" : "HeartBeat"}`))
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "Sequence", hb.Sequence, "000000000000000001736153072345")
}

func TestDecodeControlMalformed(t *testing.T) {
	cases := map[string]string{
		"SubscribeNoData":        `{"action":"Subscribe","sequence":"1"}`,
		"SubscribeNullData":      `{"action":"Subscribe","sequence":"1","data":null}`,
		"SubscribeNoReturnCode":  `{"action":"Subscribe","data":{"returnDesc":"SUCCESS"}}`,
		"SubscribeDataNumber":    `{"action":"Subscribe","data":0}`,
		"SubscribeDataBadString": `{"action":"Subscribe","data":"SUCCESS"}`,
		"SubscribeCodeWord":      `{"action":"Subscribe","data":{"returnCode":"zero"}}`,
		"SubscribeTruncated":     `{"action":"Subscribe","data":{"returnCode":0}`,
		"HeartBeatSequenceArray": `{"action":"HeartBeat","sequence":[]}`,
		"HeartBeatTrailing":      `{"action":"HeartBeat","sequence":"1"} x`,
	}
	for name, frame := range cases {
		t.Run(name, func(t *testing.T) {
			var err error
			if strings.Contains(frame, ActionSubscribe) {
				_, err = DecodeSubscribeReply([]byte(frame))
			} else {
				_, err = DecodeHeartBeat([]byte(frame))
			}
			if !errors.Is(err, ErrMalformed) || !strings.HasPrefix(err.Error(), ErrMalformed.Error()) {
				t.Fatalf("decoding %s: %v, want ErrMalformed", frame, err)
			}
		})
	}
}

// TestControlErrorsDoNotLeak checks that errors name the frame but carry
// neither values nor long excerpts.
func TestControlErrorsDoNotLeak(t *testing.T) {
	secret := "s3cr3t-" + strings.Repeat("p", 200)
	for _, c := range []struct {
		frame, want string
		decode      func([]byte) error
	}{
		{`{"action":"HeartBeat","sequence":"` + secret + `"` + secret, "HeartBeat", func(b []byte) error { _, err := DecodeHeartBeat(b); return err }},
		{`{"action":"Subscribe","data":"` + secret + `"}`, "Subscribe", func(b []byte) error { _, err := DecodeSubscribeReply(b); return err }},
		{`{"action":"Subscribe","data":{"returnCode":"` + secret + `"}}`, "data.returnCode", func(b []byte) error { _, err := DecodeSubscribeReply(b); return err }},
	} {
		err := c.decode([]byte(c.frame))
		if !errors.Is(err, ErrMalformed) {
			t.Fatalf("%.40s: err = %v, want ErrMalformed", c.frame, err)
		}
		msg := err.Error()
		if strings.Contains(msg, "s3cr3t") || len(msg) > 200 || !strings.Contains(msg, c.want) {
			t.Errorf("error %q leaks a value or does not mention %q", msg, c.want)
		}
	}
}

// FuzzControl checks that the Subscribe reply and HeartBeat decoders never
// panic, that their errors wrap ErrMalformed and stay short, and that a
// reply they accept round-trips through its canonical form.
func FuzzControl(f *testing.F) {
	sample, err := os.ReadFile(filepath.Join("testdata", "SubscribeResponse.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		string(sample),
		`{"action":"Subscribe","sequence":"1","data":{"returnCode":"0","returnDesc ":"SUCCESS"}}`,
		`{"action":"Subscribe","sequence":"1","data":"{\"returnCode\":0}"}`,
		`{"action":"Subscribe","data":{"returnCode":111070121,"returnDesc":"FORBIDDEN"}}`,
		`{"action":"HeartBeat","sequence":"000000000000000001736153072345"}`,
		`{"sequence":"1", "action" :"HeartBeat"}`,
		`{"\u0061ction":"HeartBeat"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		orig := string(frame)
		var got, again any
		var err error
		lit, st := FindAction(frame)
		if st != OK {
			return
		}
		action, _ := ActionName(lit)
		switch action {
		case ActionSubscribe:
			var r *SubscribeReply
			if r, err = DecodeSubscribeReply(frame); err == nil {
				got = *r
				b, _ := json.Marshal(map[string]any{"action": ActionSubscribe, "sequence": r.Sequence,
					"data": map[string]any{"returnCode": r.ReturnCode, "returnDesc": r.ReturnDesc}})
				r2, err2 := DecodeSubscribeReply(b)
				if err2 != nil {
					t.Fatalf("canonical reply does not decode: %v\n%s", err2, b)
				}
				again = *r2
			}
		case ActionHeartBeat:
			var hb *HeartBeat
			if hb, err = DecodeHeartBeat(frame); err == nil {
				got = *hb
				hb2, err2 := DecodeHeartBeat(EncodeHeartBeat(hb.Sequence))
				if err2 != nil {
					t.Fatalf("canonical echo does not decode: %v", err2)
				}
				again = *hb2
			}
		default:
			return
		}
		if string(frame) != orig {
			t.Fatal("decoding modified its input")
		}
		if err != nil {
			if !errors.Is(err, ErrMalformed) || len(err.Error()) > 200 {
				t.Fatalf("error %q: want a short ErrMalformed", err)
			}
			return
		}
		if !reflect.DeepEqual(got, again) {
			t.Fatalf("round trip changed %+v to %+v", got, again)
		}
	})
}
