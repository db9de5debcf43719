package secrets_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/confwatch/confwatch/integration/fakemeeting"
)

// The canaries. Every one is distinctive enough that finding it anywhere
// in output can only mean a leak.
const (
	canaryPassword = "cnryPW-h0st-Xq71"  // the host password that logs in
	canaryGuest    = "cnryPW-guest-Rk22" // the guest password, pushed in ConfBasicInfoNotify
	canaryWrongPW  = "cnryPW-wrong-Lm93" // a wrong password a user might type
	tokenCanary    = "CNRYtok"           // inside every token the fake mints
)

// waitLong bounds every wait; generous for a loaded CI machine, never a
// timing assertion.
const waitLong = 30 * time.Second

// needles returns the forms under which s could leak: as is, URL-query
// escaped, and base64 (standard and URL alphabets) at each of the three
// alignments it can have inside a longer encoded value, cut to the
// characters that depend on s alone.
func needles(s string) []string {
	out := []string{s, url.QueryEscape(s)}
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

// audit collects every string a scenario produced and searches it for the
// canaries.
type audit struct {
	t       *testing.T
	secrets []string
	mu      sync.Mutex
	texts   map[string]*bytes.Buffer
}

func newAudit(t *testing.T, secrets ...string) *audit {
	return &audit{t: t, secrets: secrets, texts: map[string]*bytes.Buffer{}}
}

// writer returns a concurrency-safe sink named where.
func (a *audit) writer(where string) *auditWriter { return &auditWriter{a: a, where: where} }

type auditWriter struct {
	a     *audit
	where string
}

func (w *auditWriter) Write(p []byte) (int, error) {
	w.a.mu.Lock()
	defer w.a.mu.Unlock()
	b := w.a.texts[w.where]
	if b == nil {
		b = &bytes.Buffer{}
		w.a.texts[w.where] = b
	}
	return b.Write(p)
}

// add records values rendered with every fmt verb a log call might use.
func (a *audit) add(where string, values ...any) {
	w := a.writer(where)
	for _, v := range values {
		fmt.Fprintf(w, "%v\n%+v\n%#v\n%s\n", v, v, v, v)
	}
}

// logger logs at debug to a JSON and a text handler, both audited.
func (a *audit) logger(where string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelDebug}
	return slog.New(slog.NewMultiHandler(
		slog.NewJSONHandler(a.writer(where+" (json log)"), opts),
		slog.NewTextHandler(a.writer(where+" (text log)"), opts)))
}

// text returns what was captured under where.
func (a *audit) text(where string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if b := a.texts[where]; b != nil {
		return b.String()
	}
	return ""
}

// findings lists every canary found, naming where and showing the
// surroundings, and returns how many bytes were searched.
func (a *audit) findings() (found []string, bytes int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for where, b := range a.texts {
		text := b.String()
		bytes += len(text)
		for _, secret := range a.secrets {
			for _, n := range needles(secret) {
				if i := strings.Index(text, n); i >= 0 {
					found = append(found, fmt.Sprintf("%s leaks %q (as %q): …%s…", where, secret, n, excerpt(text, i)))
				}
			}
		}
	}
	return found, bytes
}

// check fails the test for every finding, and when nothing was captured.
func (a *audit) check() {
	a.t.Helper()
	found, n := a.findings()
	for _, f := range found {
		a.t.Error(f)
	}
	if n == 0 {
		a.t.Fatal("the audit captured no output at all")
	}
	a.t.Logf("audited %d bytes from %d sources", n, len(a.texts))
}

// TestAuditFindsEveryEncoding proves the audit can fail: a token with the
// canary inside, written raw, URL-escaped, as a Basic confToken (base64
// at every alignment) and base64url, is found each time.
func TestAuditFindsEveryEncoding(t *testing.T) {
	tok := "stb" + tokenCanary + "0123456789abcdef"
	for i, leak := range []string{
		tok,
		url.QueryEscape("x y" + tok),
		"Basic " + base64.StdEncoding.EncodeToString([]byte(tok)),
		base64.StdEncoding.EncodeToString([]byte("a" + tok)),
		base64.StdEncoding.EncodeToString([]byte("ab" + tok)),
		base64.RawURLEncoding.EncodeToString([]byte("abc" + tok)),
	} {
		a := newAudit(t, tokenCanary)
		fmt.Fprintf(a.writer("leak"), "level=DEBUG msg=x value=%s\n", leak)
		if found, _ := a.findings(); len(found) == 0 {
			t.Errorf("leak %d (%q) was not found", i, leak)
		}
	}
	clean := newAudit(t, tokenCanary)
	fmt.Fprintf(clean.writer("clean"), "token=%s request_id=%s\n", "REDACTED", "0123abcd")
	if found, _ := clean.findings(); len(found) != 0 {
		t.Errorf("false positive: %v", found)
	}
}

func excerpt(s string, i int) string {
	from, to := max(i-80, 0), min(i+80, len(s))
	return s[from:to]
}

// newFake starts a fake whose passwords are canaries and whose tokens
// carry the token canary.
func newFake(t *testing.T, cfg fakemeeting.Config) *fakemeeting.Server {
	t.Helper()
	cfg.HostPassword, cfg.GuestPassword, cfg.TokenCanary = canaryPassword, canaryGuest, tokenCanary
	f, err := fakemeeting.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}

// waitFor polls cond until it holds, failing after waitLong.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
