package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadInput: every mistake in what the user gives exits 2 with plain
// text on stderr (never a JSON log line), names the flag as it was typed
// and shows a value that would do.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	blank := filepath.Join(dir, "blank")
	os.WriteFile(blank, []byte("   \t \n"), 0o600)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o600)
	notPEM := filepath.Join(dir, "not.pem")
	os.WriteFile(notPEM, []byte("hello\n"), 0o600)
	missing := filepath.Join(dir, "missing")
	pw := []string{"CONFWATCH_HOST_PASSWORD=" + canaryPassword}
	cases := []struct {
		name   string
		env    []string
		args   []string
		stderr []string
	}{
		{"missing password file", nil, []string{"tail", "--conference", "1", "--password-file", missing}, []string{"--password-file", "no such file", "e.g."}},
		{"blank password file", nil, []string{"tail", "--conference", "1", "--password-file", blank}, []string{"--password-file", "only whitespace"}},
		{"empty password file", nil, []string{"tail", "--conference", "1", "--password-file", empty}, []string{"--password-file", "empty"}},
		{"blank password variable", []string{"CONFWATCH_HOST_PASSWORD=   "}, []string{"tail", "--conference", "1"}, []string{"CONFWATCH_HOST_PASSWORD is only whitespace"}},
		{"blank password on stdin", nil, []string{"tail", "--conference", "1", "--password-file", "-"}, []string{"only whitespace"}},
		{"missing CA file", pw, []string{"tail", "--conference", "1", "--ca-file", missing}, []string{"--ca-file", "no such file", "e.g. --ca-file ca.pem"}},
		{"not PEM", pw, []string{"tail", "--conference", "1", "--ca-file", notPEM}, []string{"--ca-file", "no PEM certificate"}},
		{"bad heartbeat, one dash", pw, []string{"tail", "--conference", "1", "-heartbeat", "banana"}, []string{"-heartbeat: not a duration; e.g. -heartbeat 60s"}},
		{"bad heartbeat", pw, []string{"tail", "--conference", "1", "--heartbeat=banana"}, []string{"--heartbeat: not a duration; e.g. --heartbeat 60s"}},
		{"heartbeat too long", pw, []string{"tail", "--conference", "1", "--heartbeat", "3m"}, []string{"below 180s", "e.g. --heartbeat 60s"}},
		{"bad speed", nil, []string{"demo", "--speed", "fast"}, []string{"--speed: not a number; e.g. --speed 10"}},
		{"zero speed", nil, []string{"demo", "--speed", "0"}, []string{"--speed must be a positive number", "e.g. --speed 10"}},
		{"bad bool", pw, []string{"state", "--conference", "1", "--once=maybe"}, []string{"--once: not true or false"}},
		{"missing value", pw, []string{"tail", "--conference"}, []string{"--conference: needs a value; e.g. --conference 986112045"}},
		{"bad format", pw, []string{"tail", "--conference", "1", "--format", "yaml"}, []string{"use auto, pretty or json", "e.g. --format json"}},
		{"bad log level", pw, []string{"tail", "--conference", "1", "-log-level", "loud"}, []string{"-log-level", "e.g. -log-level debug"}},
		{"bad events", pw, []string{"tail", "--conference", "1", "--events", "Nope"}, []string{"unknown push type", "e.g. --events ParticipantsNotify"}},
		{"bad refresh", pw, []string{"state", "--conference", "1", "--refresh", "0s"}, []string{"--refresh", "e.g. --refresh 500ms"}},
		{"unknown flag, two dashes", pw, []string{"tail", "--conference", "1", "--bogus"}, []string{"unknown flag --bogus for confwatch tail"}},
		{"unknown flag, one dash", pw, []string{"tail", "--conference", "1", "-bogus=1"}, []string{"unknown flag -bogus for confwatch tail"}},
		{"unwritable log file", pw, []string{"tail", "--conference", "1", "--log-file", filepath.Join(missing, "x.log")}, []string{"--log-file", "e.g. --log-file confwatch.log"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := append([]string{"CONFWATCH_HOST_PASSWORD=", "CONFWATCH_CONTROL_TOKEN="}, tc.env...)
			p := start(t, env, tc.args...)
			p.cmd.Stdin = nil
			if code := p.exit(t); code != 2 {
				t.Fatalf("exit %d, want 2\nstderr:\n%s", code, p.stderr.String())
			}
			stderr := p.stderr.String()
			if strings.HasPrefix(strings.TrimSpace(stderr), "{") {
				t.Errorf("a usage error came as a JSON log line:\n%s", stderr)
			}
			for _, want := range tc.stderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			noSecrets(t, p)
		})
	}
}

// TestHelpCommand: `help tail` shows tail's help; every help lists the
// exit codes.
func TestHelpCommand(t *testing.T) {
	for _, cmd := range []string{"tail", "state", "demo"} {
		p := start(t, nil, "help", cmd)
		if code := p.exit(t); code != 0 {
			t.Fatalf("help %s: exit %d", cmd, code)
		}
		out := p.stderr.String()
		if !strings.Contains(out, "Usage: confwatch "+cmd) || !strings.Contains(out, "130  interrupted") || !strings.Contains(out, "--log-file") {
			t.Fatalf("help %s printed:\n%s", cmd, out)
		}
	}
	p := start(t, nil, "help")
	p.exit(t)
	if out := p.stdout.String(); !strings.Contains(out, "Exit codes:") || !strings.Contains(out, "3    credentials rejected") {
		t.Fatalf("help printed:\n%s", out)
	}
}
