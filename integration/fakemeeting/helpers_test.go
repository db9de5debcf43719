package fakemeeting_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/confwatch/confwatch/clock"
	"github.com/confwatch/confwatch/integration/fakemeeting"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var t0 = time.Date(2025, 1, 6, 8, 43, 32, 345_000_000, time.UTC)

const readWait = 5 * time.Second

// newFake starts a fake with a fake clock (unless cfg.Clock is set) and
// registers its Close.
func newFake(t testing.TB, cfg fakemeeting.Config) (*fakemeeting.Server, *clock.Fake) {
	t.Helper()
	var fc *clock.Fake
	if cfg.Clock == nil {
		fc = clock.NewFake(t0)
		cfg.Clock = fc
	}
	srv, err := fakemeeting.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(srv.Close)
	return srv, fc
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// httpResp is a decoded HTTP response.
type httpResp struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

func (r httpResp) errorCode() string {
	s, _ := r.Body["error_code"].(string)
	return s
}

func doGet(t testing.TB, c *http.Client, url string, hdr map[string]string) httpResp {
	t.Helper()
	return doMethod(t, c, http.MethodGet, url, hdr)
}

func doMethod(t testing.TB, c *http.Client, method, url string, hdr map[string]string) httpResp {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := httpResp{Status: res.StatusCode, Header: res.Header, Raw: raw}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&out.Body); err != nil {
		t.Fatalf("%s %s: body %q: %v", method, url, raw, err)
	}
	return out
}

func tokenURL(srv *fakemeeting.Server, confID string) string {
	return srv.URL() + fakemeeting.PathToken + "?conferenceID=" + confID
}

func wsTokenURL(srv *fakemeeting.Server) string {
	return srv.URL() + fakemeeting.PathWSToken + "?conferenceID=" + srv.ConferenceID()
}

func loginResp(t testing.TB, srv *fakemeeting.Server, c *http.Client, pwd string, extra map[string]string) httpResp {
	t.Helper()
	h := map[string]string{"X-Login-Type": "1"}
	if pwd != "" {
		h["X-Password"] = pwd
	}
	for k, v := range extra {
		h[k] = v
	}
	return doGet(t, c, tokenURL(srv, srv.ConferenceID()), h)
}

func data(r httpResp) map[string]any {
	d, _ := r.Body["data"].(map[string]any)
	return d
}

// login returns a control token.
func login(t testing.TB, srv *fakemeeting.Server, c *http.Client) string {
	t.Helper()
	r := loginResp(t, srv, c, srv.HostPassword(), nil)
	if r.Status != 200 {
		t.Fatalf("login: %d %s", r.Status, r.Raw)
	}
	return data(r)["token"].(string)
}

func wsTokenResp(t testing.TB, srv *fakemeeting.Server, c *http.Client, auth string) httpResp {
	t.Helper()
	h := map[string]string{}
	if auth != "" {
		h["X-Conference-Authorization"] = auth
	}
	return doGet(t, c, wsTokenURL(srv), h)
}

func wsToken(t testing.TB, srv *fakemeeting.Server, c *http.Client, ctl string) string {
	t.Helper()
	r := wsTokenResp(t, srv, c, ctl)
	if r.Status != 200 {
		t.Fatalf("wsToken: %d %s", r.Status, r.Raw)
	}
	return r.Body["webSocketToken"].(string)
}

func basic(tok string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(tok)) }

// wsBase is the ws(s) base the token endpoint hands out as data.wsURL.
func wsBase(srv *fakemeeting.Server) string { return "ws" + strings.TrimPrefix(srv.URL(), "http") }

// connURL is the WebSocket URL for dialing with tmpToken.
func connURL(srv *fakemeeting.Server, tmp string) string {
	return wsBase(srv) + fakemeeting.PathWS + "?confID=" + srv.ConferenceID() + "&tmpToken=" + tmp
}

// dialer trusts the fake and uses small buffers.
func dialer(srv *fakemeeting.Server) *websocket.Dialer {
	return &websocket.Dialer{
		TLSClientConfig:  srv.TLSConfig(),
		HandshakeTimeout: 10 * time.Second,
		ReadBufferSize:   4096,
		WriteBufferSize:  1024,
	}
}

// dial dials with tmp; on success the conn is closed at cleanup.
func dial(t testing.TB, srv *fakemeeting.Server, tmp string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	ws, res, err := dialer(srv).Dial(connURL(srv, tmp), nil)
	if res != nil && res.Body != nil {
		res.Body.Close()
	}
	if ws != nil {
		t.Cleanup(func() { ws.Close() })
	}
	return ws, res, err
}

func mustDial(t testing.TB, srv *fakemeeting.Server, tmp string) *websocket.Conn {
	t.Helper()
	ws, _, err := dial(t, srv, tmp)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	return ws
}

type frame map[string]any

func (f frame) action() string { s, _ := f["action"].(string); return s }

func (f frame) num(key string) int64 {
	switch v := f[key].(type) {
	case json.Number:
		n, _ := v.Int64()
		return n
	case string:
		var n json.Number = json.Number(v)
		i, _ := n.Int64()
		return i
	}
	return -1
}

func (f frame) list() []any { l, _ := f["data"].([]any); return l }

func decodeFrame(t testing.TB, b []byte) frame {
	t.Helper()
	var f frame
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&f); err != nil {
		t.Fatalf("frame %q: %v", b, err)
	}
	return f
}

func readRaw(t testing.TB, ws *websocket.Conn) (int, []byte, error) {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(readWait))
	return ws.ReadMessage()
}

func read(t testing.TB, ws *websocket.Conn) frame {
	t.Helper()
	mt, b, err := readRaw(t, ws)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if mt != websocket.TextMessage {
		t.Fatalf("read: message type %d", mt)
	}
	return decodeFrame(t, b)
}

// readClose reads until an error and returns it.
func readClose(t testing.TB, ws *websocket.Conn) error {
	t.Helper()
	for i := 0; i < 1000; i++ {
		if _, _, err := readRaw(t, ws); err != nil {
			return err
		}
	}
	t.Fatal("readClose: socket stayed open")
	return nil
}

func closeCode(err error) int {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return -1
}

func sendJSON(t testing.TB, ws *websocket.Conn, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.WriteMessage(websocket.TextMessage, b); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// sendSubscribe sends a Subscribe with data as a JSON string (asString)
// or an object.
func sendSubscribe(t testing.TB, ws *websocket.Conn, seq, confToken string, types []string, asString bool) {
	t.Helper()
	d := map[string]any{"subscribeType": types, "confToken": confToken}
	var dv any = d
	if asString {
		b, _ := json.Marshal(d)
		dv = string(b)
	}
	sendJSON(t, ws, map[string]any{"action": "Subscribe", "sequence": seq, "data": dv})
}

func heartBeat(t testing.TB, ws *websocket.Conn, seq string) {
	t.Helper()
	sendJSON(t, ws, map[string]any{"action": "HeartBeat", "sequence": seq})
}

// session is a subscribed socket.
type session struct {
	ws       *websocket.Conn
	ctl      string
	snapshot []frame
}

// connect logs in, dials, subscribes to types and reads the reply and the
// snapshot burst (nSnap frames; -1 = one per type).
func connect(t testing.TB, srv *fakemeeting.Server, c *http.Client, types []string, nSnap int) *session {
	t.Helper()
	ctl := login(t, srv, c)
	ws := mustDial(t, srv, wsToken(t, srv, c, ctl))
	sendSubscribe(t, ws, "000000000000000001736153012345", basic(ctl), types, true)
	r := read(t, ws)
	if r.action() != "Subscribe" || r["data"].(map[string]any)["returnCode"] != json.Number("0") {
		t.Fatalf("subscribe reply: %v", r)
	}
	if nSnap < 0 {
		nSnap = len(types)
	}
	s := &session{ws: ws, ctl: ctl}
	for i := 0; i < nSnap; i++ {
		s.snapshot = append(s.snapshot, read(t, ws))
	}
	return s
}

func readExample(t testing.TB, name string) frame {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return decodeFrame(t, b)
}
