package integration_test

import (
	"context"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
	"github.com/confwatch/confwatch/integration/fakemeeting"
	"github.com/confwatch/confwatch/secret"
	"github.com/confwatch/confwatch/token"
)

const waitLong = 20 * time.Second

// gatedTokens lets a test hold the session blind: while closed, WSToken
// waits, so the session cannot redial.
type gatedTokens struct {
	*token.Provider
	mu   sync.Mutex
	gate chan struct{} // nil = open
}

func (g *gatedTokens) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.gate = make(chan struct{})
}

func (g *gatedTokens) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.gate != nil {
		close(g.gate)
		g.gate = nil
	}
}

func (g *gatedTokens) WSToken(ctx context.Context) (*token.WS, error) {
	g.mu.Lock()
	gate := g.gate
	g.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return g.Provider.WSToken(ctx)
}

// stack is the whole client side: session → mux → meeting state.
type stack struct {
	t       *testing.T
	fake    *fakemeeting.Server
	tokens  *gatedTokens
	sess    *connector.Session
	mux     *events.Mux
	state   *meeting.State
	mu      sync.Mutex
	changes []meeting.Change
	done    chan error
	cancel  context.CancelFunc
}

func newStack(t *testing.T, fcfg fakemeeting.Config, tune func(*connector.Config)) *stack {
	t.Helper()
	fake, err := fakemeeting.New(fcfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	client, err := token.New(token.Config{BaseURL: fake.URL(), HTTPClient: fake.Client()})
	if err != nil {
		t.Fatal(err)
	}
	prov, err := token.NewProvider(client, token.ProviderConfig{ConferenceID: fake.ConferenceID(), Password: secret.New(fake.HostPassword())})
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{t: t, fake: fake, tokens: &gatedTokens{Provider: prov}, done: make(chan error, 1)}
	s.mux = events.NewMux(nil)
	s.state = meeting.New(meeting.Config{
		Resync: func(r string) bool { return s.sess.Resync(r) },
		OnChange: func(c meeting.Change) {
			s.mu.Lock()
			s.changes = append(s.changes, c)
			s.mu.Unlock()
		},
	})
	s.mux.HandleAll(s.state, events.HandlerOptions{Name: "state"})
	cfg := connector.Config{
		AllowPlainText: true,
		ConferenceID:   fake.ConferenceID(),
		Tokens:         s.tokens,
		Backoff:        connector.Backoff{Initial: 5 * time.Millisecond, Max: 50 * time.Millisecond},
	}
	if tune != nil {
		tune(&cfg)
	}
	s.sess, err = connector.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go func() { s.done <- s.sess.Run(ctx, s.mux) }()
	t.Cleanup(func() {
		s.tokens.open()
		cancel()
		<-s.done
		cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer ccancel()
		if err := s.mux.Close(cctx); err != nil {
			t.Errorf("mux close: %v", err)
		}
		if st := fake.Stats(); st.TokenReuse != 0 {
			t.Errorf("token reuse: %d", st.TokenReuse)
		}
	})
	return s
}

func (s *stack) takeChanges() []meeting.Change {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.changes
	s.changes = nil
	return c
}

func (s *stack) eventually(what string, cond func() bool) {
	s.t.Helper()
	deadline := time.Now().Add(waitLong)
	for !cond() {
		if time.Now().After(deadline) {
			s.t.Fatalf("timed out waiting for %s; session %+v", what, s.sess.Stats())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// converged waits until the client's picture equals the fake's own view.
func (s *stack) converged() {
	s.t.Helper()
	var diff string
	s.eventually("the state to equal the fake's view", func() bool {
		diff = compare(s.state.Snapshot(), s.fake.Meeting().View())
		return diff == ""
	})
}

// compare returns "" when snap shows what view holds.
func compare(snap *meeting.Snapshot, view fakemeeting.View) string {
	if !snap.Connected {
		return "not connected"
	}
	if snap.Status.Locked != view.Locked || snap.Status.Recording != view.Recording || snap.Status.State != view.State || snap.Status.Mode != view.Mode {
		return "status differs"
	}
	if snap.Participants.Len() != len(view.Participants) {
		return "participant count differs"
	}
	for pid, info := range view.Participants {
		p, ok := snap.Participant(pid)
		if !ok {
			return "missing " + pid
		}
		if !maps.Equal(map[string]string(p.Info), info) {
			return "info of " + pid + " differs"
		}
	}
	var speakers []string
	for _, sp := range snap.Speakers {
		speakers = append(speakers, sp.PID)
	}
	if !slices.Equal(speakers, view.Speakers) {
		return "speakers differ"
	}
	return ""
}

func TestOutageProducesExactlyTheMissedChanges(t *testing.T) {
	s := newStack(t, fakemeeting.Config{Participants: []fakemeeting.Person{
		{PID: "a", Name: "Li Wei", Role: fakemeeting.RoleHost},
		{PID: "b", Name: "Meeting Room 3F"},
		{PID: "c", Name: "Zhang Min"},
	}}, nil)
	if err := s.fake.WaitSubscribed(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	s.converged()
	if c := s.takeChanges(); len(c) != 0 {
		t.Fatalf("the initial snapshots produced changes: %v", c)
	}

	s.tokens.close()
	s.fake.Faults().DropAll()
	s.eventually("disconnected", func() bool { return !s.state.Snapshot().Connected })
	if _, err := s.fake.Meeting().Join(fakemeeting.Person{PID: "d", Name: "Chen Jie"}); err != nil {
		t.Fatal(err)
	}
	must(t, s.fake.Meeting().Leave("b"))
	must(t, s.fake.Meeting().RaiseHand("c", true))
	must(t, s.fake.Meeting().Lock(true))
	must(t, s.fake.Meeting().RaiseHand("a", true)) // up and down again while blind: no net change
	must(t, s.fake.Meeting().RaiseHand("a", false))
	s.tokens.open()
	s.converged()

	got := map[string]bool{}
	for _, c := range s.takeChanges() {
		if !c.Inferred {
			t.Errorf("change %v after the resync is not marked inferred", c)
		}
		key := string(c.Kind) + ":" + c.PID
		if got[key] {
			t.Errorf("duplicate change %v", c)
		}
		got[key] = true
	}
	want := map[string]bool{
		string(meeting.ParticipantJoined) + ":d": true,
		string(meeting.ParticipantLeft) + ":b":   true,
		string(meeting.HandRaised) + ":c":        true,
		string(meeting.MeetingLocked) + ":":      true,
	}
	if !maps.Equal(got, want) {
		t.Fatalf("changes after the outage = %v, want exactly %v", got, want)
	}
}

func TestGapTriggersOneResyncAndConverges(t *testing.T) {
	s := newStack(t, fakemeeting.Config{Participants: []fakemeeting.Person{{PID: "a", Name: "Li Wei"}}}, nil)
	if err := s.fake.WaitSubscribed(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	must(t, s.fake.Meeting().RaiseHand("a", true)) // a first delta sets the baseline
	s.converged()
	s.fake.Faults().SkipVersion(events.ActionParticipants)
	must(t, s.fake.Meeting().Mute("a", true))
	s.eventually("a resync", func() bool { return s.sess.Stats().Resyncs == 1 })
	s.converged()
	// The state counts its request after Session.Resync returns, which can
	// be after the session has acted on it.
	s.eventually("the state's resync request counted", func() bool { return s.state.Stats().ResyncsRequested >= 1 })
	if st := s.state.Stats(); st.Gaps != 1 || st.ResyncsRequested != 1 {
		t.Fatalf("state stats %+v: want one gap and one resync request", st)
	}
	// The resubscribe is counted once its reply is read, which can be after
	// the fresh snapshots made the state converge.
	s.eventually("the resubscribe counted", func() bool { return s.sess.Stats().Subscribes >= 2 })
	if st := s.sess.Stats(); st.Subscribes != 2 || st.Resyncs != 1 {
		t.Fatalf("session stats: %d subscribes, %d resyncs; want 2 and 1", st.Subscribes, st.Resyncs)
	}
}

func TestDuplicateAndReorderedDeltasAreDropped(t *testing.T) {
	s := newStack(t, fakemeeting.Config{Participants: []fakemeeting.Person{{PID: "a", Name: "Li Wei"}}}, nil)
	if err := s.fake.WaitSubscribed(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	must(t, s.fake.Meeting().RaiseHand("a", true))
	s.converged()
	s.fake.Faults().DuplicateNext(events.ActionParticipants)
	must(t, s.fake.Meeting().Mute("a", true))
	s.converged()
	s.eventually("the duplicate counted", func() bool { return s.state.Stats().Duplicate == 1 })
	s.takeChanges()
	s.fake.Faults().ReorderNext(events.ActionParticipants)
	must(t, s.fake.Meeting().Share("a", true))
	must(t, s.fake.Meeting().Share("a", false))
	// The early delta skips a version, so the state may ask for a resync;
	// the late one is then either dropped as stale or lost with the closed
	// link. Either way it must never be applied over the newer one.
	s.eventually("the late delta dropped or a resync", func() bool {
		return s.state.Stats().Stale >= 1 || s.sess.Stats().Resyncs >= 1
	})
	s.converged()
	if p, _ := s.state.Snapshot().Participant("a"); p.Sharing {
		t.Fatal("a stale delta was applied over a newer one")
	}
}

func TestSlowHandlerDelaysNeitherOthersNorHeartbeat(t *testing.T) {
	s := newStack(t, fakemeeting.Config{Participants: []fakemeeting.Person{{PID: "a", Name: "Li Wei"}}}, func(c *connector.Config) {
		// A second of read timeout keeps a loaded CI machine from
		// declaring the link dead; the handler stays stuck for three.
		c.HeartbeatInterval = 100 * time.Millisecond
		c.ReadTimeout = time.Second
	})
	release := make(chan struct{})
	var slowSaw int
	var mu sync.Mutex
	s.mux.HandleAll(events.HandlerFunc(func(ctx context.Context, e events.Event) {
		mu.Lock()
		slowSaw++
		mu.Unlock()
		select {
		case <-release:
		case <-ctx.Done():
		}
	}), events.HandlerOptions{Name: "slow", Overflow: events.DropNewest, Queue: 4})
	if err := s.fake.WaitSubscribed(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		must(t, s.fake.Meeting().RaiseHand("a", i%2 == 0))
	}
	s.converged() // the state handler kept up while "slow" was stuck
	time.Sleep(3 * time.Second)
	close(release)
	if st := s.sess.Stats(); st.Subscribes != 1 || len(st.Reconnects) != 0 {
		t.Fatalf("a stuck handler caused reconnects: %+v", st)
	}
	if st := s.sess.Stats(); st.HeartbeatsEcho < 10 {
		t.Fatalf("only %d heartbeat echoes while a handler was stuck", st.HeartbeatsEcho)
	}
}

func TestDemoScriptEndsConsistent(t *testing.T) {
	s := newStack(t, fakemeeting.Config{}, nil)
	if err := s.fake.WaitSubscribed(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	ids, err := s.fake.Meeting().Join(fakemeeting.Person{Name: "P1"}, fakemeeting.Person{Name: "P2"}, fakemeeting.Person{Name: "P3"})
	if err != nil {
		t.Fatal(err)
	}
	must(t, s.fake.Meeting().Speakers(ids[0], ids[2]))
	must(t, s.fake.Meeting().Mute(ids[1], true))
	must(t, s.fake.Meeting().Record(true))
	must(t, s.fake.Meeting().SetMode("ROLLCALL"))
	s.fake.Faults().DropAll()
	must(t, s.fake.Meeting().Rename(ids[2], "P3 renamed"))
	must(t, s.fake.Meeting().Share(ids[0], true))
	s.converged()
	must(t, s.fake.Meeting().End(t.Context()))
	select {
	case err := <-s.done:
		s.done <- err
		if !errorsIsEnded(err) {
			t.Fatalf("Run = %v, want the meeting-ended sentinel", err)
		}
	case <-time.After(waitLong):
		t.Fatal("Run did not return after the meeting ended")
	}
	s.eventually("the end in the state", func() bool { return s.state.Snapshot().Status.Ended() })
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
