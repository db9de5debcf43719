package main

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/integration/fakemeeting"
	"github.com/confwatch/confwatch/secret"
	"github.com/confwatch/confwatch/token"
)

// startRun runs run in the background and returns its base URL and result.
func startRun(t *testing.T, ctx context.Context, cfg config) (string, <-chan error) {
	t.Helper()
	addrs := make(chan net.Addr, 1)
	cfg.Addr = "127.0.0.1:0"
	cfg.listening = func(a net.Addr) { addrs <- a }
	done := make(chan error, 1)
	go func() { done <- run(ctx, cfg) }()
	select {
	case a := <-addrs:
		return "http://" + a.String(), done
	case err := <-done:
		t.Fatalf("run returned before listening: %v", err)
	case <-time.After(wait):
		t.Fatal("run did not listen")
	}
	return "", nil
}

func TestRunServesTheDemoUntilInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url, done := startRun(t, ctx, config{Speed: 40}) // 80 s of script in 2 s
	s := openStream(t, url)
	// The demo drops the socket once; on a loaded machine the reconnect may
	// even outlast the script, so only what holds either way is checked.
	s.until(t, "the demo's roster", func(m message) bool {
		_, ok := m.participant("pid-li-wei")
		return ok && m.Title == "confwatch demo: platform weekly sync"
	})
	m := s.until(t, "the ended meeting", func(m message) bool { return m.Connection.State == connEnded })
	if m.Connection.Outages < 1 {
		t.Errorf("connection %+v, want the demo's outage counted", m.Connection)
	}
	// The meeting is over but the page keeps being served.
	var state message
	must(t, json.Unmarshal(get(t, url+"/state"), &state))
	if state.Connection.State != connEnded {
		t.Errorf("/state after the end: %+v", state.Connection)
	}
	if page := string(get(t, url+"/")); !strings.Contains(page, `<div id="banner"`) {
		t.Error("/ does not serve the page")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run = %v after interrupt, want nil", err)
		}
	case <-time.After(wait):
		t.Fatal("run did not return after ctx was cancelled")
	}
}

func TestRunStopsWhenThePasswordIsRefused(t *testing.T) {
	fake, err := fakemeeting.New(fakemeeting.Config{})
	must(t, err)
	defer fake.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, done := startRun(t, ctx, config{Conference: fake.ConferenceID(), Password: secret.New("wrong-password"), API: fake.URL()})
	select {
	case err := <-done:
		if !errors.Is(err, connector.ErrCredentialsRejected) && !errors.Is(err, token.ErrUnauthorized) {
			t.Errorf("run = %v, want a credentials error", err)
		}
		if strings.Contains(err.Error(), "wrong-password") {
			t.Error("the error quotes the password")
		}
	case <-time.After(wait):
		t.Fatal("run kept going with a refused password")
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []config{
		{Conference: "986112045"},
		{Password: secret.New("604117")},
		{Speed: -1},
	} {
		if c.Validate() == nil {
			t.Errorf("Validate(%+v) = nil, want an error", c)
		}
	}
	if err := (config{Conference: "986112045", Password: secret.New("604117")}).Validate(); err != nil {
		t.Errorf("Validate of a live config: %v", err)
	}
	if err := (config{}).Validate(); err != nil {
		t.Errorf("Validate of the demo config: %v", err)
	}
}
