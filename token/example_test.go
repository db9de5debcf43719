package token_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"

	"github.com/confwatch/confwatch/secret"
	"github.com/confwatch/confwatch/token"
)

// meetingAPI stands in for the vendor's API: it mints a control token for
// the right password and a fresh WebSocket token per call.
func meetingAPI() http.Handler {
	mux := http.NewServeMux()
	var n atomic.Int32
	mux.HandleFunc("GET /v1/mmc/control/conferences/token", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Password") != "604117" {
			w.Header().Set("X-Request-Id", "req-bad-pw")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error_code":"MMC.111072065","error_msg":"CONF_NOT_FOUND_OR_AUTH_FAILED"}`)
			return
		}
		fmt.Fprint(w, `{"data":{"token":"stb4e1c9a07","wsURL":"wss://100.94.23.40:443","role":1,"confTokenExpireTime":1800,"supportNotifyType":["ConfBasicInfoNotify","ParticipantsNotify"]}}`)
	})
	mux.HandleFunc("GET /v1/mmc/control/conferences/wsToken", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"webSocketToken":"cnr%04d"}`, n.Add(1))
	})
	return mux
}

func ExampleProvider() {
	srv := httptest.NewServer(meetingAPI())
	defer srv.Close()
	client, err := token.New(token.Config{BaseURL: srv.URL})
	if err != nil {
		panic(err)
	}
	defer client.CloseIdleConnections()

	p, err := token.NewProvider(client, token.ProviderConfig{
		ConferenceID: "986112045",
		Password:     secret.New("604117"),
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	ctl, err := p.Control(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println("dial:", ctl.WSURL, "role:", ctl.Role, "lifetime:", ctl.Lifetime)
	fmt.Println("keep alive after:", ctl.RefreshAt().Sub(ctl.ObtainedAt))
	fmt.Println("control token:", ctl.Token) // a Secret prints redacted

	a, _ := p.WSToken(ctx)
	b, _ := p.WSToken(ctx)
	fmt.Println("fresh ws token per dial:", a.Token.Reveal() != b.Token.Reveal())
	// Output:
	// dial: wss://100.94.23.40:443 role: 1 lifetime: 30m0s
	// keep alive after: 25m0s
	// control token: REDACTED
	// fresh ws token per dial: true
}

func ExampleAPIError() {
	srv := httptest.NewServer(meetingAPI())
	defer srv.Close()
	client, _ := token.New(token.Config{BaseURL: srv.URL})
	defer client.CloseIdleConnections()

	_, err := client.Login(context.Background(), "986112045", secret.New("wrong"))
	fmt.Println(err)
	fmt.Println("check the password:", errors.Is(err, token.ErrUnauthorized))
	var api *token.APIError
	if errors.As(err, &api) {
		fmt.Println("support ticket:", api.RequestID)
	}
	// Output:
	// token: login: http 400 MMC.111072065 (CONF_NOT_FOUND_OR_AUTH_FAILED), request id req-bad-pw
	// check the password: true
	// support ticket: req-bad-pw
}
