package fakemeeting_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/confwatch/confwatch/integration/fakemeeting"
)

// ending is what one client read from End on.
type ending struct {
	destroyed bool // saw ConfDynamicInfoNotify state "Destroyed"
	err       error
}

// readToEnd reads ws until an error, noting the end-of-meeting push.
func readToEnd(ws *websocket.Conn) ending {
	var e ending
	_ = ws.SetReadDeadline(time.Now().Add(readWait))
	for {
		_, b, err := ws.ReadMessage()
		if err != nil {
			e.err = err
			return e
		}
		var f struct{ Action, State string }
		if json.Unmarshal(b, &f) == nil && f.Action == fakemeeting.ConfDynamicInfoNotify && f.State == fakemeeting.StateDestroyed {
			e.destroyed = true
		}
	}
}

// TestEndThenClose checks that End then Close loses nothing: every live
// socket gets the end push and a normal close (1000), never 1006. A
// second `confwatch state` attached to the demo used to see 1006.
func TestEndThenClose(t *testing.T) {
	tests := []struct {
		name string
		ctx  func(t *testing.T) context.Context
		// wantErr: End gave up waiting (the ending still completes).
		wantErr error
	}{
		{name: "End waits", ctx: func(t *testing.T) context.Context { return ctxT(t) }},
		{
			// Close, not End, then lets the sockets finish.
			name: "End's ctx already done",
			ctx: func(*testing.T) context.Context {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx
			},
			wantErr: context.Canceled,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := newFake(t, fakemeeting.Config{})
			c := srv.Client()
			types := []string{fakemeeting.ConfDynamicInfoNotify, fakemeeting.ParticipantsNotify}
			sessions := []*session{connect(t, srv, c, types, -1), connect(t, srv, c, types, -1)}
			results := make(chan ending, len(sessions))
			for _, s := range sessions {
				go func(ws *websocket.Conn) { results <- readToEnd(ws) }(s.ws)
			}

			err := srv.Meeting().End(tt.ctx(t))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("End: %v, want %v", err, tt.wantErr)
			}
			if st := srv.Stats(); tt.wantErr == nil && st.LiveSockets != 0 {
				t.Errorf("End returned with %d sockets still open", st.LiveSockets)
			}
			srv.Close()

			for range sessions {
				e := <-results
				if !e.destroyed {
					t.Error("a client missed the end-of-meeting push")
				}
				if code := closeCode(e.err); code != websocket.CloseNormalClosure {
					t.Errorf("a client saw %v (code %d), want a normal close", e.err, code)
				}
			}
		})
	}
}
