package fleet

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
	"github.com/confwatch/confwatch/internal/record"
)

// TestPublisherBytes: what the publisher stores is byte for byte the
// record tail prints (without its newline), on the documented subject,
// and a push of a type the meeting does not subscribe to is left out as
// tail --events leaves it out.
func TestPublisherBytes(t *testing.T) {
	ns, err := StartServer(ServerConfig{Listen: "127.0.0.1:0", DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Shutdown()
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg := Config{Conn: nc}.withDefaults()
	if _, err := openStore(ctx, js, cfg); err != nil {
		t.Fatal(err)
	}
	var c counters
	p := newPublisher(js, Meeting{Conference: "42", Types: []string{events.ActionSpeakerChange}}, "w1", cfg.Logger, &c)
	at := time.Date(2026, 1, 6, 9, 0, 3, 120_000_000, time.UTC)
	speak := &events.Push{Action: events.ActionSpeakerChange, CreateTime: at, MsgID: "m1", Version: 5,
		Payload: &events.SpeakerChangeNotify{Speakers: []events.Speaker{{PID: "p1", Name: "Li Wei", SpeakingVolume: 40}}}}
	other := &events.Push{Action: events.ActionParticipants, CreateTime: at, MsgID: "m2", Payload: &events.ParticipantsNotify{}}
	gone := &events.Disconnected{At: at, Err: errors.New("read: EOF")}
	change := meeting.Change{Kind: meeting.HandRaised, At: at, PID: "p1", Inferred: true}
	p.event(speak)
	p.event(other)
	p.event(gone)
	p.change(change)
	select {
	case <-js.PublishAsyncComplete():
	case <-ctx.Done():
		t.Fatal("publishes not acknowledged")
	}
	want := []struct {
		subject string
		rec     record.Record
	}{
		{"confwatch.42.push.SpeakerChangeNotify", record.Push("42", speak)},
		{"confwatch.42.status", mustRecord(record.FromEvent("42", gone))},
		{"confwatch.42.change.HandRaised", record.Change("42", change)},
	}
	s, _ := js.Stream(ctx, StreamEvents)
	for i, w := range want {
		m, err := s.GetMsg(ctx, uint64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		if m.Subject != w.subject || string(m.Data) != string(w.rec.Marshal()) {
			t.Errorf("message %d: %s %s\nwant %s %s", i+1, m.Subject, m.Data, w.subject, w.rec.Marshal())
		}
	}
	if info, _ := s.Info(ctx); info.State.Msgs != 3 || c.published.Load() != 3 {
		t.Errorf("%d messages stored, %d published: want 3", info.State.Msgs, c.published.Load())
	}
}

func mustRecord(r record.Record, ok bool) record.Record {
	if !ok {
		panic("no record")
	}
	return r
}

func TestSubjectToken(t *testing.T) {
	for in, want := range map[string]string{"ParticipantsNotify": "ParticipantsNotify", "a.b": "unknown", ">": "unknown", "": "unknown", "x y": "unknown"} {
		if got := subjectToken(in); got != want {
			t.Errorf("subjectToken(%q) = %q, want %q", in, got, want)
		}
	}
}
