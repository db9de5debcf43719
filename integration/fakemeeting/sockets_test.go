package fakemeeting_test

import (
	"net/http"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/confwatch/confwatch/integration/fakemeeting"
)

// TestSocketCount checks the per-meeting live count and its high-water
// mark, which a fleet test reads to prove one socket per meeting.
func TestSocketCount(t *testing.T) {
	tests := []struct {
		name     string
		cfg      fakemeeting.Config
		run      func(t *testing.T, srv *fakemeeting.Server, dial func() *websocket.Conn)
		wantLive int64
		wantPeak int64
	}{
		{
			name: "one after the other",
			run: func(t *testing.T, srv *fakemeeting.Server, dial func() *websocket.Conn) {
				a := dial()
				a.Close()
				waitLive(t, srv, 0)
				dial()
			},
			wantLive: 1, wantPeak: 1,
		},
		{
			name: "two at once, then none",
			run: func(t *testing.T, srv *fakemeeting.Server, dial func() *websocket.Conn) {
				a, b := dial(), dial()
				a.Close()
				b.Close()
				waitLive(t, srv, 0)
			},
			wantLive: 0, wantPeak: 2,
		},
		{
			// DropAll returns with the old socket already uncounted, so a
			// client redialing at once is not counted twice.
			name: "redial right after DropAll",
			run: func(t *testing.T, srv *fakemeeting.Server, dial func() *websocket.Conn) {
				dial()
				c := srv.Client()
				tmp := wsToken(t, srv, c, login(t, srv, c)) // ready before the drop
				srv.Faults().DropAll()
				mustDial(t, srv, tmp)
				waitLive(t, srv, 1)
			},
			wantLive: 1, wantPeak: 1,
		},
		{
			name: "refused upgrades never count",
			cfg:  fakemeeting.Config{RejectMode: fakemeeting.RejectClose},
			run: func(t *testing.T, srv *fakemeeting.Server, _ func() *websocket.Conn) {
				c := srv.Client()
				srv.Faults().RefuseUpgrades(1, http.StatusServiceUnavailable)
				if _, _, err := dial(t, srv, wsToken(t, srv, c, login(t, srv, c))); err == nil {
					t.Fatal("refused upgrade succeeded")
				}
				ws := mustDial(t, srv, "cnr-unknown") // accepted, then closed 1008
				if err := readClose(t, ws); closeCode(err) != websocket.ClosePolicyViolation {
					t.Fatalf("unknown token: %v", err)
				}
			},
			wantLive: 0, wantPeak: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := newFake(t, tt.cfg)
			c := srv.Client()
			ctl := login(t, srv, c)
			// dial returns once the server counts the new socket: the
			// client sees the upgrade before the server registers it.
			dial := func() *websocket.Conn {
				n := srv.Stats().LiveSockets
				ws := mustDial(t, srv, wsToken(t, srv, c, ctl))
				waitLive(t, srv, n+1)
				return ws
			}
			tt.run(t, srv, dial)
			st := srv.Stats()
			got, ok := st.Sockets[srv.ConferenceID()]
			if !ok || len(st.Sockets) != 1 {
				t.Fatalf("Sockets %v: want one entry for %s", st.Sockets, srv.ConferenceID())
			}
			if got.Live != tt.wantLive || got.Peak != tt.wantPeak {
				t.Errorf("Sockets[%s] = %+v, want Live %d Peak %d", srv.ConferenceID(), got, tt.wantLive, tt.wantPeak)
			}
			if got.Live != st.LiveSockets {
				t.Errorf("Live %d != LiveSockets %d", got.Live, st.LiveSockets)
			}
		})
	}
}

func waitLive(t *testing.T, srv *fakemeeting.Server, n int64) {
	t.Helper()
	if err := srv.WaitLive(ctxT(t), int(n)); err != nil {
		t.Fatalf("waiting for %d live sockets: %v (stats %+v)", n, err, srv.Stats())
	}
}
