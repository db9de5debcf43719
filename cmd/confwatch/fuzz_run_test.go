package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// Canaries standing for the user's secrets in FuzzRun, one per way a
// secret can reach the CLI. None may ever appear on stdout or stderr.
const (
	fzFlagSecret  = "fzcanary-flag-Vb81"  // the value of a refused --password / --control-token flag
	fzEnvPassword = "fzcanary-env-pw-Kd4" // CONFWATCH_HOST_PASSWORD
	fzEnvToken    = "fzcanary-env-ct-Hs7" // CONFWATCH_CONTROL_TOKEN
	fzFilePW      = "fzcanary-file-pw-Lq2"
	fzStdinPW     = "fzcanary-stdin-Pw9"
)

// secretFlag matches the flag spellings whose value is a secret.
var secretFlag = regexp.MustCompile(`^--?(password|control-token)$`)

// fzBuffer is an io.Writer safe for the CLI's concurrent writers.
type fzBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *fzBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *fzBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// FuzzRun runs the CLI's entry point with arbitrary arguments (one per
// line of the input), credentials from the environment, a file or stdin,
// and terminal or not. The context is cancelled before run starts, so
// nothing reaches the network: the token and socket calls see a done
// context (and any proxy lookup is pointed at a closed loopback port as a
// second guard). "@PW@" in the input is replaced by a canary secret where
// it is the value of --password or --control-token, and "@FILE@" by the
// path of a file holding a canary password. Properties: run never panics,
// returns a documented exit code (0–4, or 130 for the cancel that stands
// for Ctrl-C), and no canary secret appears on stdout or stderr, whatever
// the flags.
func FuzzRun(f *testing.F) {
	f.Setenv("HTTP_PROXY", "http://127.0.0.1:9")
	f.Setenv("HTTPS_PROXY", "http://127.0.0.1:9")
	f.Setenv("NO_PROXY", "")
	pwFile := filepath.Join(f.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte(fzFilePW+"\n"), 0o600); err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		"", "help", "version", "--version", "bogus",
		"tail", "tail\n--conference\n986112045",
		"tail\n--conference\n986112045\n--password\n@PW@",
		"tail\n--conference\n986112045\n--password=@PW@",
		"state\n--conference\n1\n-control-token\n@PW@",
		"tail\n--conference\n986112045\n--password-file\n@FILE@\n--log-level\ndebug\n--log-format\njson",
		"tail\n--conference\n986112045\n--password-file\n-\n--log-format\ntext\n--log-level\ndebug",
		"tail\n--conference\n986112045\n--control-token-file\n@FILE@\n--semantic\n--format\npretty",
		"state\n--conference\n986112045\n--once\n--refresh\n1s",
		"tail\n--conference\n9\n--api\nhttp://127.0.0.1:1\n--events\nParticipantsNotify,Nope",
		"tail\n--conference\n9\n--heartbeat\n200s\n--read-timeout\n-1s",
		"tail\n--conference\n9\n--api\nftp://x\n--ca-file\n@FILE@",
		"demo\n--speed\n1000\n--log-level\ndebug\n--log-format\njson",
		"demo\n--speed\n0",
		"tail\n--help", "state\n-h", "demo\nextra",
		"control", "control\n--help", "control\nlower-hand\n--conference\n9\n--name\nZhang",
		"control\nmute-all\n--conference\n9\n--dry-run\n--password-file\n@FILE@",
		"control\nlock\n--conference\n9\n--control-token\n@PW@",
	} {
		for _, env := range []uint8{0, 3} {
			f.Add(s, env, false)
		}
	}
	f.Add("tail\n--conference\n986112045", uint8(1), true)
	f.Add("state\n--conference\n986112045\n--refresh\n0", uint8(1), false)
	f.Fuzz(func(t *testing.T, input string, envMask uint8, tty bool) {
		// The CLI reads the files its flags name: keep it off device and
		// proc files, which may block or never end.
		for _, bad := range []string{"/dev", "/proc", "/sys"} {
			if strings.Contains(input, bad) {
				t.Skip("names a special file")
			}
		}
		args := strings.Split(input, "\n")
		if input == "" {
			args = nil
		}
		for i, a := range args {
			switch {
			case a == "@PW@" && i > 0 && secretFlag.MatchString(args[i-1]):
				args[i] = fzFlagSecret
			case strings.HasSuffix(a, "=@PW@") && secretFlag.MatchString(strings.TrimSuffix(a, "=@PW@")):
				args[i] = strings.TrimSuffix(a, "@PW@") + fzFlagSecret
			default:
				args[i] = strings.ReplaceAll(strings.ReplaceAll(a, "@PW@", "pw"), "@FILE@", pwFile)
			}
		}
		vars := map[string]string{}
		if envMask&1 != 0 {
			vars["CONFWATCH_HOST_PASSWORD"] = fzEnvPassword
		}
		if envMask&2 != 0 {
			vars["CONFWATCH_CONTROL_TOKEN"] = fzEnvToken
		}
		var stdout, stderr fzBuffer
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		code := run(ctx, args, env{
			stdin:  strings.NewReader(fzStdinPW + "\n"),
			stdout: &stdout, stderr: &stderr,
			getenv:    func(k string) string { return vars[k] },
			stdoutTTY: tty, stderrTTY: tty,
		})
		if (code < exitOK || code > exitPermission) && code != exitInterrupted {
			t.Fatalf("exit code %d is not documented", code)
		}
		out := stdout.String() + stderr.String()
		for _, secret := range []string{fzFlagSecret, fzEnvPassword, fzEnvToken, fzFilePW, fzStdinPW} {
			if strings.Contains(out, secret) {
				t.Fatalf("args %q: secret %q appears in the output:\n%s", args, secret, out)
			}
		}
	})
}
