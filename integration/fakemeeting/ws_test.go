package fakemeeting_test

import (
	"crypto/tls"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/confwatch/confwatch/integration/fakemeeting"
)

func TestTokenSingleUse(t *testing.T) {
	srv, _ := newFake(t, fakemeeting.Config{})
	c := srv.Client()
	tmp := wsToken(t, srv, c, login(t, srv, c))
	mustDial(t, srv, tmp)
	_, res, err := dial(t, srv, tmp)
	if err == nil || res == nil || res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("second dial with the same token: err %v res %v", err, res)
	}
	st := srv.Stats()
	if st.TokenReuse != 1 || st.Upgrades != 2 || st.UpgradesRefused != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestTokenConsumedByRefusedAttempt(t *testing.T) {
	srv, _ := newFake(t, fakemeeting.Config{})
	c := srv.Client()
	tmp := wsToken(t, srv, c, login(t, srv, c))
	srv.Faults().RefuseUpgrades(1, http.StatusServiceUnavailable)
	if _, res, err := dial(t, srv, tmp); err == nil || res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("injected refusal: err %v res %v", err, res)
	}
	if _, _, err := dial(t, srv, tmp); err == nil {
		t.Fatal("token usable after a refused attempt")
	}
	if st := srv.Stats(); st.TokenReuse != 1 {
		t.Errorf("TokenReuse %d", st.TokenReuse)
	}
}

func TestTokenExpiry(t *testing.T) {
	srv, fc := newFake(t, fakemeeting.Config{})
	c := srv.Client()
	ctl := login(t, srv, c)
	ok := wsToken(t, srv, c, ctl)
	late := wsToken(t, srv, c, ctl)
	fc.Advance(59 * time.Second)
	mustDial(t, srv, ok)
	fc.Advance(2 * time.Second)
	_, res, err := dial(t, srv, late)
	if err == nil || res == nil || res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("expired token: err %v res %v", err, res)
	}
	if st := srv.Stats(); st.TokenReuse != 0 || st.UpgradesRefused != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestRejectUnknownAndWrongConf(t *testing.T) {
	srv, _ := newFake(t, fakemeeting.Config{})
	c := srv.Client()
	if _, res, err := dial(t, srv, "cnr0000"); err == nil || res.StatusCode != 401 {
		t.Fatalf("unknown token: %v", err)
	}
	tmp := wsToken(t, srv, c, login(t, srv, c))
	ws, res, err := dialer(srv).Dial(wsBase(srv)+fakemeeting.PathWS+"?confID=1&tmpToken="+tmp, nil)
	if ws != nil {
		ws.Close()
	}
	if err == nil || res.StatusCode != 401 {
		t.Fatalf("wrong confID: %v", err)
	}
	if st := srv.Stats(); st.UpgradesRefused != 2 || st.LiveSockets != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestRejectModeClose(t *testing.T) {
	srv, _ := newFake(t, fakemeeting.Config{RejectMode: fakemeeting.RejectClose})
	c := srv.Client()
	tmp := wsToken(t, srv, c, login(t, srv, c))
	mustDial(t, srv, tmp)
	ws, _, err := dial(t, srv, tmp) // reused
	if err != nil {
		t.Fatalf("RejectClose should accept the upgrade: %v", err)
	}
	if code := closeCode(readClose(t, ws)); code != websocket.ClosePolicyViolation {
		t.Errorf("close code %d, want 1008", code)
	}
	if st := srv.Stats(); st.TokenReuse != 1 || st.UpgradesRefused != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestRefuseUpgradesCloseAfterAccept(t *testing.T) {
	srv, _ := newFake(t, fakemeeting.Config{})
	c := srv.Client()
	ctl := login(t, srv, c)
	srv.Faults().RefuseUpgrades(1, 0)
	ws := mustDial(t, srv, wsToken(t, srv, c, ctl))
	if code := closeCode(readClose(t, ws)); code != websocket.ClosePolicyViolation {
		t.Errorf("close code %d", code)
	}
	mustDial(t, srv, wsToken(t, srv, c, ctl)) // next one is fine
}

func TestSubscribeStringAndObject(t *testing.T) {
	srv, _ := newFake(t, fakemeeting.Config{})
	c := srv.Client()
	ctl := login(t, srv, c)
	for _, asString := range []bool{true, false} {
		for _, auth := range []string{ctl, basic(ctl)} {
			ws := mustDial(t, srv, wsToken(t, srv, c, ctl))
			sendSubscribe(t, ws, "seq-123456789012345678901", auth, []string{"ConfBasicInfoNotify"}, asString)
			r := read(t, ws)
			want := `{"action":"Subscribe","sequence":"seq-123456789012345678901","data":{"returnCode":0,"returnDesc":"SUCCESS"}}`
			if b, _ := json.Marshal(r); string(b) != sortedJSON(t, want) {
				t.Errorf("asString=%v: reply %s", asString, b)
			}
			if f := read(t, ws); f.action() != "ConfBasicInfoNotify" {
				t.Errorf("snapshot %v", f.action())
			}
			ws.Close()
		}
	}
	if err := srv.WaitSubscribed(ctxT(t), 0); err != nil {
		t.Fatal(err)
	}
}

func sortedJSON(t testing.TB, s string) string {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func TestSubscribeBadToken(t *testing.T) {
	srv, _ := newFake(t, fakemeeting.Config{})
	c := srv.Client()
	ws := mustDial(t, srv, wsToken(t, srv, c, login(t, srv, c)))
	sendSubscribe(t, ws, "1", "stb-not-a-token", []string{"ParticipantsNotify"}, true)
	r := read(t, ws)
	rc := r["data"].(map[string]any)["returnCode"]
	if r.action() != "Subscribe" || rc == json.Number("0") || r["sequence"] != "1" {
		t.Fatalf("reply %v", r)
	}
	if rc != json.Number("111070004") {
		t.Errorf("returnCode %v", rc)
	}
	if err := readClose(t, ws); closeCode(err) != websocket.ClosePolicyViolation {
		t.Errorf("close: %v", err)
	}
	if st := srv.Stats(); st.SubscribesFailed != 1 || st.Subscribed != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestSubscribeReturnCodeFault(t *testing.T) {
	srv, _ := newFake(t, fakemeeting.Config{})
	c := srv.Client()
	ctl := login(t, srv, c)
	srv.Faults().SubscribeReturnCode(111070121)
	ws := mustDial(t, srv, wsToken(t, srv, c, ctl))
	sendSubscribe(t, ws, "1", ctl, []string{"ParticipantsNotify"}, true)
	if rc := read(t, ws)["data"].(map[string]any)["returnCode"]; rc != json.Number("111070121") {
		t.Fatalf("returnCode %v", rc)
	}
	readClose(t, ws)
	connect(t, srv, c, []string{"ParticipantsNotify"}, -1) // one-shot
}

func TestHeartBeatEcho(t *testing.T) {
	srv, _ := newFake(t, fakemeeting.Config{})
	s := connect(t, srv, srv.Client(), []string{"ConfBasicInfoNotify"}, -1)
	for _, seq := range []string{"000000000000000001611993655770", "000000000000000001611993715770"} {
		heartBeat(t, s.ws, seq)
		r := read(t, s.ws)
		if r.action() != "HeartBeat" || r["sequence"] != seq || len(r) != 2 {
			t.Fatalf("echo %v", r)
		}
	}
	if st := srv.Stats(); st.HeartBeats != 2 {
		t.Errorf("HeartBeats %d", st.HeartBeats)
	}
}

func TestIdleClose(t *testing.T) {
	srv, fc := newFake(t, fakemeeting.Config{})
	s := connect(t, srv, srv.Client(), []string{"ConfBasicInfoNotify"}, -1)
	fc.Advance(179 * time.Second)
	heartBeat(t, s.ws, "1") // proves the socket is alive, and restarts the window
	if r := read(t, s.ws); r.action() != "HeartBeat" {
		t.Fatalf("echo %v", r)
	}
	fc.Advance(179 * time.Second)
	fc.Advance(time.Second)
	err := readClose(t, s.ws)
	if closeCode(err) != websocket.CloseNormalClosure {
		t.Errorf("idle close: %v", err)
	}
	if err := srv.WaitLive(ctxT(t), 0); err != nil {
		t.Fatal(err)
	}
	if st := srv.Stats(); st.IdleCloses != 1 {
		t.Errorf("IdleCloses %d", st.IdleCloses)
	}
}

func TestNoIdleCloseWithHeartBeats(t *testing.T) {
	srv, fc := newFake(t, fakemeeting.Config{})
	s := connect(t, srv, srv.Client(), []string{"ConfBasicInfoNotify"}, -1)
	for i := 0; i < 6; i++ { // 6 × 120 s = 12 min of fake time
		fc.Advance(120 * time.Second)
		heartBeat(t, s.ws, "hb")
		if r := read(t, s.ws); r.action() != "HeartBeat" {
			t.Fatalf("round %d: %v", i, r)
		}
	}
	if st := srv.Stats(); st.IdleCloses != 0 || st.LiveSockets != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestCustomIdleTimeout(t *testing.T) {
	srv, fc := newFake(t, fakemeeting.Config{IdleTimeout: 10 * time.Second})
	s := connect(t, srv, srv.Client(), []string{"ConfBasicInfoNotify"}, -1)
	fc.Advance(10 * time.Second)
	readClose(t, s.ws)
}

func TestTLS(t *testing.T) {
	srv, _ := newFake(t, fakemeeting.Config{TLS: true})
	if srv.CertPool() == nil {
		t.Fatal("no CertPool")
	}
	if got := srv.URL()[:8]; got != "https://" {
		t.Errorf("URL %s", srv.URL())
	}
	if got, _ := data(loginResp(t, srv, srv.Client(), srv.HostPassword(), nil))["wsURL"].(string); !strings.HasPrefix(got, "wss://") {
		t.Errorf("data.wsURL %q, want wss://", got)
	}
	plain := &http.Client{Transport: &http.Transport{}}
	defer plain.CloseIdleConnections()
	if res, err := plain.Get(tokenURL(srv, srv.ConferenceID())); err == nil {
		res.Body.Close()
		t.Fatal("client without the CA trusted the fake")
	}
	d := &websocket.Dialer{TLSClientConfig: &tls.Config{}}
	if ws, _, err := d.Dial(connURL(srv, "x"), nil); err == nil {
		ws.Close()
		t.Fatal("ws dialer without the CA trusted the fake")
	}
	trusting := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: srv.CertPool()}}}
	defer trusting.CloseIdleConnections()
	s := connect(t, srv, trusting, []string{"ConfBasicInfoNotify"}, -1)
	if s.snapshot[0].action() != "ConfBasicInfoNotify" {
		t.Error("no snapshot over wss")
	}
	connect(t, srv, srv.Client(), []string{"ConfBasicInfoNotify"}, -1)

	plainSrv, _ := newFake(t, fakemeeting.Config{})
	if plainSrv.CertPool() != nil || plainSrv.TLSConfig() != nil {
		t.Error("plain server has a cert pool")
	}
}

func TestDropAll(t *testing.T) {
	srv, _ := newFake(t, fakemeeting.Config{})
	c := srv.Client()
	a := connect(t, srv, c, []string{"ConfBasicInfoNotify"}, -1)
	b := connect(t, srv, c, []string{"ConfBasicInfoNotify"}, -1)
	srv.Faults().DropAll()
	for _, s := range []*session{a, b} {
		err := readClose(t, s.ws)
		if closeCode(err) != websocket.CloseAbnormalClosure {
			t.Errorf("want abrupt close (1006, no close frame), got %v", err)
		}
	}
	if err := srv.WaitLive(ctxT(t), 0); err != nil {
		t.Fatal(err)
	}
	if st := srv.Stats(); st.Drops != 2 {
		t.Errorf("Drops %d", st.Drops)
	}
}

func TestStall(t *testing.T) {
	srv, fc := newFake(t, fakemeeting.Config{})
	s := connect(t, srv, srv.Client(), []string{"ParticipantsNotify"}, -1)
	srv.Faults().Stall(true)
	heartBeat(t, s.ws, "stalled")
	if _, err := srv.Meeting().JoinOne(fakemeeting.Person{Name: "A"}); err != nil {
		t.Fatal(err)
	}
	_ = s.ws.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, b, err := s.ws.ReadMessage(); err == nil {
		t.Fatalf("stalled socket delivered %s", b)
	}
	// The idle timeout does not fire while stalled either.
	fc.Advance(10 * time.Minute)
	if st := srv.Stats(); st.LiveSockets != 1 || st.HeartBeats != 0 || st.IdleCloses != 0 {
		t.Fatalf("stats while stalled %+v", st)
	}
	srv.Faults().Stall(false)
	// gorilla cannot read after a timeout, so check delivery with a fresh
	// socket and the counters.
	if err := srv.WaitFor(ctxT(t), func(st fakemeeting.Stats) bool { return st.HeartBeats == 1 }); err != nil {
		t.Fatal(err)
	}
	s2 := connect(t, srv, srv.Client(), []string{"ParticipantsNotify"}, -1)
	heartBeat(t, s2.ws, "x")
	if r := read(t, s2.ws); r.action() != "HeartBeat" {
		t.Fatal(r)
	}
}

func TestStallBlocksEcho(t *testing.T) {
	srv, _ := newFake(t, fakemeeting.Config{})
	s := connect(t, srv, srv.Client(), []string{"ParticipantsNotify"}, -1)
	srv.Faults().Stall(true)
	heartBeat(t, s.ws, "a")
	got := make(chan frame, 1)
	go func() {
		_ = s.ws.SetReadDeadline(time.Now().Add(readWait))
		_, b, err := s.ws.ReadMessage()
		if err == nil {
			var f frame
			_ = json.Unmarshal(b, &f)
			got <- f
		}
		close(got)
	}()
	select {
	case f := <-got:
		t.Fatalf("echo while stalled: %v", f)
	case <-time.After(200 * time.Millisecond):
	}
	srv.Faults().Stall(false)
	if f := <-got; f.action() != "HeartBeat" || f["sequence"] != "a" {
		t.Fatalf("after unstall: %v", f)
	}
}

func TestEnd(t *testing.T) {
	srv, _ := newFake(t, fakemeeting.Config{})
	c := srv.Client()
	s := connect(t, srv, c, []string{"ConfDynamicInfoNotify", "ParticipantsNotify"}, -1)
	other := connect(t, srv, c, []string{"ParticipantsNotify"}, -1)
	if err := srv.Meeting().End(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	f := read(t, s.ws)
	if f.action() != "ConfDynamicInfoNotify" || f["state"] != "Destroyed" || f.num("msgMode") != 0 {
		t.Fatalf("end push %v", f)
	}
	for _, x := range []*session{s, other} {
		if err := readClose(t, x.ws); closeCode(err) != websocket.CloseNormalClosure {
			t.Errorf("close after end: %v", err)
		}
	}
	if err := srv.WaitLive(ctxT(t), 0); err != nil {
		t.Fatal(err)
	}
	r := loginResp(t, srv, c, srv.HostPassword(), nil)
	if r.Status != 400 || r.errorCode() != "MMC.111072006" {
		t.Errorf("token after end: %d %s", r.Status, r.Raw)
	}
	r = loginResp(t, srv, c, "", map[string]string{"X-Conference-Authorization": s.ctl})
	if r.Status != 400 || r.errorCode() != "MMC.111072006" {
		t.Errorf("keep-alive after end: %d %s", r.Status, r.Raw)
	}
	r = wsTokenResp(t, srv, c, s.ctl)
	if r.Status != 400 || r.errorCode() != "MMC.111072006" {
		t.Errorf("wsToken after end: %d %s", r.Status, r.Raw)
	}
	if err := srv.Meeting().Lock(true); err == nil {
		t.Error("script call after End succeeded")
	}
	if v := srv.Meeting().View(); v.State != "Destroyed" {
		t.Errorf("view state %s", v.State)
	}
}

func TestBinaryMalformedOversize(t *testing.T) {
	srv, _ := newFake(t, fakemeeting.Config{})
	s := connect(t, srv, srv.Client(), []string{"ParticipantsNotify"}, -1)

	if n := srv.Faults().SendMalformed(); n != 1 {
		t.Fatalf("SendMalformed queued for %d", n)
	}
	_, b, err := readRaw(t, s.ws)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if json.Unmarshal(b, &v) == nil {
		t.Errorf("malformed frame is valid JSON: %s", b)
	}

	srv.Faults().SendBinary()
	mt, b, err := readRaw(t, s.ws)
	if err != nil || mt != websocket.BinaryMessage || decodeFrame(t, b).action() != "ConfBasicInfoNotify" {
		t.Errorf("binary: %d %s %v", mt, b, err)
	}

	srv.Faults().SendOversize(200_000)
	_, b, err = readRaw(t, s.ws)
	if err != nil || len(b) != 200_000 || !json.Valid(b) {
		t.Errorf("oversize: %d bytes, %v", len(b), err)
	}
	// A client with a read limit gets an error.
	s.ws.SetReadLimit(100_000)
	srv.Faults().SendOversize(150_000)
	if _, _, err := readRaw(t, s.ws); err == nil {
		t.Error("read limit not hit")
	}
}

func TestClientFramesIgnored(t *testing.T) {
	srv, _ := newFake(t, fakemeeting.Config{})
	s := connect(t, srv, srv.Client(), []string{"ParticipantsNotify"}, -1)
	_ = s.ws.WriteMessage(websocket.TextMessage, []byte("{not json"))
	_ = s.ws.WriteMessage(websocket.BinaryMessage, []byte(`{"action":"HeartBeat","sequence":"bin"}`))
	sendJSON(t, s.ws, map[string]any{"action": "Unsubscribe", "sequence": "u"})
	heartBeat(t, s.ws, "after")
	if r := read(t, s.ws); r["sequence"] != "after" {
		t.Fatalf("got %v", r)
	}
}

func TestClientFrameLimit(t *testing.T) {
	srv, _ := newFake(t, fakemeeting.Config{MaxFrameSize: 1024})
	s := connect(t, srv, srv.Client(), []string{"ParticipantsNotify"}, -1)
	big := make([]byte, 4096)
	for i := range big {
		big[i] = 'a'
	}
	_ = s.ws.WriteMessage(websocket.TextMessage, big)
	if code := closeCode(readClose(t, s.ws)); code != websocket.CloseMessageTooBig {
		t.Errorf("close code %d, want 1009", code)
	}
}

func TestQueueOverflowDropsSocket(t *testing.T) {
	srv, _ := newFake(t, fakemeeting.Config{SendQueue: 16})
	connect(t, srv, srv.Client(), []string{"ParticipantsNotify"}, -1)
	srv.Faults().Stall(true)
	pid, _ := srv.Meeting().JoinOne(fakemeeting.Person{})
	for i := 0; i < 20; i++ {
		_ = srv.Meeting().RaiseHand(pid, i%2 == 0)
	}
	srv.Faults().Stall(false)
	if err := srv.WaitLive(ctxT(t), 0); err != nil {
		t.Fatal(err)
	}
	if st := srv.Stats(); st.QueueOverflows != 1 {
		t.Errorf("QueueOverflows %d", st.QueueOverflows)
	}
}

func TestActionsOrderAndNames(t *testing.T) {
	if !slices.Equal(fakemeeting.NotifyTypes, []string{
		"ConfBasicInfoNotify", "ConfDynamicInfoNotify", "ParticipantsNotify", "AttendeesNotify",
		"SpeakerChangeNotify", "InviteResultNotify", "WaitingListNotify", "NetConditionNotify",
		"RealTimeSubtitleNotify", "InterpreterGroupNotify",
	}) {
		t.Errorf("NotifyTypes %v", fakemeeting.NotifyTypes)
	}
}
