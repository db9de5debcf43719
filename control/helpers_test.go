package control_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/confwatch/confwatch/secret"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/confwatch/confwatch/clock"
	"github.com/confwatch/confwatch/control"
	"github.com/confwatch/confwatch/integration/fakemeeting"
	"github.com/confwatch/confwatch/token"
)

// Canaries: the host password and a substring of every token the fake
// mints. Neither may appear in any output.
const (
	canaryPassword = "CNRYpw-c0ntrol-Zq81"
	tokenCanary    = "CNRYtok"
)

// waitLong bounds every wait; never a timing assertion.
const waitLong = 20 * time.Second

var t0 = time.Date(2026, 1, 6, 9, 0, 0, 0, time.UTC)

// roster is the meeting most tests act on.
func roster() fakemeeting.Config {
	return fakemeeting.Config{
		HostPassword: canaryPassword, TokenCanary: tokenCanary,
		Participants: []fakemeeting.Person{
			{PID: "pid-li-wei", Name: "Li Wei", Role: fakemeeting.RoleHost},
			{PID: "pid-zhang-min", Name: "Zhang Min", Tel: "+99111000001", Hand: true},
			{PID: "pid-chen-jie", Name: "Chen Jie", Tel: "+99111000002"},
		},
	}
}

// rig is a fake meeting and a control client acting on it, with the
// client's waits on a fake clock and its logs (debug, JSON and text)
// captured.
type rig struct {
	t      *testing.T
	fake   *fakemeeting.Server
	tokens *token.Provider
	ctl    *control.Client
	clock  *clock.Fake
	logs   *syncBuffer
}

func newRig(t *testing.T, fcfg fakemeeting.Config, tune func(*control.Config)) *rig {
	t.Helper()
	fake, err := fakemeeting.New(fcfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	r := &rig{t: t, fake: fake, clock: clock.NewFake(t0), logs: &syncBuffer{}}
	log := debugLogger(r.logs)
	client, err := token.New(token.Config{BaseURL: fake.URL(), HTTPClient: fake.Client(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.CloseIdleConnections)
	r.tokens, err = token.NewProvider(client, token.ProviderConfig{ConferenceID: fake.ConferenceID(), Password: secret.New(fake.HostPassword())})
	if err != nil {
		t.Fatal(err)
	}
	cfg := control.Config{Tokens: r.tokens, Logger: log, Clock: r.clock}
	if tune != nil {
		tune(&cfg)
	}
	if r.ctl, err = control.New(cfg); err != nil {
		t.Fatal(err)
	}
	return r
}

// requests returns the control requests of op the fake received.
func (r *rig) requests(op string) []fakemeeting.ControlRequest {
	var out []fakemeeting.ControlRequest
	for _, q := range r.fake.Control().Requests() {
		if q.Op == op {
			out = append(out, q)
		}
	}
	return out
}

func debugLogger(w *syncBuffer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelDebug}
	return slog.New(slog.NewMultiHandler(slog.NewJSONHandler(w, opts), slog.NewTextHandler(w, opts)))
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	t.Cleanup(cancel)
	return ctx
}

// eventually polls cond every 2 ms, for at most waitLong.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// jsonShape maps every key of a JSON object to its JSON type: "number",
// "string", "bool", "null", "object", or "[]" + the element type. Keys
// of objects inside arrays appear as "key[].inner".
func jsonShape(t *testing.T, body []byte) map[string]string {
	t.Helper()
	var v map[string]any
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", body, err)
	}
	out := map[string]string{}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, x := range m {
			out[prefix+k] = jsonType(x)
			if xs, ok := x.([]any); ok {
				for _, e := range xs {
					if o, ok := e.(map[string]any); ok {
						walk(prefix+k+"[].", o)
					}
				}
			}
		}
	}
	walk("", v)
	return out
}

func jsonType(x any) string {
	switch v := x.(type) {
	case json.Number:
		return "number"
	case string:
		return "string"
	case bool:
		return "bool"
	case nil:
		return "null"
	case []any:
		if len(v) == 0 {
			return "[]"
		}
		return "[]" + jsonType(v[0])
	}
	return "object"
}

func shapeString(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k, v := range m {
		keys = append(keys, k+":"+v)
	}
	sort.Strings(keys)
	return strings.Join(keys, " ")
}

// canned is a stand-in API for answers the fake does not give: its token
// endpoint logs in with the canary password, and every other path is
// answered by respond.
type canned struct {
	respond func(w http.ResponseWriter, r *http.Request)
	mu      sync.Mutex
	calls   int
}

const cannedToken = "stb" + tokenCanary + "0123456789abcdef0123456789abcdef01234567"

func (c *canned) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/token") {
		if r.Header.Get("X-Password") != canaryPassword {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error_code":"MMC.111072065","error_msg":"CONF_NOT_FOUND_OR_AUTH_FAILED"}`)
			return
		}
		fmt.Fprintf(w, `{"data":{"token":%q,"wsURL":"ws://127.0.0.1:1","role":1,"confTokenExpireTime":1800}}`, cannedToken)
		return
	}
	c.mu.Lock()
	c.calls++
	c.mu.Unlock()
	c.respond(w, r)
}

// newCanned starts a canned API and a client on it.
func newCanned(t *testing.T, respond func(w http.ResponseWriter, r *http.Request)) (*control.Client, *canned, *syncBuffer) {
	t.Helper()
	api := &canned{respond: respond}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	logs := &syncBuffer{}
	client, err := token.New(token.Config{BaseURL: srv.URL, Logger: debugLogger(logs)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.CloseIdleConnections)
	prov, err := token.NewProvider(client, token.ProviderConfig{ConferenceID: "986112045", Password: secret.New(canaryPassword)})
	if err != nil {
		t.Fatal(err)
	}
	ctl, err := control.New(control.Config{Tokens: prov, Logger: debugLogger(logs), Clock: clock.NewFake(t0)})
	if err != nil {
		t.Fatal(err)
	}
	return ctl, api, logs
}

// rawValue returns the JSON value of key in body, in canonical form
// (object keys sorted, no spaces).
func rawValue(t *testing.T, body []byte, key string) string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	return canonical(t, m[key])
}

func canonical(t *testing.T, raw []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "(invalid: " + string(raw) + ")"
	}
	b, _ := json.Marshal(v)
	return string(b)
}
