package meeting_test

import (
	"encoding/json"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
)

func TestNewRoster(t *testing.T) {
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	r := meeting.NewRoster(
		meeting.Participant{PID: "b", Name: "Bob", JoinTime: at(1)},
		meeting.Participant{PID: "c", Name: "Cai", JoinTime: at(0)},
		meeting.Participant{PID: "a", Name: "Ann", JoinTime: at(1)},
		meeting.Participant{PID: "b", Name: "Bob again", JoinTime: at(2)},
	)
	var got []string
	for i, p := range r.All() {
		got = append(got, string(rune('0'+i))+p.PID+"="+p.Name)
	}
	eq(t, "order", got, []string{"0c=Cai", "1a=Ann", "2b=Bob again"})
	eq(t, "len", r.Len(), 3)
	snap := &meeting.Snapshot{Participants: r}
	if p, ok := snap.Participant("b"); !ok || p.Name != "Bob again" {
		t.Errorf("Participant(b) = %+v, %v", p, ok)
	}
	if _, ok := snap.Participant("z"); ok {
		t.Error("Participant(z) found a participant nobody added")
	}
	for range r.All() {
		break // an iterator that ignores a stop would panic here
	}
}

func TestRosterJSON(t *testing.T) {
	for _, c := range []struct {
		in, out string
		n       int
	}{
		{`null`, `[]`, 0},
		{`[]`, `[]`, 0},
		{`[{"pid":"b","name":"<B>","joinTime":"2025-01-06T08:02:00Z","info":null},{"pid":"a","info":{"NAME":"A"}}]`,
			`[{"pid":"a","name":"","role":"","handRaised":false,"muted":false,"sharing":false,"video":false,"speaking":false,"info":{"NAME":"A"}},` +
				`{"pid":"b","name":"\u003cB\u003e","role":"","handRaised":false,"muted":false,"sharing":false,"video":false,"speaking":false,"joinTime":"2025-01-06T08:02:00Z","info":null}]`, 2},
	} {
		var r meeting.Roster
		if err := json.Unmarshal([]byte(c.in), &r); err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		eq(t, c.in+" len", r.Len(), c.n)
		eq(t, c.in+" re-encoded", string(mustJSON(t, r)), c.out)
	}
	var r meeting.Roster
	for _, bad := range []string{`{}`, `[1]`, `[{"pid":3}]`, `[`} {
		if err := json.Unmarshal([]byte(bad), &r); err == nil {
			t.Errorf("%s: decoded without an error", bad)
		}
	}
	eq(t, "zero Roster", string(mustJSON(t, meeting.Roster{})), `[]`)
}

// TestSnapshotSharesRoster checks that a Snapshot taken after a delta
// does not copy the roster: the memory it allocates does not grow with
// the meeting (a copy of 3,000 participants is about 325 KB).
func TestSnapshotSharesRoster(t *testing.T) {
	for _, n := range []int{30, 3000} {
		st := meeting.New(meeting.Config{})
		sc := newScript()
		all := &events.ParticipantsNotify{}
		for i := range n {
			all.Participants = append(all.Participants, join(fmt.Sprintf("p%05d", i), "Guest", i%120))
		}
		apply(st, &events.Subscribed{At: t0}, sc.full(all))
		eq(t, "roster", st.Snapshot().Participants.Len(), n)
		var before, after runtime.MemStats
		allocated := uint64(0)
		for i := range 5 {
			apply(st, sc.delta(parts(set(all.Participants[i].PID, "HAND", "1")), int64(10+i)))
			runtime.ReadMemStats(&before)
			snap := st.Snapshot()
			runtime.ReadMemStats(&after)
			allocated = max(allocated, after.TotalAlloc-before.TotalAlloc)
			if p, _ := snap.Participant(all.Participants[i].PID); !p.HandRaised {
				t.Fatalf("%d participants: the delta is not in the snapshot", n)
			}
		}
		if allocated > 8<<10 {
			t.Errorf("%d participants: a Snapshot after one delta allocated %d bytes", n, allocated)
		}
	}
}
