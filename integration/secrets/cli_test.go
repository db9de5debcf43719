package secrets_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/integration/fakemeeting"
	"github.com/confwatch/confwatch/secret"
	"github.com/confwatch/confwatch/token"
)

// cli is one run of the confwatch binary, its stdout and stderr audited.
type cli struct {
	cmd  *exec.Cmd
	done chan struct{}
	out  *auditWriter
	err  *auditWriter
}

// startCLI runs the binary with args and extra environment; its output is
// audited as "<command> stdout" and "<command> stderr".
func startCLI(t *testing.T, a *audit, stdin string, env []string, args ...string) *cli {
	t.Helper()
	return startProgram(t, a, args[0], stdin, env, binary, args...)
}

// startProgram runs name with args, in an environment cleared of the
// user's own CONFWATCH_ variables plus env, its output audited under what.
func startProgram(t *testing.T, a *audit, what, stdin string, env []string, name string, args ...string) *cli {
	t.Helper()
	cmd := exec.Command(name, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CONFWATCH_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	c := &cli{cmd: cmd, done: make(chan struct{}), out: a.writer(what + " stdout"), err: a.writer(what + " stderr")}
	cmd.Stdout, cmd.Stderr, cmd.Stdin = c.out, c.err, strings.NewReader(stdin)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-c.done
	})
	return c
}

// exit waits for the process and returns its exit code.
func (c *cli) exit(t *testing.T) int {
	t.Helper()
	select {
	case <-c.done:
		return c.cmd.ProcessState.ExitCode()
	case <-time.After(2 * waitLong):
		t.Fatalf("confwatch did not exit")
		return -1
	}
}

// subscribes waits until the fake has accepted n Subscribes in all and a
// socket is subscribed now.
func subscribes(t *testing.T, fake *fakemeeting.Server, n int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*waitLong)
	defer cancel()
	if err := fake.WaitFor(ctx, func(s fakemeeting.Stats) bool {
		return s.Subscribes-s.SubscribesFailed >= n && s.Subscribed >= 1
	}); err != nil {
		t.Fatalf("waiting for Subscribe #%d: %v (fake %+v)", n, err, fake.Stats())
	}
}

// announced matches the status lines a tail prints when it (re)subscribes,
// in the json and the pretty format.
var announced = regexp.MustCompile(`"status":"(re)?subscribed"|status +(re)?subscribed`)

// waitAnnounced waits until the tail's stdout has announced n
// subscriptions. The fake counts a Subscribe when it answers, but a drop
// right then can beat the reply to the client: only the client's own
// announcement shows the link was up on its side.
func waitAnnounced(t *testing.T, a *audit, where string, n int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("subscription #%d announced on %s", n, where), func() bool {
		return len(announced.FindAllString(a.text(where), -1)) >= n
	})
}

// playTail drives a tail run whose stdout is audited under where: a
// drop, a refused ws token that forces a fresh login, some changes, then
// the end of the meeting.
func playTail(t *testing.T, a *audit, where string, fake *fakemeeting.Server) {
	t.Helper()
	waitAnnounced(t, a, where, 1)
	pid, err := fake.Meeting().JoinOne(fakemeeting.Person{Name: "Zhao Lei"})
	if err != nil {
		t.Fatal(err)
	}
	fake.Faults().DropAll()
	waitAnnounced(t, a, where, 2)
	fake.Faults().RefuseWSToken(1, fakemeeting.Refusal{Status: 401, Code: fakemeeting.CodeAuthFailed})
	fake.Faults().DropAll()
	waitAnnounced(t, a, where, 3)
	for _, err := range []error{fake.Meeting().RaiseHand(pid, true), fake.Meeting().Lock(true), fake.Meeting().Record(true), fake.Meeting().End(t.Context())} {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestCLILeaksNothing runs `confwatch tail` at every log level in both
// log formats through a drop and a re-authentication, and the other ways
// of passing a credential (password file, stdin, a control-token file),
// `state --once`, a wrong password and a refused --password flag.
func TestCLILeaksNothing(t *testing.T) {
	for _, level := range []string{"debug", "info", "warn", "error"} {
		for _, format := range []string{"text", "json"} {
			t.Run("tail/"+level+"/"+format, func(t *testing.T) {
				t.Parallel()
				a := newAudit(t, canaryPassword, canaryGuest, tokenCanary)
				fake := newFake(t, fakemeeting.Config{})
				c := startCLI(t, a, "", []string{"CONFWATCH_HOST_PASSWORD=" + canaryPassword},
					"tail", "--conference", fake.ConferenceID(), "--api", fake.URL(), "--log-level", level, "--log-format", format)
				playTail(t, a, "tail stdout", fake)
				if code := c.exit(t); code != 0 {
					t.Errorf("exit %d, want 0 after the meeting ended", code)
				}
				if out := a.text("tail stdout"); !strings.Contains(out, `"status":"resubscribed"`) {
					t.Errorf("tail printed no resubscribe: the scenario did not run\nstdout:\n%s\nstderr:\n%s", out, a.text("tail stderr"))
				}
				a.check()
			})
		}
	}
	t.Run("password file, semantic pretty", func(t *testing.T) {
		t.Parallel()
		a := newAudit(t, canaryPassword, canaryGuest, tokenCanary)
		fake := newFake(t, fakemeeting.Config{})
		pw := filepath.Join(t.TempDir(), "pw")
		if err := os.WriteFile(pw, []byte(canaryPassword+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		c := startCLI(t, a, "", nil, "tail", "--conference", fake.ConferenceID(), "--api", fake.URL(),
			"--password-file", pw, "--semantic", "--format", "pretty", "--log-level", "debug", "--log-format", "text")
		playTail(t, a, "tail stdout", fake)
		if code := c.exit(t); code != 0 {
			t.Errorf("exit %d, want 0", code)
		}
		a.check()
	})
	t.Run("password on stdin, state once", func(t *testing.T) {
		t.Parallel()
		a := newAudit(t, canaryPassword, canaryGuest, tokenCanary)
		fake := newFake(t, fakemeeting.Config{})
		c := startCLI(t, a, canaryPassword+"\n", nil, "state", "--conference", fake.ConferenceID(), "--api", fake.URL(),
			"--password-file", "-", "--once", "--log-level", "debug", "--log-format", "json")
		if code := c.exit(t); code != 0 {
			t.Errorf("exit %d, want 0 after the first picture", code)
		}
		if out := a.text("state stdout"); !strings.Contains(out, fakemeeting.DefaultTitle) {
			t.Errorf("state printed no picture of the meeting:\n%s", out)
		}
		a.check()
	})
	t.Run("control token file", func(t *testing.T) {
		t.Parallel()
		a := newAudit(t, canaryPassword, canaryGuest, tokenCanary)
		fake := newFake(t, fakemeeting.Config{})
		ctx, cancel := context.WithTimeout(context.Background(), waitLong)
		defer cancel()
		tc, err := token.New(token.Config{BaseURL: fake.URL()})
		if err != nil {
			t.Fatal(err)
		}
		defer tc.CloseIdleConnections()
		ctl, err := tc.Login(ctx, fake.ConferenceID(), secret.New(canaryPassword))
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(t.TempDir(), "ctl")
		if err := os.WriteFile(f, []byte(ctl.Token.Reveal()+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		c := startCLI(t, a, "", nil, "tail", "--conference", fake.ConferenceID(), "--api", fake.URL(),
			"--control-token-file", f, "--log-level", "debug", "--log-format", "json")
		subscribes(t, fake, 1)
		fake.Faults().DropAll()
		subscribes(t, fake, 2)
		if err := fake.Meeting().End(t.Context()); err != nil {
			t.Fatal(err)
		}
		if code := c.exit(t); code != 0 {
			t.Errorf("exit %d, want 0", code)
		}
		a.check()
	})
	t.Run("wrong password", func(t *testing.T) {
		t.Parallel()
		a := newAudit(t, canaryPassword, canaryGuest, canaryWrongPW, tokenCanary)
		fake := newFake(t, fakemeeting.Config{})
		c := startCLI(t, a, "", []string{"CONFWATCH_HOST_PASSWORD=" + canaryWrongPW},
			"tail", "--conference", fake.ConferenceID(), "--api", fake.URL(), "--log-level", "debug", "--log-format", "text")
		if code := c.exit(t); code != 3 {
			t.Errorf("exit %d, want 3 (credentials rejected)", code)
		}
		a.check()
	})
	t.Run("tint on a terminal", func(t *testing.T) {
		t.Parallel()
		// util-linux script(1) gives the binary a pseudo-terminal, so that
		// --log-format auto picks the coloured tint handler.
		if _, err := exec.LookPath("script"); err != nil {
			t.Skip("script(1) is not installed")
		}
		a := newAudit(t, canaryPassword, canaryGuest, tokenCanary)
		fake := newFake(t, fakemeeting.Config{})
		line := strings.Join([]string{binary, "tail", "--conference", fake.ConferenceID(), "--api", fake.URL(), "--log-level", "debug"}, " ")
		c := startProgram(t, a, "script", "", []string{"CONFWATCH_HOST_PASSWORD=" + canaryPassword}, "script", "-qfec", line, "/dev/null")
		playTail(t, a, "script stdout", fake)
		if code := c.exit(t); code != 0 {
			t.Errorf("exit %d, want 0", code)
		}
		if out := a.text("script stdout"); !strings.Contains(out, "\x1b[") {
			t.Errorf("no colour on the terminal: tint was not used\n%s", out)
		}
		a.check()
	})
	t.Run("refused password flag", func(t *testing.T) {
		t.Parallel()
		a := newAudit(t, canaryPassword)
		c := startCLI(t, a, "", nil, "tail", "--conference", "986112045", "--password", canaryPassword, "--log-level", "debug")
		if code := c.exit(t); code != 2 {
			t.Errorf("exit %d, want 2 (usage)", code)
		}
		a.check()
	})
}

// fakeToken matches a token minted by a fake without a canary (the
// demo's own built-in fake): 3 lowercase letters and 48 hex digits.
var fakeToken = regexp.MustCompile(`(stb|cnr)[0-9a-f]{48}`)

// demoPassword matches the fake's default host or guest password standing
// alone (not inside a longer number such as a ms timestamp).
var demoPassword = regexp.MustCompile(`(^|[^0-9])(` + fakemeeting.DefaultHostPassword + `|` + fakemeeting.DefaultGuestPassword + `)([^0-9]|$)`)

// TestDemoBinaryLeaksNothing runs `confwatch demo` — the binary starts
// its own fake, whose secrets this test cannot set — at debug level in
// both formats, and searches the output for anything shaped like that
// fake's tokens or equal to its passwords.
func TestDemoBinaryLeaksNothing(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			a := newAudit(t) // only collects: the demo's secrets are not canaries
			c := startCLI(t, a, "", nil, "demo", "--speed", "40", "--log-level", "debug", "--log-format", format)
			if code := c.exit(t); code != 0 {
				t.Errorf("exit %d, want 0", code)
			}
			_, n := a.findings()
			if n == 0 {
				t.Fatal("the demo printed nothing")
			}
			a.mu.Lock()
			defer a.mu.Unlock()
			for where, b := range a.texts {
				if m := fakeToken.FindString(b.String()); m != "" {
					t.Errorf("%s shows a token: %s", where, m)
				}
				if m := demoPassword.FindString(b.String()); m != "" {
					t.Errorf("%s shows a password: %q", where, m)
				}
			}
		})
	}
}
