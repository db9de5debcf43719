package demo

import (
	"context"
	"encoding/json"
	"github.com/confwatch/confwatch/secret"
	"net/http"
	"testing"
	"time"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/token"
)

// session subscribes to one meeting of svc through the front until the
// returned stop is called.
func session(t *testing.T, svc *Service, id string) (stop func()) {
	t.Helper()
	client, err := token.New(token.Config{BaseURL: svc.URL()})
	if err != nil {
		t.Fatal(err)
	}
	prov, err := token.NewProvider(client, token.ProviderConfig{ConferenceID: id, Password: secret.New(svc.HostPassword(id))})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := connector.New(connector.Config{ConferenceID: id, Tokens: prov, AllowPlainText: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sess.Run(ctx, nil) }()
	return func() {
		cancel()
		<-done
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestServiceCountsSockets: sessions reach each meeting through the one
// front, and the front's high-water mark sees two sockets of one meeting
// open at once.
func TestServiceCountsSockets(t *testing.T) {
	svc, err := NewService(ServiceConfig{Meetings: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	ids := svc.ConferenceIDs()
	if len(ids) != 3 || svc.Meeting(ids[2]) == nil || svc.HostPassword(ids[0]) == svc.HostPassword(ids[1]) {
		t.Fatalf("meetings %v: want 3 with their own passwords", ids)
	}
	stopA := session(t, svc, ids[0])
	stopB := session(t, svc, ids[1])
	waitFor(t, "both subscribed", func() bool {
		c := svc.Counters()
		return c.Meetings[ids[0]].Subscribed == 1 && c.Meetings[ids[1]].Subscribed == 1
	})
	if c := svc.Counters(); c.MaxLiveSockets != 1 || c.Meetings[ids[2]].Sockets != 0 {
		t.Fatalf("counters %+v: want one socket per watched meeting", c)
	}
	stopA2 := session(t, svc, ids[0])
	waitFor(t, "a second socket of the first meeting", func() bool { return svc.Counters().Meetings[ids[0]].Subscribed == 2 })

	resp, err := http.Get(svc.URL() + CountersPath)
	if err != nil {
		t.Fatal(err)
	}
	var got Counters
	err = json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	m := got.Meetings[ids[0]]
	if m.LiveSockets != 2 || m.MaxLiveSockets != 2 || got.MaxLiveSockets != 2 || m.TokensIssued != 2 || got.TokenReuse != 0 {
		t.Fatalf("counters over HTTP %+v: want 2 live sockets of %s, 2 tokens, no reuse", got, ids[0])
	}
	stopA()
	stopA2()
	stopB()
	waitFor(t, "every socket closed", func() bool {
		c := svc.Counters()
		return c.Meetings[ids[0]].LiveSockets == 0 && c.Meetings[ids[1]].LiveSockets == 0
	})
	if c := svc.Counters(); c.Meetings[ids[0]].MaxLiveSockets != 2 || c.Meetings[ids[1]].MaxLiveSockets != 1 {
		t.Fatalf("high-water marks %+v", c)
	}
}

func TestServiceUnknownMeeting(t *testing.T) {
	svc, err := NewService(ServiceConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	client, _ := token.New(token.Config{BaseURL: svc.URL()})
	_, err = client.Login(context.Background(), "1", secret.New("x"))
	if err == nil {
		t.Fatal("login to an unknown meeting succeeded")
	}
}

func TestChurnChangesTheMeeting(t *testing.T) {
	svc, err := NewService(ServiceConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	srv := svc.Meeting(svc.ConferenceIDs()[0])
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := Churn(ctx, srv, 5*time.Millisecond); err != context.DeadlineExceeded {
		t.Fatalf("Churn = %v, want the deadline", err)
	}
	if v := srv.Meeting().View(); v.State != "Created" || v.Versions["ParticipantsNotify"] < 4 {
		t.Fatalf("view %+v: want a running meeting with several roster changes", v)
	}
}
