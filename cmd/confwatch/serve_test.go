package main_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/confwatch/confwatch/internal/demo"
)

// TestDemoServe: demo --serve runs fake meetings as a process, prints
// where they are and a meetings file that fleet apply accepts, serves its
// counters, and a tail of one of its meetings works through it.
func TestDemoServe(t *testing.T) {
	dir := t.TempDir()
	p := start(t, nil, "demo", "--serve", "127.0.0.1:0", "--meetings", "3", "--churn", "50ms", "--dir", dir, "--log-format", "json")
	var info struct {
		API          string   `json:"api"`
		Counters     string   `json:"counters"`
		MeetingsFile string   `json:"meetingsFile"`
		Conferences  []string `json:"conferences"`
	}
	poll(t, 20*time.Second, "the ready line", func() bool {
		line, _, _ := strings.Cut(p.stdout.String(), "\n")
		return json.Unmarshal([]byte(line), &info) == nil && info.API != ""
	})
	if len(info.Conferences) != 3 || !strings.HasSuffix(info.Counters, demo.CountersPath) || filepath.Dir(info.MeetingsFile) != dir {
		t.Fatalf("ready line %+v", info)
	}
	f, err := os.Open(info.MeetingsFile)
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Meetings []struct {
			Conference   string `json:"conference"`
			PasswordFile string `json:"passwordFile"`
		} `json:"meetings"`
	}
	err = json.NewDecoder(bufio.NewReader(f)).Decode(&file)
	f.Close()
	if err != nil || len(file.Meetings) != 3 || file.Meetings[0].Conference != info.Conferences[0] {
		t.Fatalf("meetings file: %+v, %v", file, err)
	}

	id := info.Conferences[1]
	tailP := start(t, nil, "tail", "--conference", id, "--password-file", file.Meetings[1].PasswordFile, "--api", info.API, "--semantic", "--log-format", "json")
	poll(t, 20*time.Second, "a change tailed from the served meeting", func() bool {
		return strings.Contains(tailP.stdout.String(), `"kind":"change"`)
	})
	var c demo.Counters
	poll(t, 10*time.Second, "counters with the tail's socket", func() bool {
		resp, err := http.Get(info.Counters)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		return json.NewDecoder(resp.Body).Decode(&c) == nil && c.Meetings[id].LiveSockets == 1
	})
	if m := c.Meetings[id]; m.TokensIssued != 1 || m.MaxLiveSockets != 1 || c.TokenReuse != 0 {
		t.Errorf("counters %+v", c)
	}
	tailP.cmd.Process.Signal(syscall.SIGINT)
	if code := tailP.exit(t); code != 130 {
		t.Errorf("tail exited %d after SIGINT, want 130", code)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.exit(t); code != 143 {
		t.Errorf("demo --serve exited %d after SIGTERM, want 143: %s", code, p.stderr.String())
	}
}

// TestFleetApplyRefusesBadFiles: a bad meetings file exits 2 naming the
// line, and nothing is written (no NATS is even needed).
func TestFleetApplyRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name, body, want string
	}{
		{"unknown key", "{\"meetings\": [\n  {\"conference\": \"1\", \"passwordEnv\": \"X\", \"extra\": 1}\n]}", `meetings.json:2: entry 1: json: unknown field "extra"`},
		{"bad ID", "{\"meetings\": [\n\n  {\"conference\": \"12a\", \"passwordEnv\": \"X\"}]}", "meetings.json:3: entry 1: conference"},
		{"unreadable reference", "{\"meetings\": [{\"conference\": \"1\", \"passwordFile\": \"" + filepath.Join(dir, "missing.pw") + "\"}]}", "entry 1 (conference 1): passwordFile"},
		{"unset variable", "{\"meetings\": [{\"conference\": \"1\", \"passwordEnv\": \"CONFWATCH_TEST_UNSET_VAR\"}]}", "CONFWATCH_TEST_UNSET_VAR is not set"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := filepath.Join(dir, "meetings.json")
			os.WriteFile(f, []byte(tt.body), 0o600)
			p := start(t, nil, "fleet", "apply", "-f", f, "--nats", "nats://127.0.0.1:1")
			if code := p.exit(t); code != 2 {
				t.Errorf("exit %d, want 2; stderr %s", code, p.stderr.String())
			}
			if !strings.Contains(p.stderr.String(), tt.want) {
				t.Errorf("stderr %q does not say %q", p.stderr.String(), tt.want)
			}
		})
	}
}

// TestFleetRefusesNonLoopback: the embedded server has no authentication,
// so it does not listen off loopback.
func TestFleetRefusesNonLoopback(t *testing.T) {
	p := start(t, nil, "fleet", "--nats-listen", "0.0.0.0:4222", "--data-dir", t.TempDir(), "--log-format", "json")
	if code := p.exit(t); code != 2 || !strings.Contains(p.stderr.String(), "loopback only") {
		t.Errorf("exit %d, stderr %s: want 2 and loopback only", code, p.stderr.String())
	}
}
