package connector_test

import (
	"context"
	"fmt"
	"github.com/confwatch/confwatch/secret"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/token"
)

// racyTokens is a TokenSource for a bare test server: one control token,
// a new ws token per call.
type racyTokens struct {
	wsURL string
	n     atomic.Int64
}

func (r *racyTokens) Control(context.Context) (*token.Control, error) {
	now := time.Now()
	return &token.Control{Token: secret.New("ctl"), WSURL: r.wsURL, ExpiresAt: now.Add(time.Hour), Lifetime: time.Hour, ObtainedAt: now}, nil
}

func (r *racyTokens) WSToken(context.Context) (*token.WS, error) {
	return &token.WS{Token: secret.New(fmt.Sprint("ws-", r.n.Add(1))), ObtainedAt: time.Now()}, nil
}

func (r *racyTokens) Invalidate(*token.Control) {}

// TestSubscribeTimeoutMeetingTheReplyIsRaceFree makes the Subscribe reply
// and the Subscribe timeout meet, again and again: the server answers
// after a random delay around SubscribeTimeout and then closes the socket
// at once. Whenever the reader accepts the reply just as the supervisor's
// timeout fires, the supervisor keeps the link; nothing the reader uses to
// announce it may be written by the supervisor meanwhile. Run with -race:
// it reported the data race on the supervisor's loop variables (blindFrom,
// resyncing) that the reader's announcement closure read.
func TestSubscribeTimeoutMeetingTheReplyIsRaceFree(t *testing.T) {
	const timeout = time.Millisecond
	var subscribes atomic.Int64
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		if _, _, err := c.ReadMessage(); err != nil {
			return
		}
		subscribes.Add(1)
		time.Sleep(time.Duration(rand.Int64N(int64(2 * timeout))))
		c.WriteMessage(websocket.TextMessage, []byte(`{"action":"Subscribe","sequence":"1","data":{"returnCode":0,"returnDesc":"ok"}}`))
		// Close right after, so that a kept link ends and the next
		// attempt comes quickly.
		c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	}))
	defer srv.Close()

	rec := &recorder{}
	sess, err := connector.New(connector.Config{
		ConferenceID:     "986112045",
		AllowPlainText:   true,
		Tokens:           &racyTokens{wsURL: "ws" + strings.TrimPrefix(srv.URL, "http")},
		Types:            []string{"ConfBasicInfoNotify"},
		SubscribeTimeout: timeout,
		Backoff:          connector.Backoff{Initial: 100 * time.Microsecond, Max: 200 * time.Microsecond},
		HealthyAfter:     time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- sess.Run(ctx, rec) }()
	// Enough meetings of reply and timeout that both outcomes happen.
	for subscribes.Load() < 300 && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != context.Canceled && err != context.DeadlineExceeded {
		t.Fatalf("Run: %v", err)
	}
	if n := rec.count(isSubscribed) + rec.count(isResubscribed); n == 0 {
		t.Fatalf("no link was ever kept in %d subscribes; the test did not exercise the acceptance path", subscribes.Load())
	}
}
