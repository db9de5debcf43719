package meeting_test

import (
	"cmp"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
)

// model is the reference the property test compares State with: the
// protocol rules written as plainly as possible, with ordinary maps and no
// sharing.
type model struct {
	parts     map[string]events.PInfo
	speakers  []meeting.Speaker
	status    *events.ConfDynamicInfoNotify
	full      map[string]int64
	delta     map[string]int64
	haveDelta map[string]bool
	seen      map[string]bool
	applied   uint64
	gaps      uint64
}

func newModel() *model {
	return &model{
		parts: map[string]events.PInfo{}, full: map[string]int64{}, delta: map[string]int64{},
		haveDelta: map[string]bool{}, seen: map[string]bool{},
	}
}

func (m *model) event(e events.Event) {
	switch e := e.(type) {
	case *events.Resubscribed, *events.Subscribed:
		clear(m.haveDelta)
	case *events.Push:
		if m.accept(e) {
			m.apply(e)
		}
	}
}

func (m *model) accept(p *events.Push) bool {
	if m.seen[p.MsgID] {
		return false
	}
	a := p.Action
	if p.Mode == events.ModeFull {
		if p.Version < m.full[a] {
			return false
		}
		m.full[a] = p.Version
		m.haveDelta[a] = false
	} else {
		if m.haveDelta[a] && p.Version <= m.delta[a] {
			return false
		}
		if m.haveDelta[a] && p.Version > m.delta[a]+1 && a == events.ActionParticipants {
			m.gaps++
		}
		m.delta[a] = p.Version
		m.haveDelta[a] = true
	}
	m.seen[p.MsgID] = true
	m.applied++
	return true
}

func (m *model) apply(p *events.Push) {
	switch n := p.Payload.(type) {
	case *events.ParticipantsNotify:
		if p.Mode == events.ModeFull {
			m.parts = map[string]events.PInfo{}
		}
		for _, e := range n.Participants {
			if e.Removed() {
				delete(m.parts, e.PID)
				continue
			}
			merged := events.PInfo{}
			maps.Copy(merged, m.parts[e.PID])
			maps.Copy(merged, e.Info)
			m.parts[e.PID] = merged
		}
	case *events.ConfDynamicInfoNotify:
		m.status = n
	case *events.SpeakerChangeNotify:
		m.speakers = nil
		for _, s := range n.Speakers {
			m.speakers = append(m.speakers, meeting.Speaker{PID: s.PID, Name: s.Name, Volume: s.SpeakingVolume})
		}
		slices.SortFunc(m.speakers, func(a, b meeting.Speaker) int {
			return cmp.Or(cmp.Compare(b.Volume, a.Volume), strings.Compare(a.PID, b.PID))
		})
	}
}

func (m *model) participants() []meeting.Participant {
	out := []meeting.Participant{}
	for pid, info := range m.parts {
		role, ok := map[string]string{"0": "ordinary", "1": "host", "2": "audience"}[info["ROLE"]]
		if !ok {
			role = info["ROLE"]
		}
		out = append(out, meeting.Participant{
			PID: pid, Name: info["NAME"], Role: role,
			HandRaised: info["HAND"] == "1", Muted: info["MUTE"] == "1", Sharing: info["SHARE"] == "1", Video: info["VIDEO"] == "1",
			Speaking:  slices.ContainsFunc(m.speakers, func(s meeting.Speaker) bool { return s.PID == pid }),
			JoinTime:  info.JoinTime(),
			LoginType: info.LoginType(),
			Info:      info,
		})
	}
	slices.SortFunc(out, func(a, b meeting.Participant) int {
		return cmp.Or(a.JoinTime.Compare(b.JoinTime), strings.Compare(a.PID, b.PID))
	})
	return out
}

// gen draws pushes and lifecycle events for the property test.
type gen struct {
	sc      *script
	m       *model
	pool    []string
	now     int64 // ms timestamps for full snapshots
	history []*events.Push
}

func (g *gen) pid(t *rapid.T) string { return rapid.SampledFrom(g.pool).Draw(t, "pid") }

func (g *gen) keys(t *rapid.T, pid string, n int) events.PInfo {
	info := events.PInfo{}
	for range n {
		k := rapid.SampledFrom([]string{"NAME", "ROLE", "HAND", "MUTE", "SHARE", "VIDEO", "ADDTIME", "CLIENT_LOGIN_TYPE"}).Draw(t, "key")
		var v string
		switch k {
		case "NAME":
			v = rapid.SampledFrom([]string{"", "Ann", "Bob", pid}).Draw(t, "name")
		case "ROLE":
			v = rapid.SampledFrom([]string{"0", "1", "2", "x"}).Draw(t, "role")
		case "ADDTIME":
			v = rapid.SampledFrom([]string{"", "1736150000000", "1736150001000", "1736150002000"}).Draw(t, "addtime")
		case "CLIENT_LOGIN_TYPE":
			v = rapid.SampledFrom([]string{"Desktop", "Mobile"}).Draw(t, "login")
		default:
			v = rapid.SampledFrom([]string{"0", "1"}).Draw(t, "flag")
		}
		info[k] = v
	}
	return info
}

// deltaVersion draws the next, a repeated, an older or a skipped version.
func (g *gen) deltaVersion(t *rapid.T, action string) int64 {
	if !g.m.haveDelta[action] {
		return int64(rapid.IntRange(1, 1000).Draw(t, "first"))
	}
	last := g.m.delta[action]
	switch rapid.IntRange(0, 9).Draw(t, "vkind") {
	case 0:
		return last
	case 1:
		return last - int64(rapid.IntRange(1, 3).Draw(t, "back"))
	case 2:
		return last + int64(rapid.IntRange(2, 4).Draw(t, "skip"))
	}
	return last + 1
}

func (g *gen) fullVersion(t *rapid.T) int64 {
	g.now += 10
	if rapid.IntRange(0, 9).Draw(t, "stalefull") == 0 {
		return g.now - 15
	}
	return g.now
}

func (g *gen) push(payload events.Payload, mode events.Mode, version int64) *events.Push {
	p := g.sc.push(payload, mode, version)
	g.history = append(g.history, p)
	return p
}

func (g *gen) next(t *rapid.T) events.Event {
	switch rapid.IntRange(0, 11).Draw(t, "what") {
	case 0:
		var es []events.Participant
		for _, pid := range g.pool {
			if rapid.Bool().Draw(t, "present") {
				es = append(es, events.Participant{PID: pid, Info: g.keys(t, pid, rapid.IntRange(0, 6).Draw(t, "n"))})
			}
		}
		return g.push(parts(es...), events.ModeFull, g.fullVersion(t))
	case 1, 2, 3, 4, 5:
		var es []events.Participant
		for range rapid.IntRange(1, 4).Draw(t, "entries") {
			pid := g.pid(t)
			if rapid.IntRange(0, 3).Draw(t, "leave") == 0 {
				es = append(es, events.Participant{PID: pid, Mode: 1 /* removes */})
			} else {
				es = append(es, events.Participant{PID: pid, Info: g.keys(t, pid, rapid.IntRange(0, 3).Draw(t, "n"))})
			}
		}
		return g.push(parts(es...), events.ModeDelta, g.deltaVersion(t, events.ActionParticipants))
	case 6:
		d := dyn(rapid.SampledFrom([]string{"Created", "Destroyed"}).Draw(t, "state"),
			rapid.IntRange(0, 1).Draw(t, "lock"), rapid.IntRange(0, 1).Draw(t, "rec"))
		if rapid.Bool().Draw(t, "dynfull") {
			return g.push(d, events.ModeFull, g.fullVersion(t))
		}
		return g.push(d, events.ModeDelta, g.deltaVersion(t, events.ActionConfDynamicInfo))
	case 7, 8:
		n := &events.SpeakerChangeNotify{}
		for _, pid := range g.pool {
			if len(n.Speakers) < 3 && rapid.IntRange(0, 3).Draw(t, "speaks") == 0 {
				n.Speakers = append(n.Speakers, events.Speaker{PID: pid, SpeakingVolume: rapid.IntRange(0, 3).Draw(t, "vol")})
			}
		}
		if rapid.Bool().Draw(t, "spkfull") {
			return g.push(n, events.ModeFull, g.fullVersion(t))
		}
		return g.push(n, events.ModeDelta, g.deltaVersion(t, events.ActionSpeakerChange))
	case 9, 10:
		if len(g.history) > 0 {
			return rapid.SampledFrom(g.history).Draw(t, "replay")
		}
		return &events.Subscribed{At: g.sc.at}
	default:
		if rapid.Bool().Draw(t, "lost") {
			return &events.Disconnected{At: g.sc.at}
		}
		return &events.Resubscribed{BlindFrom: g.sc.at, BlindTo: g.sc.at}
	}
}

func TestPropertyMatchesModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g := &gen{sc: newScript(), m: newModel(), now: 1736150000000}
		for i := range rapid.IntRange(2, 12).Draw(t, "pool") {
			g.pool = append(g.pool, fmt.Sprintf("p%02d", i))
		}
		st := meeting.New(meeting.Config{Clock: clockAt(t0), Resync: func(string) bool { return true }})
		steps := rapid.IntRange(1, 80).Draw(t, "steps")
		for i := range steps {
			e := g.next(t)
			apply(st, e)
			g.m.event(e)
			s := st.Snapshot()
			if want := g.m.participants(); !reflect.DeepEqual(list(s.Participants), want) {
				t.Fatalf("step %d (%s): participants\n got  %v\n want %v", i, describe(e), roster(s), rosterOf(want))
			}
			if want := g.m.speakers; !slices.Equal(s.Speakers, want) {
				t.Fatalf("step %d (%s): speakers = %v, want %v", i, describe(e), s.Speakers, want)
			}
			if d := g.m.status; d != nil {
				got := [3]any{s.Status.State, s.Status.Locked, s.Status.Recording}
				want := [3]any{d.State, d.Lock != 0, d.RecState != 0}
				if got != want {
					t.Fatalf("step %d (%s): status = %v, want %v", i, describe(e), got, want)
				}
			}
			if err := consistent(s); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
			stats := st.Stats()
			if stats.Applied != g.m.applied || stats.Gaps != g.m.gaps {
				t.Fatalf("step %d (%s): applied, gaps = %d, %d; want %d, %d", i, describe(e), stats.Applied, stats.Gaps, g.m.applied, g.m.gaps)
			}
		}
	})
}

func describe(e events.Event) string {
	if p, ok := e.(*events.Push); ok {
		return fmt.Sprintf("%s %s v%d %s", p.Action, p.Mode, p.Version, p.MsgID)
	}
	return fmt.Sprintf("%T", e)
}

func rosterOf(ps []meeting.Participant) []string {
	return roster(&meeting.Snapshot{Participants: meeting.NewRoster(ps...)})
}
