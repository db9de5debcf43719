package chaos_test

import (
	"strings"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"

	"github.com/confwatch/confwatch/connector"
)

// TestTokenEndpointTimeouts breaks the token API while the session needs
// it: the socket is dropped, so the redial must fetch a ws token, first
// from an API that accepts the request and never answers (timeout 0: the
// client's own request timeout must end the call), then from one that
// closes the connection 300 ms into each call. Pass: each broken call is
// a retry at the ws-token stage (never a stop, never a re-login storm),
// and once the API answers again the session resubscribes and converges.
func TestTokenEndpointTimeouts(t *testing.T) {
	r := newRig(t, rigOpts{})
	r.waitSubscribed(1)
	r.converge()
	logins := r.fake.Stats().Logins

	for i, spec := range []string{
		`{"name":"api_hang","type":"timeout","stream":"downstream","attributes":{"timeout":0}}`,
		`{"name":"api_cut","type":"timeout","stream":"downstream","attributes":{"timeout":300}}`,
	} {
		name := r.toxic(r.api, spec)
		retries := r.w.Session.Stats().Reconnects["retry"]
		r.fake.Faults().DropAll()
		r.churn(5) // blind changes
		r.eventually(name+": two failed ws token calls", func() bool {
			st := r.w.Session.Stats()
			return st.Reconnects["retry"] >= retries+3 && strings.HasPrefix(st.LastError, string(connector.StageWSToken))
		})
		r.untoxic(r.api, name)
		r.waitSubscribed(int64(i + 2))
		r.settle()
	}
	st := r.w.Session.Stats()
	if st.Reconnects["reauth"] != 0 || st.Reconnects["stop"] != 0 {
		t.Fatalf("a broken token API was classified as %v; want retries only", st.Reconnects)
	}
	if n := r.fake.Stats().Logins - logins; n != 0 {
		t.Fatalf("%d fresh logins: a network failure of the token API must not drop the control token", n)
	}
}

// TestProxyDownLongerThanReadTimeout takes both proxies down (connections
// closed, new ones refused) for twice the read timeout while the meeting
// changes, then brings them back on the same addresses. Pass: the session
// keeps retrying through refused connections without giving up, then
// resubscribes; the state converges, and the changes made while it was
// blind are reported as inferred changes.
func TestProxyDownLongerThanReadTimeout(t *testing.T) {
	r := newRig(t, rigOpts{})
	r.waitSubscribed(1)
	r.converge()

	r.ws.Stop()
	r.api.Stop()
	r.eventually("the drop to be seen", func() bool { disc, _ := r.w.Count(); return disc >= 1 })
	pid := r.fake.Meeting().View().Order[0]
	if err := r.fake.Meeting().RaiseHand(pid, r.fake.Meeting().View().Participants[pid]["HAND"] != "1"); err != nil {
		t.Fatal(err)
	}
	if err := r.fake.Meeting().Lock(!r.fake.Meeting().View().Locked); err != nil {
		t.Fatal(err)
	}
	r.churn(10)
	failed := r.w.Session.Stats().Reconnects["retry"]
	time.Sleep(2 * readTimeout) // down for longer than the read timeout
	r.eventually("attempts failing while down", func() bool {
		return r.w.Session.Stats().Reconnects["retry"] > failed
	})
	for _, p := range []*toxiproxy.Proxy{r.api, r.ws} {
		if err := p.Start(); err != nil {
			t.Fatalf("restarting proxy %s on %s: %v", p.Name, p.Listen, err)
		}
	}
	r.settle()
	if n := r.inferred.Load(); n == 0 {
		t.Fatal("no change was marked Inferred after a resubscribe that revealed changes made while blind")
	}
}

// TestFlapping stops and restarts the WS proxy ten times, with down and
// up periods of a few hundred milliseconds, while the meeting changes.
// Pass: the session ends subscribed and converged, Run never gives up,
// and every dial used a fresh ws token.
func TestFlapping(t *testing.T) {
	r := newRig(t, rigOpts{})
	r.waitSubscribed(1)
	r.converge()
	for range 10 {
		r.ws.Stop()
		r.churn(3)
		time.Sleep(time.Duration(50+r.rng.IntN(350)) * time.Millisecond)
		if err := r.ws.Start(); err != nil {
			t.Fatalf("restarting the WS proxy: %v", err)
		}
		r.churn(3)
		time.Sleep(time.Duration(100+r.rng.IntN(500)) * time.Millisecond)
	}
	r.settle()
	st := r.w.Session.Stats()
	if issued := r.fake.Stats().TokensIssued; issued < st.Dials {
		t.Fatalf("%d dials with %d ws tokens issued: a token was used twice", st.Dials, issued)
	}
	if disc, _ := r.w.Count(); disc == 0 {
		t.Fatal("flapping never disconnected the session: the fault was not injected")
	}
}
