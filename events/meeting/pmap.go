package meeting

import (
	"iter"
	"slices"
	"strings"
)

// pmapBuckets is the fan-out of pmap. A write copies the bucket array (one
// pointer per bucket) and the one bucket it touches, so with 3,000 entries
// a single-key update copies 64 pointers and about 47 entries instead of
// the whole map.
const pmapBuckets = 64

// pmap is a persistent map from string keys to V: a published pmap is never
// modified; edits go through a pmapTx, which copies only the buckets it
// writes. The zero value is an empty map.
type pmap[V any] struct {
	b *[pmapBuckets]*pbucket[V] // nil when empty and never written
	n int
}

// pbucket holds the entries of one bucket sorted by key. gen marks the
// transaction that created it: only that transaction may write to it, and
// only until it is done.
type pbucket[V any] struct {
	gen uint64
	es  []pentry[V]
}

type pentry[V any] struct {
	k string
	v V
}

// bucketOf hashes with FNV-1a: deterministic across runs, so the iteration
// order (and with it every benchmark) does not depend on a random seed.
func bucketOf(k string) int {
	h := uint32(2166136261)
	for i := 0; i < len(k); i++ {
		h ^= uint32(k[i])
		h *= 16777619
	}
	return int(h % pmapBuckets)
}

func (b *pbucket[V]) find(k string) (int, bool) {
	return slices.BinarySearchFunc(b.es, k, func(e pentry[V], k string) int {
		return strings.Compare(e.k, k)
	})
}

func lookup[V any](arr *[pmapBuckets]*pbucket[V], k string) (V, bool) {
	var zero V
	if arr == nil {
		return zero, false
	}
	b := arr[bucketOf(k)]
	if b == nil {
		return zero, false
	}
	if i, ok := b.find(k); ok {
		return b.es[i].v, true
	}
	return zero, false
}

// get returns the value stored under k.
func (m pmap[V]) get(k string) (V, bool) { return lookup(m.b, k) }

// len returns the number of entries.
func (m pmap[V]) len() int { return m.n }

// all yields every entry, bucket by bucket; the order is deterministic but
// meaningless, so callers that need an order sort.
func (m pmap[V]) all() iter.Seq2[string, V] {
	return func(yield func(string, V) bool) {
		if m.b == nil {
			return
		}
		for _, b := range m.b {
			if b == nil {
				continue
			}
			for _, e := range b.es {
				if !yield(e.k, e.v) {
					return
				}
			}
		}
	}
}

// pmapTx is an edit of a pmap. gen must be unique to the transaction; the
// transaction must not be used after done.
type pmapTx[V any] struct {
	src pmap[V]
	b   *[pmapBuckets]*pbucket[V] // owned copy of the bucket array, nil until the first write
	n   int
	gen uint64
}

// edit starts a transaction on m.
func (m pmap[V]) edit(gen uint64) pmapTx[V] { return pmapTx[V]{src: m, n: m.n, gen: gen} }

func (t *pmapTx[V]) arr() *[pmapBuckets]*pbucket[V] {
	if t.b != nil {
		return t.b
	}
	return t.src.b
}

// writable returns bucket i, copying it first unless this transaction made it.
func (t *pmapTx[V]) writable(i int) *pbucket[V] {
	if t.b == nil {
		t.b = new([pmapBuckets]*pbucket[V])
		if t.src.b != nil {
			*t.b = *t.src.b
		}
	}
	b := t.b[i]
	if b != nil && b.gen == t.gen {
		return b
	}
	nb := &pbucket[V]{gen: t.gen}
	if b != nil {
		nb.es = make([]pentry[V], len(b.es), len(b.es)+1)
		copy(nb.es, b.es)
	}
	t.b[i] = nb
	return nb
}

func (t *pmapTx[V]) get(k string) (V, bool) { return lookup(t.arr(), k) }

func (t *pmapTx[V]) set(k string, v V) {
	b := t.writable(bucketOf(k))
	i, ok := b.find(k)
	if ok {
		b.es[i].v = v
		return
	}
	b.es = slices.Insert(b.es, i, pentry[V]{k: k, v: v})
	t.n++
}

// del removes k and reports whether it was there.
func (t *pmapTx[V]) del(k string) bool {
	if _, ok := t.get(k); !ok {
		return false
	}
	b := t.writable(bucketOf(k))
	i, _ := b.find(k)
	b.es = slices.Delete(b.es, i, i+1)
	t.n--
	return true
}

// done returns the edited map. It shares every bucket the transaction did
// not write with the source.
func (t *pmapTx[V]) done() pmap[V] {
	if t.b == nil {
		return t.src
	}
	return pmap[V]{b: t.b, n: t.n}
}
