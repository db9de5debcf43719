package feed

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/internal/record"
)

// BenchmarkFrom compares, per sample frame, what a reader of the stream
// pays to rebuild a push from its record (Record) with what a session
// pays to decode the frame (Frame, the baseline).
func BenchmarkFrom(b *testing.B) {
	for _, name := range []string{"ParticipantsNotify.full.json", "ConfBasicInfoNotify.vendorlike.json"} {
		frame, err := os.ReadFile(filepath.Join("..", "..", "events", "testdata", name))
		if err != nil {
			b.Fatal(err)
		}
		push, err := events.Decode(frame)
		if err != nil {
			b.Fatal(err)
		}
		data := record.Push("986112045", push).Marshal()
		b.Run(name+"/Frame", func(b *testing.B) {
			b.SetBytes(int64(len(frame)))
			for b.Loop() {
				if _, err := events.Decode(frame); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/Record", func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				var p parsed
				if err := json.Unmarshal(data, &p.r); err != nil {
					b.Fatal(err)
				}
				p.at, _ = parseTime(p.r.Time)
				if _, err := pushOf(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
