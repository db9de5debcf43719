package secrets_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/confwatch/confwatch/integration/fakemeeting"
)

// listening finds the address the dashboard logs when it is ready.
var listening = regexp.MustCompile(`open http://([0-9.]+:[0-9]+)`)

// TestDashboardLeaksNothing builds examples/dashboard, points it at a
// canary fake, follows its event stream through a drop and a forced
// re-login, fetches every page it serves, and audits the responses and
// its logs.
func TestDashboardLeaksNothing(t *testing.T) {
	if _, err := os.Stat("../../examples/dashboard/main.go"); err != nil {
		t.Skip("examples/dashboard is not in this tree")
	}
	bin := filepath.Join(t.TempDir(), "dashboard")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = "../../examples/dashboard" // its own module's directory, as for the CLI
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the dashboard: %v\n%s", err, out)
	}
	a := newAudit(t, canaryPassword, canaryGuest, tokenCanary)
	fake := newFake(t, fakemeeting.Config{Participants: []fakemeeting.Person{{Name: "Li Wei", Role: fakemeeting.RoleHost}}})

	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-conference", fake.ConferenceID(), "-api", fake.URL())
	cmd.Env = append(os.Environ(), "CONFWATCH_HOST_PASSWORD="+canaryPassword)
	logs := a.writer("dashboard stderr")
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = a.writer("dashboard stdout"), io.MultiWriter(logs, pw)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		pw.Close()
		close(exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	addr := make(chan string, 1)
	go func() { // the log, line by line, until the address shows
		b := make([]byte, 4096)
		var seen strings.Builder
		for {
			n, err := pr.Read(b)
			seen.Write(b[:n])
			if m := listening.FindStringSubmatch(seen.String()); m != nil {
				addr <- m[1]
				io.Copy(io.Discard, pr)
				return
			}
			if err != nil {
				return
			}
		}
	}()
	var base string
	select {
	case got := <-addr:
		base = "http://" + got
	case <-time.After(waitLong):
		t.Fatal("the dashboard never said where it listens")
	}

	// Follow the event stream while the session goes through faults.
	ctx, cancel := context.WithCancel(context.Background())
	streamed := make(chan struct{})
	go func() {
		defer close(streamed)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/events", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return
		}
		defer resp.Body.Close()
		io.Copy(a.writer("dashboard /events"), resp.Body)
	}()
	subscribes(t, fake, 1)
	fake.Faults().DropAll()
	subscribes(t, fake, 2)
	fake.Faults().RefuseWSToken(1, fakemeeting.Refusal{Status: 401, Code: fakemeeting.CodeAuthFailed})
	fake.Faults().DropAll()
	subscribes(t, fake, 3)
	if _, err := fake.Meeting().JoinOne(fakemeeting.Person{Name: "Zhao Lei"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the page to show the new participant", func() bool {
		return strings.Contains(a.text("dashboard /events"), "Zhao Lei")
	})
	for _, path := range []string{"/", "/app.js", "/style.css", "/state"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(a.writer("dashboard "+path), resp.Body)
		resp.Body.Close()
	}
	if err := fake.Meeting().End(t.Context()); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-streamed
	http.DefaultClient.CloseIdleConnections()
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-exited:
	case <-time.After(waitLong):
		t.Error("the dashboard did not stop on SIGINT")
	}
	a.check()
}
