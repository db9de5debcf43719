package token_test

import (
	"errors"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/confwatch/confwatch/integration/fakemeeting"
	"github.com/confwatch/confwatch/secret"
	"github.com/confwatch/confwatch/token"
)

// The wsToken page documents GET, but its raw-request sample says PUT
// (protocol §2.2): the Client keeps GET, falls back to PUT once on a 405,
// and remembers what worked.

// TestWSTokenMethodAgainstFake runs each path against the fake.
func TestWSTokenMethodAgainstFake(t *testing.T) {
	cases := []struct {
		name    string
		methods []string
		// after three WSToken calls:
		requests, refused, puts int64
	}{
		{"GET and PUT served: GET only", nil, 3, 0, 0},
		{"GET only served", []string{http.MethodGet}, 3, 0, 0},
		{"PUT only served: one 405, then PUT remembered", []string{http.MethodPut}, 4, 1, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, client, _ := newFakeMeeting(t, fakemeeting.Config{WSTokenMethods: c.methods})
			p := hostProvider(t, srv, client)
			ctx := testCtx(t)
			seen := map[string]bool{}
			for range 3 {
				ws, err := p.WSToken(ctx)
				if err != nil {
					t.Fatalf("WSToken: %v", err)
				}
				seen[ws.Token.Reveal()] = true
			}
			st := srv.Stats()
			if st.WSTokenRequests != c.requests || st.WSTokenMethodRefused != c.refused || st.WSTokenPuts != c.puts || st.TokensIssued != 3 {
				t.Errorf("fake saw %d requests, %d refused, %d PUTs, %d tokens; want %d, %d, %d, 3",
					st.WSTokenRequests, st.WSTokenMethodRefused, st.WSTokenPuts, st.TokensIssued, c.requests, c.refused, c.puts)
			}
			if len(seen) != 3 {
				t.Errorf("%d distinct tokens, want 3", len(seen))
			}
			// The method is the Client's: a second Provider on it starts
			// with what the first learnt.
			p2 := hostProvider(t, srv, client)
			if _, err := p2.WSToken(ctx); err != nil {
				t.Fatal(err)
			}
			if got := srv.Stats().WSTokenMethodRefused; got != c.refused {
				t.Errorf("second Provider: %d refusals, want still %d", got, c.refused)
			}
		})
	}
}

// methodSwitch is a fakeAPI hook refusing one method with 405 and
// recording the methods it saw.
type methodSwitch struct {
	mu      sync.Mutex
	refuse  string
	methods []string
}

func (m *methodSwitch) hook(w http.ResponseWriter, r *http.Request) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.methods = append(m.methods, r.Method)
	if r.Method == m.refuse {
		writeErr(w, http.StatusMethodNotAllowed, "MMC.111070001", "METHOD_NOT_ALLOWED")
		return true
	}
	return false
}

func (m *methodSwitch) set(refuse string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refuse, m.methods = refuse, nil
}

func (m *methodSwitch) seen() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.methods...)
}

func TestWSTokenMethodFallback(t *testing.T) {
	c, api, _ := newEnv(t)
	ctx := testCtx(t)
	ctl := secret.New(api.mintValid())
	sw := &methodSwitch{}
	api.set(func(f *fakeAPI) { f.onWSToken = sw.hook })
	steps := []struct {
		name, refuse string
		want         []string // methods the server sees for one WSToken
		err          error
	}{
		{"GET works", "", []string{"GET"}, nil},
		{"GET refused: PUT, once", "GET", []string{"GET", "PUT"}, nil},
		{"PUT remembered", "GET", []string{"PUT"}, nil},
		{"PUT refused later: back to GET", "PUT", []string{"PUT", "GET"}, nil},
		{"GET remembered again", "PUT", []string{"GET"}, nil},
		{"a 401 is no reason to switch", "", []string{"GET"}, token.ErrUnauthorized},
	}
	for _, s := range steps {
		sw.set(s.refuse)
		tok := ctl
		if s.err != nil {
			tok = secret.New("CANARYTOK-unknown")
		}
		_, err := c.WSToken(ctx, testConf, tok)
		if s.err == nil && err != nil || s.err != nil && !errors.Is(err, s.err) {
			t.Fatalf("%s: err = %v, want %v", s.name, err, s.err)
		}
		sameMethods(t, s.name, sw.seen(), s.want)
	}
}

// TestWSTokenBothMethodsRefused: the second 405 is the answer, and nothing
// is learnt from it.
func TestWSTokenBothMethodsRefused(t *testing.T) {
	c, api, _ := newEnv(t)
	ctx := testCtx(t)
	ctl := secret.New(api.mintValid())
	var mu sync.Mutex
	var methods []string
	api.set(func(f *fakeAPI) {
		f.onWSToken = func(w http.ResponseWriter, r *http.Request) bool {
			mu.Lock()
			methods = append(methods, r.Method)
			mu.Unlock()
			writeErr(w, http.StatusMethodNotAllowed, "MMC.111070001", "METHOD_NOT_ALLOWED")
			return true
		}
	})
	for range 2 {
		_, err := c.WSToken(ctx, testConf, ctl)
		var ae *token.APIError
		if !errors.As(err, &ae) || ae.Status != http.StatusMethodNotAllowed {
			t.Fatalf("err = %v, want the 405", err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	sameMethods(t, "methods", methods, []string{"GET", "PUT", "GET", "PUT"})
}

// mintValid returns a new control token the fakeAPI accepts.
func (f *fakeAPI) mintValid() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.mint()
}

func sameMethods(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: server saw %v, want %v", what, got, want)
	}
}
