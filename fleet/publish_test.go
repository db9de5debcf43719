package fleet_test

import (
	"encoding/json"
	"maps"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/confwatch/confwatch/fleet"
	"github.com/confwatch/confwatch/integration/fakemeeting"
	"github.com/confwatch/confwatch/internal/record"
)

// TestEventsAndState: the owner publishes every push, status and change
// as a record on its subject, with a Nats-Msg-Id the stream de-duplicates
// by, and keeps the meeting's stored Snapshot equal to the fake's view.
func TestEventsAndState(t *testing.T) {
	r := newRig(t, 1, fakemeeting.Config{})
	id := r.ids[0]
	srv := r.svc.Meeting(id)
	r.apply(r.meetings(id))
	w := r.start("a", r.ns.ClientURL(), nil)
	waitFor(t, 10*time.Second, "subscribed", func() bool { return r.svc.Counters().Meetings[id].Subscribed == 1 })
	pid, err := srv.Meeting().JoinOne(fakemeeting.Person{Name: "Chen Jie"})
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []func() error{
		func() error { return srv.Meeting().RaiseHand(pid, true) },
		func() error { return srv.Meeting().Mute(pid, true) },
		func() error { return srv.Meeting().Record(true) },
		func() error { return srv.Meeting().Speakers(pid) },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	prefix := fleet.SubjectPrefix + "." + id
	waitFor(t, 5*time.Second, "the changes published", func() bool {
		return len(r.records(prefix+".change.RecordingStarted")) == 1 && len(r.records(prefix+".change.SpeakersChanged")) >= 1
	})
	recs := r.records(prefix + ".>")
	kinds := map[string]int{}
	ids := map[string]bool{}
	for _, p := range recs {
		rec := p.rec
		kinds[rec.Kind]++
		if rec.Conference != id {
			t.Errorf("record on %s for conference %q", p.subject, rec.Conference)
		}
		want := prefix + "." + rec.Kind
		switch rec.Kind {
		case record.KindPush:
			want += "." + rec.Action
		case record.KindChange:
			want += "." + string(rec.Change.Kind)
		}
		if p.subject != want {
			t.Errorf("record %s on subject %s, want %s", p.data, p.subject, want)
		}
		msgID := p.header.Get(jetstream.MsgIDHeader)
		if msgID == "" || ids[msgID] {
			t.Errorf("record on %s: Nats-Msg-Id %q missing or repeated", p.subject, msgID)
		}
		ids[msgID] = true
		if p.header.Get(fleet.HeaderWorker) != w.w.ID() {
			t.Errorf("record on %s: worker header %q", p.subject, p.header.Get(fleet.HeaderWorker))
		}
	}
	if kinds[record.KindPush] < 8 || kinds[record.KindStatus] != 1 || kinds[record.KindChange] < 5 {
		t.Errorf("records by kind %v: want the snapshots and deltas, one subscribed status, the changes", kinds)
	}

	// A record published again with its Nats-Msg-Id is dropped.
	first := recs[0]
	ack, err := r.js.PublishMsg(t.Context(), natsMsg(first))
	if err != nil || !ack.Duplicate {
		t.Errorf("republished record: ack %+v, err %v: want a duplicate", ack, err)
	}

	// The stored state follows the fake.
	waitFor(t, 5*time.Second, "the stored state equal to the fake's view", func() bool {
		s, ok := r.storedState(id)
		return ok && sameRoster(s, srv.Meeting().View())
	})
}

func sameRoster(s map[string]any, v fakemeeting.View) bool {
	ps := participants(s)
	if len(ps) != len(v.Participants) {
		return false
	}
	for pid, info := range v.Participants {
		p := ps[pid]
		if p == nil {
			return false
		}
		got := map[string]string{}
		b, _ := json.Marshal(p["info"])
		_ = json.Unmarshal(b, &got)
		if !maps.Equal(got, info) {
			return false
		}
	}
	status, _ := s["status"].(map[string]any)
	speakers, _ := s["speakers"].([]any)
	return status["locked"] == v.Locked && status["recording"] == v.Recording && len(speakers) == len(v.Speakers)
}
