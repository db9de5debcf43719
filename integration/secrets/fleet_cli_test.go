package secrets_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/confwatch/confwatch/integration/fakemeeting"
)

// natsURL finds the embedded server's address in a fleet worker's log.
var natsURL = regexp.MustCompile(`nats://127\.0\.0\.1:[0-9]+`)

// TestFleetConsumersLeakNothing runs a fleet worker (embedded NATS,
// debug logs) on a meeting whose secrets are canaries, and the consumers
// of its stream: tail --nats and state --nats at debug level in both log
// formats, and fleet status. None of them, nor the worker, prints a
// secret.
func TestFleetConsumersLeakNothing(t *testing.T) {
	a := newAudit(t, canaryPassword, canaryGuest, tokenCanary)
	fake := newFake(t, fakemeeting.Config{})
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	meetings := filepath.Join(dir, "meetings.json")
	if err := os.WriteFile(pw, []byte(canaryPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(meetings, fmt.Appendf(nil, `{"meetings": [{"conference": %q, "passwordFile": %q}]}`, fake.ConferenceID(), pw), 0o600); err != nil {
		t.Fatal(err)
	}
	startCLI(t, a, "", nil, "fleet", "--api", fake.URL(), "--nats-listen", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "nats"),
		"--lease", "3s", "--log-level", "debug", "--log-format", "json")
	var url string
	waitFor(t, "the embedded NATS started", func() bool {
		url = natsURL.FindString(a.text("fleet stderr"))
		return url != ""
	})
	if code := startCLI(t, a, "", nil, "fleet", "apply", "-f", meetings, "--nats", url).exit(t); code != 0 {
		t.Fatalf("apply exited %d: %s", code, a.text("fleet stderr"))
	}
	subscribes(t, fake, 1)
	pid, err := fake.Meeting().JoinOne(fakemeeting.Person{Name: "Zhao Lei"})
	if err != nil {
		t.Fatal(err)
	}
	tails := map[string]*cli{}
	for _, format := range []string{"text", "json"} {
		tails[format] = startProgram(t, a, "tail "+format, "", nil, binary, "tail", "--nats", url, "--conference", fake.ConferenceID(),
			"--since", "1h", "--semantic", "--log-level", "debug", "--log-format", format)
	}
	state := startCLI(t, a, "", nil, "state", "--nats", url, "--conference", fake.ConferenceID(), "--format", "json",
		"--log-level", "debug", "--log-format", "json")
	for format := range tails {
		waitFor(t, "tail --nats "+format+" saw the join", func() bool { return strings.Contains(a.text("tail "+format+" stdout"), "Zhao Lei") })
	}
	if code := startCLI(t, a, "", nil, "fleet", "status", "--nats", url).exit(t); code != 0 {
		t.Errorf("fleet status exited %d", code)
	}
	for _, err := range []error{fake.Meeting().RaiseHand(pid, true), fake.Meeting().Record(true), fake.Meeting().End(t.Context())} {
		if err != nil {
			t.Fatal(err)
		}
	}
	for format, c := range tails {
		if code := c.exit(t); code != 0 {
			t.Errorf("tail --nats %s exited %d, want 0 at the end", format, code)
		}
	}
	if code := state.exit(t); code != 0 {
		t.Errorf("state --nats exited %d, want 0 at the end", code)
	}
	if out := a.text("tail json stdout"); !strings.Contains(out, `"HandRaised"`) || !strings.Contains(out, `"status":"ended"`) {
		t.Errorf("tail --nats told no raised hand or no end: the scenario did not run\n%s", out)
	}
	if out := a.text("fleet stdout"); !strings.Contains(out, fake.ConferenceID()) {
		t.Errorf("fleet status listed nothing:\n%s", out)
	}
	a.check()
}
