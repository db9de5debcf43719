package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/examples/internal/fleettest"
	"github.com/confwatch/confwatch/examples/internal/natsconn"
)

// fleetDashboard is run in -nats mode on a fleettest rig.
type fleetDashboard struct {
	url  string
	logs *syncBuffer
}

func startFleetDashboard(t *testing.T, r *fleettest.Rig) *fleetDashboard {
	t.Helper()
	logs := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	url, done := startRun(t, ctx, config{NATS: natsconn.Flags{URL: r.URL}, Logger: newTestLogger(logs)})
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run = %v, want nil after an interrupt", err)
		}
	})
	return &fleetDashboard{url: url, logs: logs}
}

// assertNoCanary fails t when any of texts holds a secret of the rig's
// meetings.
func assertNoCanary(t *testing.T, what string, texts ...string) {
	t.Helper()
	for _, text := range texts {
		for _, c := range []string{fleettest.CanaryPassword, fleettest.CanaryToken} {
			if strings.Contains(text, c) {
				t.Errorf("%s holds the secret %q", what, c)
			}
		}
	}
}

// rowsMatch reports whether rows are r's meetings, in order, each with
// its owner, a title and its roster size.
func rowsMatch(rows []meetingRow, r *fleettest.Rig) bool {
	if len(rows) != len(r.IDs()) {
		return false
	}
	owners := r.Owners()
	for i, id := range r.IDs() {
		row := rows[i]
		if row.Conference != id || row.Owner != owners[id] || row.Participants != len(r.Meeting(id).View().Participants) || row.Title == "" {
			return false
		}
	}
	return true
}

func TestFleetIndexAndAPI(t *testing.T) {
	r := fleettest.New(t, 3)
	r.StartWorker("w1")
	r.WaitSubscribed(30 * time.Second)
	d := startFleetDashboard(t, r)

	var rows []meetingRow
	fleettest.Poll(t, wait, "every meeting in /meetings with its owner and roster", func() bool {
		rows = nil
		return json.Unmarshal(get(t, d.url+"/meetings"), &rows) == nil && rowsMatch(rows, r)
	})
	index := string(get(t, d.url+"/"))
	for _, id := range r.IDs() {
		if !strings.Contains(index, `href="m/`+id+`/"`) || !strings.Contains(index, rows[0].Title) {
			t.Errorf("the index lacks meeting %s:\n%s", id, index)
		}
	}
	page := string(get(t, d.url+"/m/"+r.IDs()[0]+"/"))
	if !strings.Contains(page, `<div id="banner"`) {
		t.Error("/m/ID/ does not serve the meeting page")
	}
	id := r.IDs()[1]
	var m message
	fleettest.Poll(t, wait, "the meeting's /state from the stored picture", func() bool {
		m = message{}
		return json.Unmarshal(get(t, d.url+"/m/"+id+"/state"), &m) == nil && m.ConferenceID == id &&
			m.Connection.State == connLive && m.Fleet != nil && m.Fleet.Owner == r.Owners()[id]
	})
	if len(m.Participants) != len(r.Meeting(id).View().Participants) {
		t.Errorf("/state shows %d participants, the meeting has %d", len(m.Participants), len(r.Meeting(id).View().Participants))
	}
	for _, bad := range []string{"/m/abc/", "/m/" + strings.Repeat("1", 33) + "/", "/m/1.2/"} {
		resp, err := http.Get(d.url + bad)
		must(t, err)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %s, want 404", bad, resp.Status)
		}
	}
	assertNoCanary(t, "a response or the log", index, page, string(get(t, d.url+"/meetings")), string(get(t, d.url+"/m/"+id+"/state")), d.logs.String())

	// Cut off from NATS, a meeting page keeps its picture and says it may
	// be out of date; the index says the list cannot be read.
	r.StopNATS()
	fleettest.Poll(t, wait, "the meeting's /state reconnecting", func() bool {
		m = message{}
		return json.Unmarshal(get(t, d.url+"/m/"+id+"/state"), &m) == nil && m.Connection.State == connReconnecting
	})
	if m.ConferenceID != id || len(m.Participants) == 0 {
		t.Errorf("the picture was dropped with the link: %+v", m)
	}
	if index := string(get(t, d.url+"/")); !strings.Contains(index, "could not be read from NATS") {
		t.Errorf("the index without NATS does not say so:\n%s", index)
	}
}

func TestFleetConfigErrors(t *testing.T) {
	for name, cfg := range map[string]config{
		"conference":       {NATS: natsconn.Flags{URL: "nats://127.0.0.1:1"}, Conference: "986112045"},
		"metrics":          {NATS: natsconn.Flags{URL: "nats://127.0.0.1:1"}, MetricsAddr: "127.0.0.1:0"},
		"bad url":          {NATS: natsconn.Flags{URL: "127.0.0.1:4222"}},
		"flags without it": {NATS: natsconn.Flags{Creds: "x.creds"}},
	} {
		if err := cfg.Validate(); err == nil {
			t.Errorf("%s: Validate = nil, want a usage error", name)
		}
	}
	// Nobody listens there: run says so rather than serving a blank index.
	if err := run(context.Background(), config{NATS: natsconn.Flags{URL: "nats://127.0.0.1:1"}}); err == nil || !strings.Contains(err.Error(), "connect") {
		t.Errorf("run with no NATS server = %v, want a connect error", err)
	}
}

func newTestLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
