package feed_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
	"github.com/confwatch/confwatch/fleet/feed"
	"github.com/confwatch/confwatch/internal/demo"
)

const (
	canaryPassword = "cnryPW-h0st-Xq71"
	canaryGuest    = "cnryPW-guest-Rk22"
	tokenCanary    = "CNRYtok"
)

// TestConsumerCanaryAudit: with every password and token carrying a
// canary, nothing a consumer of the stream gets — events (payloads, Raw,
// errors, printed with %+v), changes, owners, pictures, its logs at debug,
// Run's error — holds a canary, in clear or base64, or a guest join link.
func TestConsumerCanaryAudit(t *testing.T) {
	fake := demo.Config()
	fake.HostPassword, fake.GuestPassword, fake.TokenCanary = canaryPassword, canaryGuest, tokenCanary
	r := newRigWith(t, fake)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r.worker("w1")

	var (
		mu    sync.Mutex
		seen  bytes.Buffer
		fails []error
	)
	note := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(&seen, format+"\n", args...)
	}
	log := slog.New(slog.NewJSONHandler(writerFunc(func(b []byte) { note("%s", b) }), &slog.HandlerOptions{Level: slog.LevelDebug}))
	run := func(since time.Duration) {
		f, err := feed.New(feed.Config{JetStream: r.jetstream(), Conference: r.id, Since: since, Logger: log,
			OnChange: func(c meeting.Change) { note("change %+v", c) },
			OnOwner:  func(o string) { note("owner %s", o) },
		})
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.NewState(ctx, meeting.Config{Logger: log})
		if err != nil {
			t.Fatal(err)
		}
		err = f.Run(ctx, events.HandlerFunc(func(ctx context.Context, e events.Event) {
			st.HandleEvent(ctx, e)
			note("event %+v", e)
			if p, ok := e.(*events.Push); ok {
				b, _ := json.Marshal(p.Payload)
				note("payload %s raw %s", b, p.Raw)
			}
		}))
		b, _ := json.Marshal(st.Snapshot())
		note("snapshot %s err %v", b, err)
		if !isEnded(err) {
			mu.Lock()
			fails = append(fails, err)
			mu.Unlock()
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() { run(time.Hour) })
	if err := r.play(ctx, 20, func(step int) {
		if step == 8 {
			wg.Go(func() { run(0) })
		}
	}); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if len(fails) > 0 {
		t.Fatalf("runs ended with %v, want the meeting's end", fails)
	}
	text := seen.Bytes()
	if !bytes.Contains(text, []byte("REDACTED")) || !bytes.Contains(text, []byte("ConfBasicInfoNotify")) {
		t.Fatal("no REDACTED or no basic info seen: the audit proves little")
	}
	for _, s := range []string{canaryPassword, canaryGuest, tokenCanary, "meeting.huaweicloud.com/#/j/"} {
		for _, n := range needles(s) {
			if i := bytes.Index(text, []byte(n)); i >= 0 {
				t.Errorf("secret %q (as %q) reached a consumer: %.200s", s, n, text[max(0, i-100):])
			}
		}
	}
}

type writerFunc func([]byte)

func (w writerFunc) Write(b []byte) (int, error) { w(bytes.Clone(b)); return len(b), nil }

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
