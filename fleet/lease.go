package fleet

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Lease is the value of a meeting's key in BucketLeases. It names the
// worker that holds the meeting; Nonce tells one claim from another, so
// that a worker recognises its own write after a reply was lost.
type Lease struct {
	Worker    string    `json:"worker"`
	Nonce     string    `json:"nonce"`
	ClaimedAt time.Time `json:"claimedAt"`
}

// errLeaseLost means someone else's write is on the lease: stop at once.
var errLeaseLost = errors.New("fleet: lease lost")

// errTaken means the meeting already has a lease.
var errTaken = errors.New("fleet: lease taken")

// lease is one claim of one meeting, owned by its holder's goroutine.
//
// Timing: the server stamps each write on arrival and expires it Lease
// later, so a write sent at t lives at least until t + Lease. The holder
// counts from the send time of the last write that was acknowledged and
// stops its session at 2/3 Lease after it (safeUntil): the last third is
// the margin for the close frame and the socket, and nobody can claim the
// meeting before it runs out.
type lease struct {
	kv        jetstream.KeyValue
	key       string
	value     []byte
	nonce     string
	rev       uint64
	safeUntil time.Time
	t         timing
}

func newLease(kv jetstream.KeyValue, conf, worker string, t timing) *lease {
	nonce := randomHex(8)
	v, _ := json.Marshal(Lease{Worker: worker, Nonce: nonce, ClaimedAt: time.Now().UTC()})
	return &lease{kv: kv, key: conf, value: v, nonce: nonce, t: t}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ours reports whether an entry is this claim's own write.
func (l *lease) ours(e jetstream.KeyValueEntry) bool {
	if e == nil || e.Operation() != jetstream.KeyValuePut {
		return false
	}
	var v Lease
	return json.Unmarshal(e.Value(), &v) == nil && v.Nonce == l.nonce
}

// requestCtx bounds one request by the request timeout and by safeUntil:
// nothing the holder waits for may delay its fence.
func (l *lease) requestCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	d := time.Now().Add(l.t.request)
	if !l.safeUntil.IsZero() && l.safeUntil.Before(d) {
		d = l.safeUntil
	}
	return context.WithDeadline(ctx, d)
}

// claim creates the lease if the meeting has none. It returns errTaken
// when another lease is there.
func (l *lease) claim(ctx context.Context) error {
	sent := time.Now()
	rctx, cancel := context.WithTimeout(ctx, l.t.request)
	defer cancel()
	rev, err := l.kv.Create(rctx, l.key, l.value)
	if err == nil {
		l.rev, l.safeUntil = rev, sent.Add(l.t.fenceAfter)
		return nil
	}
	if errors.Is(err, jetstream.ErrKeyExists) {
		return errTaken
	}
	// The reply was lost or late: the write may have landed.
	gctx, gcancel := context.WithTimeout(ctx, l.t.request)
	defer gcancel()
	e, gerr := l.kv.Get(gctx, l.key)
	switch {
	case gerr == nil && l.ours(e):
		l.rev, l.safeUntil = e.Revision(), sent.Add(l.t.fenceAfter)
		return nil
	case gerr == nil:
		return errTaken // another claim won the race for a released lease
	}
	return fmt.Errorf("fleet: claim %s: %w", l.key, err)
}

// renew rewrites the lease if it is still this claim's. It returns
// errLeaseLost when someone else's write is there; any other error is
// transient and leaves safeUntil as it was.
func (l *lease) renew(ctx context.Context) error {
	for range 2 {
		sent := time.Now()
		rctx, cancel := l.requestCtx(ctx)
		rev, err := l.kv.Update(rctx, l.key, l.value, l.rev)
		cancel()
		if err == nil {
			l.rev, l.safeUntil = rev, sent.Add(l.t.fenceAfter)
			return nil
		}
		if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) && !errors.Is(err, jetstream.ErrKeyExists) {
			return fmt.Errorf("fleet: renew %s: %w", l.key, err)
		}
		// A renewal whose reply was lost may have moved the revision:
		// take it if the write there is ours, and renew again.
		gctx, gcancel := l.requestCtx(ctx)
		e, gerr := l.kv.Get(gctx, l.key)
		gcancel()
		switch {
		case gerr == nil && l.ours(e):
			l.rev = e.Revision()
		case gerr == nil, errors.Is(gerr, jetstream.ErrKeyNotFound), errors.Is(gerr, jetstream.ErrKeyDeleted):
			return errLeaseLost
		default:
			return fmt.Errorf("fleet: renew %s: %w", l.key, gerr)
		}
	}
	return fmt.Errorf("fleet: renew %s: the revision keeps moving", l.key)
}

// release deletes the lease if it is still this claim's, so that another
// worker may claim the meeting at once. Call it only once the session has
// stopped.
func (l *lease) release(ctx context.Context) error {
	rctx, cancel := context.WithTimeout(ctx, l.t.request)
	defer cancel()
	if err := l.kv.Delete(rctx, l.key, jetstream.LastRevision(l.rev)); err != nil {
		return fmt.Errorf("fleet: release %s: %w", l.key, err)
	}
	return nil
}
