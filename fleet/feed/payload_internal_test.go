package feed

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/internal/record"
)

// TestPayloadTypesCoverKnownActions: every action events decodes has a
// payload type here, and nothing else does.
func TestPayloadTypesCoverKnownActions(t *testing.T) {
	var have []string
	for a, mk := range payloadTypes {
		have = append(have, a)
		p := mk()
		// The table's type is the one events decodes for the action.
		if got := events.Payload(p); got == nil {
			t.Errorf("%s: nil payload", a)
		}
	}
	slices.Sort(have)
	want := slices.Clone(events.KnownActions())
	slices.Sort(want)
	if !slices.Equal(have, want) {
		t.Errorf("payload table covers %v, events knows %v", have, want)
	}
}

// TestSampleFramesRoundTrip: each sample frame of events/testdata,
// decoded, made into the record the fleet publishes and read back as the
// feed reads it, gives the same push: same envelope, and a payload that
// marshals to the record's own (secrets and join links REDACTED there).
func TestSampleFramesRoundTrip(t *testing.T) {
	// The frames live beside the decoder, in the root module.
	files, err := filepath.Glob(filepath.Join("..", "..", "events", "testdata", "*.json"))
	if err != nil || len(files) < 10 {
		t.Fatalf("sample frames: %v (%d found)", err, len(files))
	}
	seen := map[string]bool{}
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			frame, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			orig, err := events.Decode(frame)
			if err != nil {
				t.Fatal(err)
			}
			seen[orig.Action] = true
			rec := record.Push("986112045", orig)
			data := rec.Marshal()
			var p parsed
			if err := json.Unmarshal(data, &p.r); err != nil {
				t.Fatal(err)
			}
			if p.at, err = parseTime(p.r.Time); err != nil {
				t.Fatal(err)
			}
			got, err := pushOf(p)
			if err != nil {
				t.Fatal(err)
			}
			if got.Action != orig.Action || got.Mode != orig.Mode || got.Version != orig.Version || got.MsgID != orig.MsgID {
				t.Errorf("envelope: got %s/%v/%d/%s, want %s/%v/%d/%s", got.Action, got.Mode, got.Version, got.MsgID, orig.Action, orig.Mode, orig.Version, orig.MsgID)
			}
			if !got.CreateTime.Equal(orig.CreateTime.Truncate(time.Millisecond)) {
				t.Errorf("createTime %v, want %v", got.CreateTime, orig.CreateTime)
			}
			if (got.Payload == nil) != (orig.Payload == nil) {
				t.Fatalf("payload %T, want %T", got.Payload, orig.Payload)
			}
			again, err := json.Marshal(got.Payload)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := json.Marshal(rec.Payload)
			if g, w := canonical(t, record.ScrubLinks(again)), canonical(t, want); !bytes.Equal(g, w) {
				t.Errorf("payload read back:\ngot  %s\nwant %s", g, w)
			}
			if s, ok := orig.Payload.(*events.RealTimeSubtitleNotify); ok {
				g := got.Payload.(*events.RealTimeSubtitleNotify)
				if g.BeginTime != s.BeginTime.Truncate(time.Millisecond) || g.EndTime != s.EndTime.Truncate(time.Millisecond) {
					t.Errorf("caption offsets %v..%v, want %v..%v", g.BeginTime, g.EndTime, s.BeginTime, s.EndTime)
				}
			}
		})
	}
	for _, a := range events.KnownActions() {
		if !seen[a] {
			t.Errorf("no sample frame of %s", a)
		}
	}
}

// TestUnknownAction: an action events does not know reaches the handler
// with a nil Payload and the record's payload as Raw, as Decode leaves it.
func TestUnknownAction(t *testing.T) {
	p := parsed{r: wireRecord{Kind: record.KindPush, Action: "FooNotify", Mode: "delta", Version: 3, Payload: json.RawMessage(`{"a":1}`)}}
	got, err := pushOf(p)
	if err != nil || got.Payload != nil || string(got.Raw) != `{"a":1}` || got.Mode != events.ModeDelta {
		t.Errorf("got %+v, %v", got, err)
	}
	if _, err := decodePayload(events.ActionParticipants, json.RawMessage(`{"participants":"x"}`)); err == nil {
		t.Error("a payload of the wrong shape decoded")
	}
}

// canonical re-encodes JSON with sorted keys (ScrubLinks sorts the keys
// of what it changed).
func canonical(t *testing.T, b []byte) []byte {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
