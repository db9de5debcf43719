package meeting

import (
	"cmp"
	"slices"
	"sort"
	"strings"
)

// chunkMax bounds a chunk of the roster's sorted sequence: an update copies
// at most one chunk, and a full chunk splits in two.
const chunkMax = 64

// roster holds the online participants twice, both persistently: by PID for
// lookups, and as a sequence sorted by (JoinTime, PID) split into chunks, so
// that a snapshot is a plain copy in display order with no sort. A
// published roster and its *Participant entries are never modified; an
// update replaces the entry and copies only the bucket and the chunk that
// held it.
type roster struct {
	byPID pmap[*Participant]
	seq   []*chunk
}

// chunk is a non-empty run of the sorted sequence. gen marks the
// transaction that created it, the only one allowed to write to it.
type chunk struct {
	gen uint64
	ps  []*Participant
}

// before orders participants by join time, then PID: the snapshot order.
func before(a, b *Participant) bool {
	if !a.JoinTime.Equal(b.JoinTime) {
		return a.JoinTime.Before(b.JoinTime)
	}
	return a.PID < b.PID
}

func (r roster) get(pid string) (*Participant, bool) { return r.byPID.get(pid) }

func (r roster) len() int { return r.byPID.len() }

// each calls f for every participant in snapshot order until f returns false.
func (r roster) each(f func(*Participant) bool) {
	for _, c := range r.seq {
		for _, p := range c.ps {
			if !f(p) {
				return
			}
		}
	}
}

// list copies the participants out in snapshot order. The Info maps are
// shared, which is safe because entries are never modified.
func (r roster) list() []Participant {
	out := make([]Participant, 0, r.len())
	r.each(func(p *Participant) bool { out = append(out, *p); return true })
	return out
}

// buildRoster makes the roster of ps at once, with one sort instead of an
// insertion per entry: for a full snapshot. Of two entries with the same
// PID the later is kept. gen is the transaction's, as for edit.
func buildRoster(gen uint64, ps []*Participant) roster {
	tx := pmap[*Participant]{}.edit(gen)
	for _, p := range ps {
		tx.set(p.PID, p)
	}
	byPID := tx.done()
	seq := make([]*Participant, 0, byPID.len())
	for _, p := range ps {
		if q, _ := byPID.get(p.PID); q == p {
			seq = append(seq, p)
		}
	}
	slices.SortFunc(seq, func(a, b *Participant) int {
		return cmp.Or(a.JoinTime.Compare(b.JoinTime), strings.Compare(a.PID, b.PID))
	})
	// Chunks start three quarters full, so that the deltas that follow
	// insert without splitting at once.
	const fill = chunkMax * 3 / 4
	chunks := make([]*chunk, 0, (len(seq)+fill-1)/fill)
	for len(seq) > 0 {
		n := min(fill, len(seq))
		chunks = append(chunks, &chunk{gen: gen, ps: seq[:n:n]})
		seq = seq[n:]
	}
	return roster{byPID: byPID, seq: chunks}
}

// cursor walks a roster's sequence in order.
type cursor struct {
	seq   []*chunk
	ci, i int
}

// peek returns the current entry, nil at the end.
func (c *cursor) peek() *Participant {
	if c.ci >= len(c.seq) {
		return nil
	}
	return c.seq[c.ci].ps[c.i]
}

func (c *cursor) next() {
	if c.i++; c.i == len(c.seq[c.ci].ps) {
		c.ci, c.i = c.ci+1, 0
	}
}

// rosterTx is an edit of a roster; see pmapTx for the rules on gen.
type rosterTx struct {
	byPID pmapTx[*Participant]
	seq   []*chunk
	owned bool // seq is this transaction's copy
	gen   uint64
}

func (r roster) edit(gen uint64) *rosterTx {
	return &rosterTx{byPID: r.byPID.edit(gen), seq: r.seq, gen: gen}
}

func (t *rosterTx) get(pid string) (*Participant, bool) { return t.byPID.get(pid) }

// put adds p or replaces the entry with p's PID.
func (t *rosterTx) put(p *Participant) {
	old, ok := t.byPID.get(p.PID)
	t.byPID.set(p.PID, p)
	if ok && !before(old, p) && !before(p, old) {
		ci, i := locate(t.seq, old)
		t.writableChunk(ci).ps[i] = p
		return
	}
	if ok {
		t.unlink(old)
	}
	t.link(p)
}

// remove deletes pid and returns the entry it had.
func (t *rosterTx) remove(pid string) (*Participant, bool) {
	old, ok := t.byPID.get(pid)
	if !ok {
		return nil, false
	}
	t.byPID.del(pid)
	t.unlink(old)
	return old, true
}

func (t *rosterTx) done() roster { return roster{byPID: t.byPID.done(), seq: t.seq} }

// locate returns where p is, or would be inserted, in seq: the first chunk
// whose last entry is not before p, and the position inside it. Past the
// end it returns the last chunk and its length.
func locate(seq []*chunk, p *Participant) (ci, i int) {
	ci = sort.Search(len(seq), func(k int) bool {
		c := seq[k].ps
		return !before(c[len(c)-1], p)
	})
	if ci == len(seq) {
		if ci == 0 {
			return 0, 0
		}
		ci--
		return ci, len(seq[ci].ps)
	}
	c := seq[ci].ps
	i = sort.Search(len(c), func(k int) bool { return !before(c[k], p) })
	return ci, i
}

func (t *rosterTx) ownSeq() {
	if !t.owned {
		t.seq = append(make([]*chunk, 0, len(t.seq)+1), t.seq...)
		t.owned = true
	}
}

func (t *rosterTx) writableChunk(ci int) *chunk {
	t.ownSeq()
	c := t.seq[ci]
	if c.gen == t.gen {
		return c
	}
	nc := &chunk{gen: t.gen, ps: make([]*Participant, len(c.ps), len(c.ps)+1)}
	copy(nc.ps, c.ps)
	t.seq[ci] = nc
	return nc
}

func (t *rosterTx) link(p *Participant) {
	t.ownSeq()
	if len(t.seq) == 0 {
		t.seq = append(t.seq, &chunk{gen: t.gen, ps: []*Participant{p}})
		return
	}
	ci, i := locate(t.seq, p)
	c := t.writableChunk(ci)
	c.ps = slices.Insert(c.ps, i, p)
	if len(c.ps) <= chunkMax {
		return
	}
	half := len(c.ps) / 2
	right := &chunk{gen: t.gen, ps: slices.Clone(c.ps[half:])}
	c.ps = slices.Clip(c.ps[:half])
	t.seq = slices.Insert(t.seq, ci+1, right)
}

func (t *rosterTx) unlink(old *Participant) {
	ci, i := locate(t.seq, old)
	c := t.writableChunk(ci)
	c.ps = slices.Delete(c.ps, i, i+1)
	if len(c.ps) == 0 {
		t.seq = slices.Delete(t.seq, ci, ci+1)
	}
}
