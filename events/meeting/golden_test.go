package meeting_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestSnapshotGolden pins the Snapshot's JSON encoding byte for byte,
// with and without HTML escaping: the fleet stores it and tools read it,
// so a change in how the roster is held must not show in it.
func TestSnapshotGolden(t *testing.T) {
	sc := newScript()
	st := meeting.New(meeting.Config{Clock: clockAt(t0)})
	apply(st, busyMeeting(sc, 15)...)
	apply(st, sc.delta(parts(set("B", "NAME", "Bob <&> \u2028 \"quoted\"")), 1000))
	apply(st, &events.Disconnected{At: sc.at.Add(time.Second)})
	snap := st.Snapshot()

	indented, err := json.MarshalIndent(snap, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	var raw bytes.Buffer
	enc := json.NewEncoder(&raw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(snap); err != nil {
		t.Fatal(err)
	}
	empty, err := json.Marshal(meeting.New(meeting.Config{}).Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string][]byte{
		"snapshot.golden.json":          append(indented, '\n'),
		"snapshot-noescape.golden.json": raw.Bytes(),
		"snapshot-empty.golden.json":    append(empty, '\n'),
	} {
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: the encoding changed:\n got %s\nwant %s", name, got, want)
		}
	}
}
