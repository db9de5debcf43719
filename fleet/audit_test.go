package fleet_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/confwatch/confwatch/fleet"
	"github.com/confwatch/confwatch/integration/fakemeeting"
)

const (
	canaryPassword = "cnryPW-h0st-Xq71"
	canaryGuest    = "cnryPW-guest-Rk22"
	tokenCanary    = "CNRYtok"
)

// TestCanaryAudit: with every password and token carrying a canary, and
// a meeting that changes, hands over and fails over, nothing in the event
// stream or in any bucket (every value kept) contains a canary, in
// clear or base64.
func TestCanaryAudit(t *testing.T) {
	r := newRig(t, 2, fakemeeting.Config{HostPassword: canaryPassword, GuestPassword: canaryGuest, TokenCanary: tokenCanary})
	r.apply(r.meetings(r.ids...))
	a := r.start("a", r.ns.ClientURL(), nil)
	waitFor(t, 10*time.Second, "both subscribed", func() bool {
		c := r.svc.Counters()
		return c.Meetings[r.ids[0]].Subscribed == 1 && c.Meetings[r.ids[1]].Subscribed == 1
	})
	for _, id := range r.ids {
		srv := r.svc.Meeting(id)
		pid, err := srv.Meeting().JoinOne(fakemeeting.Person{Name: "Zhang Min"})
		if err != nil {
			t.Fatal(err)
		}
		_ = srv.Meeting().RaiseHand(pid, true)
		_ = srv.Meeting().Caption(pid, "hello")
	}
	b := r.start("b", r.ns.ClientURL(), nil)
	time.Sleep(testLease / 2)
	a.stop(t)
	waitFor(t, 10*time.Second, "b holds both", func() bool { return len(b.w.Owned()) == 2 })
	waitFor(t, 5*time.Second, "both subscribed again", func() bool {
		c := r.svc.Counters()
		return c.Meetings[r.ids[0]].Subscribed == 1 && c.Meetings[r.ids[1]].Subscribed == 1
	})
	time.Sleep(300 * time.Millisecond) // a state write or two
	b.stop(t)
	if c := r.svc.Counters(); c.TokensIssued < 4 {
		t.Fatalf("only %d ws tokens issued: the scenario did not run", c.TokensIssued)
	}

	var blobs [][]byte
	recs := r.records("")
	if len(recs) < 10 {
		t.Fatalf("only %d records in the stream", len(recs))
	}
	for _, p := range recs {
		blobs = append(blobs, []byte(p.subject), p.data)
		for k, vs := range p.header {
			blobs = append(blobs, []byte(k+": "+strings.Join(vs, ",")))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, name := range []string{fleet.BucketDesired, fleet.BucketLeases, fleet.BucketWorkers, fleet.BucketState} {
		kv, err := r.js.KeyValue(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for key := range listAll(ctx, t, kv) {
			hist, err := kv.History(ctx, key)
			if err != nil {
				continue
			}
			for _, e := range hist {
				blobs = append(blobs, []byte(e.Key()), e.Value())
				n++
			}
		}
		t.Logf("bucket %s: %d values audited", name, n)
	}
	secrets := []string{tokenCanary, canaryGuest}
	for i := range r.ids {
		secrets = append(secrets, canaryPassword+"-"+string(rune('0'+i)))
	}
	secrets = append(secrets, canaryPassword)
	for _, b := range blobs {
		for _, s := range secrets {
			for _, n := range needles(s) {
				if bytes.Contains(b, []byte(n)) {
					t.Errorf("secret %q (as %q) found in NATS: %.200s", s, n, b)
				}
			}
		}
	}
	if !bytes.Contains(bytes.Join(blobs, nil), []byte("REDACTED")) {
		t.Error("no REDACTED anywhere: the basic-info push with its passwords was not published, so the audit proves little")
	}
}

// listAll returns every key of kv with its deleted ones.
func listAll(ctx context.Context, t *testing.T, kv jetstream.KeyValue) map[string]bool {
	t.Helper()
	w, err := kv.WatchAll(ctx, jetstream.MetaOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	keys := map[string]bool{}
	for e := range w.Updates() {
		if e == nil {
			break
		}
		keys[e.Key()] = true
	}
	return keys
}

// needles are the forms a secret could leak in: as is, and base64 at each
// alignment, cut to the characters that depend on it alone.
func needles(s string) []string {
	out := []string{s}
	for pad := 0; pad < 3; pad++ {
		for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
			full := enc.EncodeToString(append(bytes.Repeat([]byte{0}, pad), s...))
			from, to := (8*pad+5)/6, 8*(pad+len(s))/6
			if to-from >= 6 {
				out = append(out, full[from:to])
			}
		}
	}
	return out
}
