package meeting_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
)

const benchSize = 3000

// benchState returns a live State holding benchSize participants.
func benchState(b *testing.B) (*meeting.State, *events.ParticipantsNotify) {
	b.Helper()
	changes := 0
	st := meeting.New(meeting.Config{OnChange: func(meeting.Change) { changes++ }})
	sc := newScript()
	all := &events.ParticipantsNotify{}
	for i := range benchSize {
		pid := fmt.Sprintf("pid%028d", i)
		all.Participants = append(all.Participants, join(pid, "Guest "+strconv.Itoa(i), i%120,
			"ACCOUNT", "acct"+strconv.Itoa(i), "ORG_ID", "61037", "IS_COHOST", "0", "RTC_USER_ID", pid))
	}
	apply(st, &events.Subscribed{At: t0}, sc.full(all))
	if got := st.Snapshot().Participants.Len(); got != benchSize {
		b.Fatalf("roster has %d participants", got)
	}
	return st, all
}

// deltaRing returns pushes whose i-th raises (first half) or lowers
// (second half) one participant's hand, so that every delta in a run is a
// real change. The ring is longer than the msgID window; the State keeps
// no reference to a delta's Push, so a slot is reused with a new version.
func deltaRing(all *events.ParticipantsNotify) []*events.Push {
	ring := make([]*events.Push, 2*benchSize)
	for i := range ring {
		hand := "1"
		if i >= benchSize {
			hand = "0"
		}
		ring[i] = &events.Push{
			Action: events.ActionParticipants, Mode: events.ModeDelta, MsgID: fmt.Sprintf("d%031d", i), ConfID: confID, CreateTime: t0,
			Payload: parts(set(all.Participants[i%benchSize].PID, "HAND", hand)),
		}
	}
	return ring
}

// BenchmarkParticipantDelta applies one single-participant delta to a
// 3,000-participant meeting: the cost per delta, without building a
// Snapshot.
func BenchmarkParticipantDelta(b *testing.B) {
	st, all := benchState(b)
	ring := deltaRing(all)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		p := ring[i%len(ring)]
		p.Version = int64(i + 1)
		apply(st, p)
	}
}

// BenchmarkParticipantDeltaSnapshot is BenchmarkParticipantDelta with a
// Snapshot read after every delta: the worst case, a reader that wants
// every version.
func BenchmarkParticipantDeltaSnapshot(b *testing.B) {
	st, all := benchState(b)
	ring := deltaRing(all)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		p := ring[i%len(ring)]
		p.Version = int64(i + 1)
		apply(st, p)
		if st.Snapshot() == nil {
			b.Fatal("no snapshot")
		}
	}
}

// BenchmarkSnapshotAfterDelta is the Snapshot alone, taken after each
// single-participant delta (applied with the timer stopped).
func BenchmarkSnapshotAfterDelta(b *testing.B) {
	st, all := benchState(b)
	ring := deltaRing(all)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		p := ring[i%len(ring)]
		p.Version = int64(i + 1)
		apply(st, p)
		b.StartTimer()
		if st.Snapshot() == nil {
			b.Fatal("no snapshot")
		}
	}
}

// BenchmarkSpeakerChange applies speaker changes, each moving the
// Speaking flag of a few participants.
func BenchmarkSpeakerChange(b *testing.B) {
	st, all := benchState(b)
	ring := make([]*events.Push, 64)
	for i := range ring {
		ring[i] = &events.Push{
			Action: events.ActionSpeakerChange, Mode: events.ModeFull, MsgID: fmt.Sprintf("s%031d", i), ConfID: confID, CreateTime: t0,
			Payload: speakers(all.Participants[i].PID, 60, all.Participants[i+1].PID, 30, all.Participants[i+2].PID, 10),
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		p := ring[i%len(ring)]
		p.MsgID = "s" + strconv.Itoa(i) // all 64 slots fit in the msgID window
		p.Version = t0.UnixMilli() + int64(i)
		apply(st, p)
	}
}

// BenchmarkFullSnapshot applies a fresh 3,000-participant snapshot to a
// live 3,000-participant state and diffs the two: the cost of a resync.
func BenchmarkFullSnapshot(b *testing.B) {
	st, all := benchState(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		apply(st, &events.Push{
			Action: events.ActionParticipants, Mode: events.ModeFull, Version: t0.UnixMilli() + 1e6 + int64(i), ConfID: confID, CreateTime: t0,
			Payload: all,
		})
	}
}

// BenchmarkMuteAllDelta applies a delta that changes every participant
// (mute all / unmute all).
func BenchmarkMuteAllDelta(b *testing.B) {
	st, all := benchState(b)
	var ring [2]*events.ParticipantsNotify
	for j, v := range []string{"1", "0"} {
		ring[j] = &events.ParticipantsNotify{}
		for _, p := range all.Participants {
			ring[j].Participants = append(ring[j].Participants, set(p.PID, "MUTE", v))
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		apply(st, &events.Push{
			Action: events.ActionParticipants, Mode: events.ModeDelta, Version: int64(i + 1), ConfID: confID, CreateTime: t0,
			Payload: ring[i%2],
		})
	}
}

// snapshotFrame is a full ParticipantsNotify of benchSize participants as
// the server sends it, about 2.1 MB: the frame of events'
// BenchmarkDecode/ParticipantsFull3000.
func snapshotFrame() []byte {
	var sb strings.Builder
	sb.WriteString(`{"action":"ParticipantsNotify","version":1736153012397,"createTime":1736153012397,"msgID":"5d0e3a9ccbd011ef9a2f0242ac120003","msgMode":0,"confID":"986112045","data":[`)
	for i := range benchSize {
		if i > 0 {
			sb.WriteByte(',')
		}
		pid := fmt.Sprintf("p%031d", i)
		fmt.Fprintf(&sb, `{"pid":"%s","mode":0,"pinfoMap":{"NAME":"Participant %d","TEL":"+9911128374%07d","ROLE":"0","STATE":"0","HAND":"%d","BROADCAST":"0","ROLLCALL":"0","SHARE":"0","ADDTIME":"%d","MUTE":"%d","VIDEO":"1","M":"1","T":"%d","ANONYMOUS":"0","LOCALREC":"0","CLIENT_LOGIN_TYPE":"Desktop","VIEW_TYPE":"0","ACCOUNT":"user%d","ACCOUNT_ID":"%032x","ORG_ID":"61037","IS_COHOST":"0","RTC_USER_ID":"%s"}}`,
			pid, i, i, i%2, 1736150461234+int64(i), (i/2)%2, i, i, i, pid)
	}
	sb.WriteString(`]}`)
	return []byte(sb.String())
}

// BenchmarkFullSnapshotFrame decodes a 3,000-participant snapshot frame
// and applies it to a live State holding the same meeting, as after a
// resubscribe: the whole cost of a big snapshot, from the bytes.
func BenchmarkFullSnapshotFrame(b *testing.B) {
	frame := snapshotFrame()
	decode := func(version int64) *events.Push {
		p, err := events.Decode(frame)
		if err != nil {
			b.Fatal(err)
		}
		p.Version, p.MsgID = version, "" // each a newer snapshot
		return p
	}
	st := meeting.New(meeting.Config{OnChange: func(meeting.Change) {}})
	apply(st, &events.Subscribed{At: t0}, decode(1))
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		apply(st, decode(int64(i+2)))
	}
	b.StopTimer()
	if n := st.Snapshot().Participants.Len(); n != benchSize {
		b.Fatalf("roster has %d participants", n)
	}
}
