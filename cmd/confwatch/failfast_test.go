package main_test

import (
	"crypto/tls"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/confwatch/confwatch/integration/fakemeeting"
)

// closedPort is a loopback URL nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "http://" + l.Addr().String()
}

// webPage serves the same HTML page, with status, for every path.
func webPage(t *testing.T, status int) string {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprint(w, "<!doctype html><html><head><title>Welcome to nginx!</title></head><body><h1>Welcome</h1></body></html>")
	}))
	t.Cleanup(s.Close)
	return s.URL
}

// TestFailFast: before the first subscribe, a setup no retry fixes stops
// within 10 s with exit 1, one log line naming the flag to check, and a
// final stopped record that says the same.
func TestFailFast(t *testing.T) {
	tlsFake := newFake(t, fakemeeting.Config{TLS: true})
	unknown := newFake(t, fakemeeting.Config{})
	unknown.Faults().RefuseLogin(1000, fakemeeting.Refusal{Status: 400, Code: fakemeeting.CodeConfNotExist})
	cases := []struct {
		name, api, conference, flag, says string
	}{
		{"closed port", closedPort(t), "986112045", "--api", "connection refused"},
		{"HTML 404 page", webPage(t, http.StatusNotFound), "986112045", "--api", "does not answer like the meeting API"},
		{"HTML 200 page", webPage(t, http.StatusOK), "986112045", "--api", "does not answer like the meeting API"},
		{"self-signed TLS without --ca-file", tlsFake.URL(), tlsFake.ConferenceID(), "--ca-file", "not trusted"},
		{"unknown conference", unknown.URL(), unknown.ConferenceID(), "--conference", "does not know meeting"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			began := time.Now()
			p := start(t, []string{"CONFWATCH_HOST_PASSWORD=" + canaryPassword}, "tail", "--conference", tc.conference, "--api", tc.api)
			code := p.exit(t)
			took := time.Since(began)
			if code != 1 {
				t.Fatalf("exit %d, want 1\nstderr:\n%s", code, p.stderr.String())
			}
			if took > 10*time.Second {
				t.Errorf("took %v to give up, want at most 10 s", took)
			}
			named := 0
			for _, l := range strings.Split(p.stderr.String(), "\n") {
				if strings.Contains(l, "check "+tc.flag) && strings.Contains(l, tc.says) {
					named++
				}
			}
			if named != 1 {
				t.Errorf("%d stderr lines say %q and name %s, want 1:\n%s", named, tc.says, tc.flag, p.stderr.String())
			}
			ls := lines(t, p.stdout.String())
			if len(ls) != 1 || ls[0].Status != "stopped" || !strings.Contains(ls[0].Reason, tc.flag) || ls[0].ExitCode == nil || *ls[0].ExitCode != 1 {
				t.Errorf("stdout %+v, want only a stopped record naming %s with exit code 1", ls, tc.flag)
			}
			t.Logf("gave up in %v", took.Round(time.Millisecond))
			noSecrets(t, p)
		})
	}
}

// TestFailFastHintIsRight: the fix the TLS hint names works: the fake's
// certificate as --ca-file, and the tail subscribes.
func TestFailFastHintIsRight(t *testing.T) {
	f := newFake(t, fakemeeting.Config{TLS: true})
	conn, err := tls.Dial("tcp", strings.TrimPrefix(f.URL(), "https://"), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	cert := conn.ConnectionState().PeerCertificates[0]
	conn.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	p := start(t, []string{"CONFWATCH_HOST_PASSWORD=" + canaryPassword}, "tail", "--conference", f.ConferenceID(), "--api", f.URL(), "--ca-file", ca)
	if err := f.WaitSubscribed(ctx(t), 1); err != nil {
		t.Fatalf("no subscribe with the certificate as --ca-file: %v\n%s", err, p.stderr.String())
	}
	if err := f.Meeting().End(t.Context()); err != nil {
		t.Fatal(err)
	}
	if code := p.exit(t); code != 0 {
		t.Fatalf("exit %d, want 0\n%s", code, p.stderr.String())
	}
}

// TestWaitKeepsRetrying: with --wait, a closed port is retried, not given
// up on; Ctrl-C then stops it with 130.
func TestWaitKeepsRetrying(t *testing.T) {
	p := start(t, []string{"CONFWATCH_HOST_PASSWORD=" + canaryPassword}, "tail", "--conference", "986112045", "--api", closedPort(t), "--wait")
	waitOutput(t, "three retries", p.stderr.String, func(s string) bool { return strings.Count(s, "reconnecting in") >= 3 })
	select {
	case <-p.done:
		t.Fatalf("--wait gave up: exit %d\n%s", p.cmd.ProcessState.ExitCode(), p.stderr.String())
	default:
	}
	p.cmd.Process.Signal(syscall.SIGINT)
	if code := p.exit(t); code != 130 {
		t.Fatalf("exit %d after SIGINT, want 130", code)
	}
}

// TestMaxOutage: after a first subscribe, drops are retried until
// --max-outage, then the run stops with exit 1 and a record that says so.
func TestMaxOutage(t *testing.T) {
	f := newFake(t, fakemeeting.Config{})
	p := start(t, []string{"CONFWATCH_HOST_PASSWORD=" + canaryPassword}, "tail", "--conference", f.ConferenceID(), "--api", f.URL(), "--max-outage", "2s")
	announced(t, p)
	f.Close() // now nothing answers: an outage, not a misconfiguration
	if code := p.exit(t); code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, p.stderr.String())
	}
	ls := lines(t, p.stdout.String())
	end := ls[len(ls)-1]
	if end.Status != "stopped" || !strings.Contains(end.Reason, "--max-outage") || end.Class == "" {
		t.Fatalf("last line %+v, want a stopped record naming --max-outage with the failure's class", end)
	}
	if !strings.Contains(p.stderr.String(), "reconnecting in") {
		t.Fatalf("the outage was not retried:\n%s", p.stderr.String())
	}
}
