package meeting

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// TestPersistentRoster checks the roster and its pmap against a plain map
// over many versions, with enough participants to split and drop chunks,
// and checks that every earlier version is left exactly as it was.
func TestPersistentRoster(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		type version struct {
			r    roster
			want map[string]Participant
		}
		var gen uint64
		want := map[string]Participant{}
		// The first version is built at once, as from a full snapshot.
		var first []*Participant
		for range rapid.IntRange(0, 200).Draw(t, "initial") {
			p := Participant{
				PID:      fmt.Sprintf("p%03d", rapid.IntRange(0, 299).Draw(t, "pid")),
				Name:     rapid.SampledFrom([]string{"a", "b"}).Draw(t, "name"),
				JoinTime: time.UnixMilli(int64(rapid.IntRange(0, 5).Draw(t, "join"))),
			}
			first = append(first, &p)
			want[p.PID] = p
		}
		gen++
		cur := buildRoster(gen, first)
		history := []version{{cur, maps.Clone(want)}}
		if err := same(cur, want); err != nil {
			t.Fatalf("built: %v", err)
		}
		for range rapid.IntRange(1, 40).Draw(t, "txs") {
			gen++
			tx := cur.edit(gen)
			for range rapid.IntRange(1, 40).Draw(t, "ops") {
				pid := fmt.Sprintf("p%03d", rapid.IntRange(0, 299).Draw(t, "pid"))
				if rapid.IntRange(0, 4).Draw(t, "remove") == 0 {
					_, had := want[pid]
					_, ok := tx.remove(pid)
					if ok != had {
						t.Fatalf("remove %s = %v, want %v", pid, ok, had)
					}
					delete(want, pid)
					continue
				}
				p := Participant{
					PID:      pid,
					Name:     rapid.SampledFrom([]string{"a", "b"}).Draw(t, "name"),
					JoinTime: time.UnixMilli(int64(rapid.IntRange(0, 5).Draw(t, "join"))),
				}
				tx.put(&p)
				want[pid] = p
			}
			cur = tx.done()
			history = append(history, version{cur, maps.Clone(want)})
			if err := same(cur, want); err != nil {
				t.Fatalf("version %d: %v", len(history)-1, err)
			}
		}
		for i, v := range history {
			if err := same(v.r, v.want); err != nil {
				t.Fatalf("version %d of %d changed later: %v", i, len(history), err)
			}
		}
	})
}

func same(r roster, want map[string]Participant) error {
	exp := slices.SortedFunc(maps.Values(want), func(a, b Participant) int {
		return cmp.Or(a.JoinTime.Compare(b.JoinTime), strings.Compare(a.PID, b.PID))
	})
	got := r.list()
	if len(got) != len(exp) || r.len() != len(exp) {
		return fmt.Errorf("len = %d (index %d), want %d", len(got), r.len(), len(exp))
	}
	for i := range exp {
		if got[i].PID != exp[i].PID || got[i].Name != exp[i].Name || !got[i].JoinTime.Equal(exp[i].JoinTime) {
			return fmt.Errorf("entry %d = %+v, want %+v", i, got[i], exp[i])
		}
		if p, ok := r.get(exp[i].PID); !ok || p.Name != exp[i].Name {
			return fmt.Errorf("get %s = %+v, %v", exp[i].PID, p, ok)
		}
	}
	for _, c := range r.seq {
		if len(c.ps) == 0 || len(c.ps) > chunkMax {
			return fmt.Errorf("chunk of %d entries", len(c.ps))
		}
	}
	return nil
}
