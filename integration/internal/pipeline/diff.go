package pipeline

import (
	"fmt"
	"maps"
	"slices"
	"sort"

	"github.com/confwatch/confwatch/events/meeting"
	"github.com/confwatch/confwatch/integration/fakemeeting"
)

// maxDiffs bounds Diff's report: past a handful, more lines only bury the
// first, which is usually the cause.
const maxDiffs = 12

// Diff lists how snap, a client's picture of the meeting, differs from
// view, the fake's own: the online participants and each one's full
// pinfoMap, the waiting room, the meeting state and mode, the lock and
// recording flags and the active speakers in order. An empty result means
// the client converged. It also reports a snapshot that is not connected
// or still waits for fresh snapshots, since such a picture may be stale
// even when it happens to match.
func Diff(view fakemeeting.View, snap *meeting.Snapshot) []string {
	var d []string
	add := func(format string, a ...any) {
		if len(d) < maxDiffs {
			d = append(d, fmt.Sprintf(format, a...))
		}
	}
	if snap == nil {
		return []string{"no snapshot yet"}
	}
	if !snap.Connected {
		add("snapshot not connected (blind since %v)", snap.BlindSince)
	}
	if len(snap.Resyncing) > 0 {
		add("still resyncing %v", snap.Resyncing)
	}
	if snap.Status.State != view.State {
		add("state %q, fake %q", snap.Status.State, view.State)
	}
	if snap.Status.Mode != view.Mode {
		add("mode %q, fake %q", snap.Status.Mode, view.Mode)
	}
	if snap.Status.Locked != view.Locked {
		add("locked %t, fake %t", snap.Status.Locked, view.Locked)
	}
	if snap.Status.Recording != view.Recording {
		add("recording %t, fake %t", snap.Status.Recording, view.Recording)
	}

	got := make(map[string]map[string]string, snap.Participants.Len())
	for _, p := range snap.Participants.All() {
		got[p.PID] = p.Info
	}
	diffRoster(add, "participant", got, view.Participants)

	waiting := make(map[string]map[string]string, len(snap.WaitingRoom))
	for _, m := range snap.WaitingRoom {
		waiting[m.PID] = m.Info
	}
	diffRoster(add, "waiting member", waiting, view.WaitingRoom)

	speakers := make([]string, 0, len(snap.Speakers))
	for _, s := range snap.Speakers {
		speakers = append(speakers, s.PID)
	}
	if !slices.Equal(speakers, view.Speakers) && !(len(speakers) == 0 && len(view.Speakers) == 0) {
		add("speakers %v, fake %v", speakers, view.Speakers)
	}
	return d
}

// diffRoster compares two pid → pinfoMap rosters.
func diffRoster(add func(string, ...any), what string, got, want map[string]map[string]string) {
	if len(got) != len(want) {
		add("%d %ss, fake has %d", len(got), what, len(want))
	}
	for _, pid := range sortedKeys(want) {
		g, ok := got[pid]
		if !ok {
			add("%s %s missing", what, pid)
			continue
		}
		if !maps.Equal(g, want[pid]) {
			add("%s %s: pinfoMap %v, fake %v", what, pid, g, want[pid])
		}
	}
	for _, pid := range sortedKeys(got) {
		if _, ok := want[pid]; !ok {
			add("%s %s is not in the fake's view", what, pid)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
