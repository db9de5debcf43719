package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/confwatch/confwatch/integration/fakemeeting"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "confwatch-cli")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "confwatch")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		panic("building confwatch: " + err.Error() + "\n" + string(out))
	}
	code := func() int {
		defer os.RemoveAll(dir)
		return m.Run()
	}()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			os.Stderr.WriteString("goleak: " + err.Error() + "\n")
			code = 1
		}
	}
	os.Exit(code)
}

// canaryPassword must never show in any output.
const canaryPassword = "canary-pw-7Hq2ZxK9"

// Line mirrors the documented stdout schema.
type Line struct {
	Time       string          `json:"time"`
	Conference string          `json:"conference"`
	Kind       string          `json:"kind"`
	Action     string          `json:"action"`
	Mode       string          `json:"mode"`
	Version    int64           `json:"version"`
	MsgID      string          `json:"msgID"`
	Payload    json.RawMessage `json:"payload"`
	Status     string          `json:"status"`
	BlindMs    int64           `json:"blindMs"`
	Reason     string          `json:"reason"`
	Class      string          `json:"class"`
	ExitCode   *int            `json:"exitCode"`
	Change     *struct {
		Kind         string   `json:"kind"`
		PID          string   `json:"pid"`
		Name         string   `json:"name"`
		Inferred     bool     `json:"inferred"`
		Speakers     []string `json:"speakers"`
		SpeakerNames []string `json:"speakerNames"`
	} `json:"change"`
	Snapshot json.RawMessage `json:"snapshot"`
}

type proc struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	done           chan error
}

type syncBuffer struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{mu: make(chan struct{}, 1)} }

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.String()
}

func start(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	p := &proc{cmd: cmd, stdout: newSyncBuffer(), stderr: newSyncBuffer(), done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
	})
	return p
}

// exit waits for the process and returns its exit code.
func (p *proc) exit(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
		p.done <- nil // for the cleanup
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(60 * time.Second):
		t.Fatalf("confwatch did not exit\nstderr:\n%s", p.stderr.String())
		return -1
	}
}

func lines(t *testing.T, out string) []Line {
	t.Helper()
	var ls []Line
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l Line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("stdout line is not JSON: %q: %v", sc.Text(), err)
		}
		ls = append(ls, l)
	}
	return ls
}

func newFake(t *testing.T, cfg fakemeeting.Config) *fakemeeting.Server {
	t.Helper()
	if cfg.HostPassword == "" {
		cfg.HostPassword = canaryPassword
	}
	f, err := fakemeeting.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func noSecrets(t *testing.T, p *proc) {
	t.Helper()
	for name, out := range map[string]string{"stdout": p.stdout.String(), "stderr": p.stderr.String()} {
		if strings.Contains(out, canaryPassword) {
			t.Fatalf("the password leaked into %s", name)
		}
	}
}

func TestTailPrintsTheScriptedMeeting(t *testing.T) {
	f := newFake(t, fakemeeting.Config{})
	p := start(t, []string{"CONFWATCH_HOST_PASSWORD=" + canaryPassword},
		"tail", "--conference", f.ConferenceID(), "--api", f.URL(), "--log-level", "debug")
	if err := f.WaitSubscribed(ctx(t), 1); err != nil {
		t.Fatal(err)
	}
	pid, err := f.Meeting().JoinOne(fakemeeting.Person{Name: "Wang Fang"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Meeting().RaiseHand(pid, true); err != nil {
		t.Fatal(err)
	}
	if err := f.Meeting().Lock(true); err != nil {
		t.Fatal(err)
	}
	if err := f.Meeting().End(t.Context()); err != nil {
		t.Fatal(err)
	}
	if code := p.exit(t); code != 0 {
		t.Fatalf("exit %d after the meeting ended, want 0\nstderr:\n%s", code, p.stderr.String())
	}
	ls := lines(t, p.stdout.String())
	if len(ls) == 0 || ls[0].Kind != "status" || ls[0].Status != "subscribed" {
		t.Fatalf("first line %+v, want the subscribed status", ls)
	}
	var joined, hand, locked, ended bool
	for _, l := range ls {
		if l.Conference != f.ConferenceID() || l.Time == "" {
			t.Fatalf("line lacks time or conference: %+v", l)
		}
		if l.Kind != "push" {
			continue
		}
		payload := string(l.Payload)
		switch {
		case l.Action == "ParticipantsNotify" && l.Mode == "delta" && strings.Contains(payload, "Wang Fang"):
			joined = true
		case l.Action == "ParticipantsNotify" && l.Mode == "delta" && strings.Contains(payload, `"HAND":"1"`):
			hand = true
		case l.Action == "ConfDynamicInfoNotify" && strings.Contains(payload, "Destroyed"):
			ended = true
		case l.Action == "ConfDynamicInfoNotify" && strings.Contains(strings.ToLower(payload), `"lock":1`):
			locked = true
		}
	}
	if !joined || !hand || !locked || !ended {
		t.Fatalf("joined=%t hand=%t locked=%t ended=%t in\n%s", joined, hand, locked, ended, p.stdout.String())
	}
	noSecrets(t, p)
}

func TestTailEventsFilter(t *testing.T) {
	f := newFake(t, fakemeeting.Config{})
	p := start(t, []string{"CONFWATCH_HOST_PASSWORD=" + canaryPassword},
		"tail", "--conference", f.ConferenceID(), "--api", f.URL(), "--events", "ParticipantsNotify")
	if err := f.WaitSubscribed(ctx(t), 1); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Meeting().JoinOne(fakemeeting.Person{Name: "Filtered"}); err != nil {
		t.Fatal(err)
	}
	if err := f.Meeting().Speakers(); err != nil {
		t.Fatal(err)
	}
	f.Meeting().End(t.Context())
	p.exit(t)
	n := 0
	for _, l := range lines(t, p.stdout.String()) {
		if l.Kind == "push" {
			n++
			if l.Action != "ParticipantsNotify" {
				t.Fatalf("filter let through %s", l.Action)
			}
		}
	}
	if n < 2 {
		t.Fatalf("want the participants snapshot and delta, got %d push lines", n)
	}
}

func TestTailSemantic(t *testing.T) {
	f := newFake(t, fakemeeting.Config{})
	p := start(t, []string{"CONFWATCH_HOST_PASSWORD=" + canaryPassword},
		"tail", "--conference", f.ConferenceID(), "--api", f.URL(), "--semantic")
	if err := f.WaitSubscribed(ctx(t), 1); err != nil {
		t.Fatal(err)
	}
	pid, _ := f.Meeting().JoinOne(fakemeeting.Person{Name: "Semantic Sam"})
	f.Meeting().RaiseHand(pid, true)
	f.Meeting().End(t.Context())
	p.exit(t)
	var kinds []string
	for _, l := range lines(t, p.stdout.String()) {
		if l.Kind == "push" {
			t.Fatalf("--semantic printed a raw push: %+v", l)
		}
		if l.Change != nil {
			kinds = append(kinds, l.Change.Kind)
		}
	}
	want := []string{"ParticipantJoined", "HandRaised", "MeetingEnded"}
	if strings.Join(kinds, ",") != strings.Join(want, ",") {
		t.Fatalf("changes %v, want %v", kinds, want)
	}
}

func TestExitCodes(t *testing.T) {
	f := newFake(t, fakemeeting.Config{})
	pwFile := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pwFile, []byte("wrong-password\n"), 0o600)
	cases := []struct {
		name   string
		env    []string
		args   []string
		code   int
		stderr string
	}{
		{"bad password", nil, []string{"tail", "--conference", f.ConferenceID(), "--api", f.URL(), "--password-file", pwFile}, 3, "credentials rejected"},
		{"password flag refused", nil, []string{"tail", "--conference", "1", "--password", canaryPassword}, 2, "shell history"},
		{"token flag refused", nil, []string{"tail", "--conference", "1", "--control-token", "abc"}, 2, "CONFWATCH_CONTROL_TOKEN"},
		{"no conference", []string{"CONFWATCH_HOST_PASSWORD=x"}, []string{"tail"}, 2, "--conference is required"},
		{"no credentials", nil, []string{"tail", "--conference", "1"}, 2, "no credentials"},
		{"unknown event", []string{"CONFWATCH_HOST_PASSWORD=x"}, []string{"tail", "--conference", "1", "--events", "Nope"}, 2, "unknown push type"},
		{"unknown command", nil, []string{"frobnicate"}, 2, "unknown command"},
		{"heartbeat too long", []string{"CONFWATCH_HOST_PASSWORD=x"}, []string{"tail", "--conference", "1", "--heartbeat", "3m"}, 2, "below 180s"},
		{"help", nil, []string{"tail", "--help"}, 0, "Examples"},
		{"version", nil, []string{"version"}, 0, ""},
		{"unreachable api", []string{"CONFWATCH_HOST_PASSWORD=x"}, []string{"tail", "--conference", "1", "--api", "ftp://nowhere"}, 2, "--api"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := append([]string{"CONFWATCH_HOST_PASSWORD=", "CONFWATCH_CONTROL_TOKEN="}, tc.env...)
			p := start(t, env, tc.args...)
			if code := p.exit(t); code != tc.code {
				t.Fatalf("exit %d, want %d\nstderr:\n%s", code, tc.code, p.stderr.String())
			}
			if !strings.Contains(p.stderr.String(), tc.stderr) {
				t.Fatalf("stderr lacks %q:\n%s", tc.stderr, p.stderr.String())
			}
			noSecrets(t, p)
		})
	}
}

func TestSIGINTStopsCleanly(t *testing.T) {
	f := newFake(t, fakemeeting.Config{})
	p := start(t, []string{"CONFWATCH_HOST_PASSWORD=" + canaryPassword}, "tail", "--conference", f.ConferenceID(), "--api", f.URL())
	if err := f.WaitSubscribed(ctx(t), 1); err != nil {
		t.Fatal(err)
	}
	p.cmd.Process.Signal(syscall.SIGINT)
	if code := p.exit(t); code != 130 {
		t.Fatalf("exit %d after SIGINT, want 130\n%s", code, p.stderr.String())
	}
	if err := f.WaitLive(ctx(t), 0); err != nil {
		t.Fatalf("socket still open after SIGINT: %v", err)
	}
	if !strings.Contains(p.stderr.String(), "interrupted") {
		t.Fatalf("stderr does not say it was interrupted:\n%s", p.stderr.String())
	}
}

func TestDemoRunsToTheEnd(t *testing.T) {
	p := start(t, nil, "demo", "--speed", "20")
	if code := p.exit(t); code != 0 {
		t.Fatalf("demo exit %d\n%s", code, p.stderr.String())
	}
	var disconnected, resubscribed, destroyed bool
	for _, l := range lines(t, p.stdout.String()) {
		switch {
		case l.Status == "disconnected":
			disconnected = true
		case l.Status == "resubscribed":
			resubscribed = l.BlindMs > 0
		case l.Action == "ConfDynamicInfoNotify" && strings.Contains(string(l.Payload), "Destroyed"):
			destroyed = true
		}
	}
	if !disconnected || !resubscribed || !destroyed {
		t.Fatalf("demo output: disconnected=%t resubscribed=%t ended=%t\n%s", disconnected, resubscribed, destroyed, p.stdout.String())
	}
}

func TestStateOnce(t *testing.T) {
	f := newFake(t, fakemeeting.Config{Participants: []fakemeeting.Person{{Name: "Table Tom", Hand: true}}})
	p := start(t, []string{"CONFWATCH_HOST_PASSWORD=" + canaryPassword}, "state", "--conference", f.ConferenceID(), "--api", f.URL(), "--once", "--format", "pretty")
	if code := p.exit(t); code != 0 {
		t.Fatalf("exit %d\n%s", code, p.stderr.String())
	}
	out := p.stdout.String()
	for _, want := range []string{"Table Tom", "✋", "NAME", "locked=false"} {
		if !strings.Contains(out, want) {
			t.Fatalf("table lacks %q:\n%s", want, out)
		}
	}
}

// TestHostileNamesCannotDriveTheTerminal: display names and the title are
// set by participants; printed for a person (tail --format pretty, state)
// they carry no escape sequence, bell or newline, while the NDJSON output
// keeps them intact, JSON-escaped.
func TestHostileNamesCannotDriveTheTerminal(t *testing.T) {
	evil := "Mallory\x1b]0;pwned\x07\x1b[2J\x1b]52;c;ZXZpbA==\x07\nINJECTED\u202e"
	f := newFake(t, fakemeeting.Config{Title: "Board \x1b[31mred\x1b[0m", Participants: []fakemeeting.Person{{Name: evil, Hand: true}}})
	env := []string{"CONFWATCH_HOST_PASSWORD=" + canaryPassword}
	cases := map[string][]string{
		"tail pretty": {"tail", "--conference", f.ConferenceID(), "--api", f.URL(), "--format", "pretty"},
		"state once":  {"state", "--conference", f.ConferenceID(), "--api", f.URL(), "--once", "--format", "pretty"},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			p := start(t, env, args...)
			deadline := time.Now().Add(20 * time.Second)
			for !strings.Contains(p.stdout.String(), "Mallory") && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if name == "tail pretty" {
				p.cmd.Process.Signal(os.Interrupt)
			}
			p.exit(t)
			out := p.stdout.String()
			if !strings.Contains(out, "Mallory") {
				t.Fatalf("the name was not printed:\n%s\nstderr:\n%s", out, p.stderr.String())
			}
			if strings.ContainsAny(out, "\x1b\x07\u202e") {
				t.Errorf("terminal control characters reached stdout: %q", out)
			}
			for _, l := range strings.Split(out, "\n") {
				if strings.HasPrefix(l, "INJECTED") {
					t.Errorf("a name started a line of its own: %q", l)
				}
			}
		})
	}
	// NDJSON is already safe: the name arrives whole, escaped.
	p := start(t, env, "tail", "--conference", f.ConferenceID(), "--api", f.URL())
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(p.stdout.String(), "Mallory") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	p.cmd.Process.Signal(os.Interrupt)
	p.exit(t)
	if out := p.stdout.String(); !strings.Contains(out, `Mallory\u001b]0;pwned\u0007`) {
		t.Errorf("NDJSON lost or mangled the name:\n%.2000s", out)
	}
}
