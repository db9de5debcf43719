package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/events/meeting"
	"github.com/confwatch/confwatch/integration/fakemeeting"
)

// bigSnapshot is a meeting of n participants titled title.
func bigSnapshot(title string, n int) *meeting.Snapshot {
	s := &meeting.Snapshot{ConferenceID: "986112045", Title: title, Status: meeting.Status{State: "Created", Mode: "FREE"}}
	ps := make([]meeting.Participant, n)
	for i := range ps {
		ps[i] = meeting.Participant{
			PID: fmt.Sprintf("pid-%06d", i), Name: fmt.Sprintf("Participant number %06d", i), Role: "ordinary",
		}
	}
	s.Participants = meeting.NewRoster(ps...)
	return s
}

// padding makes each message of the slow-browser test half a megabyte:
// a long title is cheap to encode, unlike thousands of participants.
var padding = " " + strings.Repeat("x", 512<<10)

func TestSlowBrowserDoesNotHoldUpOthers(t *testing.T) {
	src := newManualSource(bigSnapshot("update 0"+padding, 1))
	// A short write timeout so the stuck browser is dropped within the test.
	srv := newServer(src, serverConfig{MinInterval: time.Millisecond, WriteTimeout: 300 * time.Millisecond})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	defer srv.Close()

	// The slow browser asks for the stream and never reads a byte.
	slow, err := net.Dial("tcp", hs.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	if _, err := fmt.Fprintf(slow, "GET /events HTTP/1.1\r\nHost: dashboard\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(wait)
	for srv.clientCount() != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the slow browser's stream did not open")
		}
		time.Sleep(time.Millisecond)
	}

	fast := openStream(t, hs.URL)
	title := func(m message) string { s, _, _ := strings.Cut(m.Title, " x"); return s }
	if m := fast.next(t); title(m) != "update 0" {
		t.Fatalf("first message %q, want the current picture \"update 0\"", title(m))
	}
	// 40 messages of 0.5 MB are far more than a socket that is never read
	// buffers (a few MB on Linux), so the slow browser's handler blocks in
	// Write while the updates go on.
	const updates = 40
	for i := 1; i <= updates; i++ {
		want := fmt.Sprintf("update %d", i)
		src.set(bigSnapshot(want+padding, 1))
		// The fast browser gets every update, in order, one by one.
		if m := fast.next(t); title(m) != want {
			t.Fatalf("fast browser got %q, want %q", title(m), want)
		}
	}
	// The stuck browser is dropped once a write times out; the fast one
	// stays.
	deadline = time.Now().Add(wait)
	for srv.clientCount() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("%d streams open, want only the fast one after the slow one's write timed out", srv.clientCount())
		}
		time.Sleep(5 * time.Millisecond)
	}
	src.set(bigSnapshot("after the drop", 2))
	if m := fast.next(t); m.Title != "after the drop" || len(m.Participants) != 2 {
		t.Fatalf("fast browser got %q with %d participants after the drop", title(m), len(m.Participants))
	}
}

func TestNewBrowserGetsTheCurrentPictureFirst(t *testing.T) {
	first := bigSnapshot("weekly sync", 2)
	first.Speakers = []meeting.Speaker{{PID: "pid-000001", Volume: 60}}
	src := newManualSource(first)
	srv := newServer(src, serverConfig{})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	defer srv.Close()

	a := openStream(t, hs.URL)
	m := a.next(t)
	if m.Title != "weekly sync" || len(m.Participants) != 2 || m.Connection.State != connLive {
		t.Fatalf("first message: %+v, want the snapshot the source holds", m)
	}
	if len(m.Speakers) != 1 || m.Speakers[0].Name != "Participant number 000001" {
		t.Errorf("speakers %+v, want the speaker named from the roster", m.Speakers)
	}

	second := bigSnapshot("weekly sync", 3)
	src.set(second)
	if m2 := a.next(t); len(m2.Participants) != 3 || m2.Seq <= m.Seq {
		t.Fatalf("update: %d participants, seq %d after %d; want 3 and a higher seq", len(m2.Participants), m2.Seq, m.Seq)
	}
	// A browser that comes later starts from the latest picture, not the
	// first one.
	b := openStream(t, hs.URL)
	if m3 := b.next(t); len(m3.Participants) != 3 {
		t.Fatalf("late browser's first message has %d participants, want the latest 3", len(m3.Participants))
	}
	var state message
	must(t, json.Unmarshal(get(t, hs.URL+"/state"), &state))
	if len(state.Participants) != 3 {
		t.Errorf("/state has %d participants, want 3", len(state.Participants))
	}
}

func TestNoSecretInAnyResponse(t *testing.T) {
	const (
		hostPW  = "canary-host-pw-5521"
		guestPW = "canary-guest-pw-8830"
		pinfoPW = "canary-pinfo-secret-1947"
		tokens  = "canaryTokenQ7" // inside every control and ws token the fake mints
		phone   = "+99111canary0042"
	)
	r := startRig(t, fakemeeting.Config{
		HostPassword: hostPW, GuestPassword: guestPW, TokenCanary: tokens,
		Participants: []fakemeeting.Person{
			{PID: "pid-li-wei", Name: "Li Wei", Role: fakemeeting.RoleHost, Tel: phone, Extra: map[string]string{"CONF_PWD": pinfoPW}},
		},
	}, connector.Backoff{})
	// A stream opened before and one after the meeting's pictures arrived.
	early := openStream(t, r.http.URL)
	_, err := r.fake.Meeting().WaitingRoomJoin(fakemeeting.Person{PID: "pid-guest", Name: "Guest", Tel: phone})
	must(t, err)
	var seen strings.Builder
	m := early.until(t, "the roster and the waiting room", func(m message) bool {
		b, _ := json.Marshal(m)
		seen.Write(b)
		return len(m.Participants) == 1 && len(m.WaitingRoom) == 1
	})
	if m.Participants[0].Name != "Li Wei" || m.Title == "" {
		t.Fatalf("unexpected picture %+v", m)
	}
	late := openStream(t, r.http.URL)
	b, _ := json.Marshal(late.next(t))
	seen.Write(b)
	for _, path := range []string{"/", "/app.js", "/style.css", "/state"} {
		seen.Write(get(t, r.http.URL+path))
	}
	for _, secret := range []string{hostPW, guestPW, pinfoPW, tokens} {
		if strings.Contains(seen.String(), secret) {
			t.Errorf("a dashboard response contains the secret %q", secret)
		}
		if strings.Contains(r.logs.String(), secret) {
			t.Errorf("the dashboard's log contains the secret %q", secret)
		}
	}
	// Not a secret, but not shown either: the allowlist keeps it home.
	if strings.Contains(seen.String(), phone) {
		t.Error("a participant's phone number reached the browser")
	}
}

func TestConnectionFollowsTheSession(t *testing.T) {
	// Fixed backoff and two refused ws tokens: the outage lasts about 3 ×
	// 200 ms, long enough that "reconnecting" is broadcast on its own.
	r := startRig(t, fakemeeting.Config{
		Participants: []fakemeeting.Person{{PID: "pid-a", Name: "Ann"}, {PID: "pid-b", Name: "Bo"}},
	}, connector.Backoff{Initial: 200 * time.Millisecond, Max: 200 * time.Millisecond, Jitter: connector.NoJitter})
	s := openStream(t, r.http.URL)
	s.until(t, "live with the roster", func(m message) bool {
		return m.Connection.State == connLive && len(m.Participants) == 2
	})
	r.fake.Faults().RefuseWSToken(2, fakemeeting.Refusal{Status: 503})
	r.fake.Faults().DropAll()
	s.until(t, "reconnecting", func(m message) bool { return m.Connection.State == connReconnecting })
	must(t, r.fake.Meeting().Leave("pid-b")) // while blind
	m := s.until(t, "resynced", func(m message) bool {
		return m.Connection.State == connLive && m.Connection.BlindMs > 0 && len(m.Resyncing) == 0
	})
	if len(m.Participants) != 1 || m.Participants[0].Name != "Ann" || m.Connection.Outages != 1 {
		t.Errorf("after the resync: %+v, want Ann alone and one outage", m)
	}
	must(t, r.fake.Meeting().End(t.Context()))
	s.until(t, "ended", func(m message) bool { return m.Connection.State == connEnded && m.Status.State == "Destroyed" })
}

func TestServerCloseEndsStreams(t *testing.T) {
	srv := newServer(newManualSource(nil), serverConfig{})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	s := openStream(t, hs.URL)
	if m := s.next(t); m.Connection.State != connLive || m.Participants == nil {
		t.Fatalf("first message on an empty source: %+v", m)
	}
	srv.Close()
	select {
	case _, ok := <-s.msgs:
		if ok {
			t.Fatal("a message after Close")
		}
	case <-time.After(wait):
		t.Fatal("Close did not end the stream")
	}
}
