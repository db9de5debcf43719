package token_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/confwatch/confwatch/secret"
	"github.com/confwatch/confwatch/token"
)

func TestControlSingleFlight(t *testing.T) {
	p, api, _ := newProvider(t, token.ProviderConfig{Password: secret.New(testPassword)})
	gate, arrived := make(chan struct{}), make(chan struct{}, 200)
	api.set(func(f *fakeAPI) { f.gate, f.arrived = gate, arrived })

	const callers = 100
	ctx := testCtx(t)
	results := make([]*token.Control, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() { results[i], errs[i] = p.Control(ctx) })
	}
	<-arrived
	eventually(t, "99 callers waiting on the first one", func() bool { return token.Waiters(p) == callers-1 })
	close(gate)
	wg.Wait()

	for i := range callers {
		if errs[i] != nil || results[i] != results[0] {
			t.Fatalf("caller %d: %v, %p (want %p)", i, errs[i], results[i], results[0])
		}
	}
	if logins, keepAlives, _ := api.counts(); logins != 1 || keepAlives != 0 || len(arrived) != 0 {
		t.Errorf("logins %d keep-alives %d extra arrivals %d, want exactly one request", logins, keepAlives, len(arrived))
	}
}

func TestWaiterRetriesWhenLeaderCancels(t *testing.T) {
	p, api, _ := newProvider(t, token.ProviderConfig{Password: secret.New(testPassword)})
	gate, arrived := make(chan struct{}), make(chan struct{}, 10)
	api.set(func(f *fakeAPI) { f.gate, f.arrived = gate, arrived })

	leaderCtx, cancelLeader := context.WithCancel(testCtx(t))
	leaderErr := make(chan error, 1)
	go func() { _, err := p.Control(leaderCtx); leaderErr <- err }()
	<-arrived
	waiter := make(chan error, 1)
	go func() { _, err := p.Control(testCtx(t)); waiter <- err }()
	eventually(t, "the second caller to wait", func() bool { return token.Waiters(p) == 1 })
	cancelLeader()
	if err := <-leaderErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("leader: %v, want context.Canceled", err)
	}
	<-arrived // the waiter took over with its own request
	close(gate)
	if err := <-waiter; err != nil {
		t.Fatalf("waiter: %v", err)
	}
	if ctl, err := p.Control(testCtx(t)); err != nil || ctl.Token.IsZero() {
		t.Fatalf("Control() after the waiter's login = %v", err)
	}
	if len(arrived) != 0 {
		t.Errorf("%d extra requests, want only the leader's and the waiter's", len(arrived))
	}
}

func TestWaiterContextEnds(t *testing.T) {
	p, api, _ := newProvider(t, token.ProviderConfig{Password: secret.New(testPassword)})
	gate, arrived := make(chan struct{}), make(chan struct{}, 10)
	api.set(func(f *fakeAPI) { f.gate, f.arrived = gate, arrived })
	leader := make(chan error, 1)
	go func() { _, err := p.Control(testCtx(t)); leader <- err }()
	<-arrived
	ctx, cancel := context.WithCancel(testCtx(t))
	waiter := make(chan error, 1)
	go func() { _, err := p.Control(ctx); waiter <- err }()
	eventually(t, "the second caller to wait", func() bool { return token.Waiters(p) == 1 })
	cancel()
	if err := <-waiter; !errors.Is(err, context.Canceled) {
		t.Errorf("waiter: %v, want context.Canceled", err)
	}
	close(gate)
	if err := <-leader; err != nil {
		t.Errorf("leader: %v", err)
	}
}
