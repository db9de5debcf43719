package fakemeeting_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log"
	"net/http"

	"github.com/gorilla/websocket"

	"github.com/confwatch/confwatch/integration/fakemeeting"
)

// Example walks the documented chain by hand: log in with the host
// password, get a one-shot webSocketToken, dial data.wsURL, subscribe, and
// print the snapshot burst, then one scripted delta.
func Example() {
	srv, err := fakemeeting.New(fakemeeting.Config{
		Participants: []fakemeeting.Person{{Name: "Li Wei", Role: fakemeeting.RoleHost}},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	hc := srv.Client()

	get := func(path string, hdr map[string]string, v any) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL()+path+"?conferenceID="+srv.ConferenceID(), nil)
		for k, val := range hdr {
			req.Header.Set(k, val)
		}
		res, err := hc.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		defer res.Body.Close()
		if err := json.NewDecoder(res.Body).Decode(v); err != nil {
			log.Fatal(err)
		}
	}

	// (1) control token
	var login struct {
		Data struct {
			Token string `json:"token"`
			WsURL string `json:"wsURL"`
		} `json:"data"`
	}
	get(fakemeeting.PathToken, map[string]string{"X-Login-Type": "1", "X-Password": srv.HostPassword()}, &login)

	// (2) one-shot WebSocket token
	var wst struct {
		WebSocketToken string `json:"webSocketToken"`
	}
	get(fakemeeting.PathWSToken, map[string]string{"X-Conference-Authorization": login.Data.Token}, &wst)

	// (3) dial
	url := login.Data.WsURL + fakemeeting.PathWS + "?confID=" + srv.ConferenceID() + "&tmpToken=" + wst.WebSocketToken
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer ws.Close()

	// (4) subscribe; data is a JSON-encoded string, as the vendor sends it
	types := []string{"ConfBasicInfoNotify", "ConfDynamicInfoNotify", "ParticipantsNotify",
		"AttendeesNotify", "SpeakerChangeNotify", "InviteResultNotify"}
	sub, _ := json.Marshal(map[string]any{
		"conferenceID":  srv.ConferenceID(),
		"subscribeType": types,
		"confToken":     "Basic " + base64.StdEncoding.EncodeToString([]byte(login.Data.Token)),
	})
	if err := ws.WriteJSON(map[string]any{"action": "Subscribe", "sequence": "000000000000000001736153012345", "data": string(sub)}); err != nil {
		log.Fatal(err)
	}

	// (5) the reply, the snapshot burst (msgMode 0), then deltas (msgMode 1)
	var reply struct {
		Action string `json:"action"`
		Data   struct {
			ReturnCode int `json:"returnCode"`
		} `json:"data"`
	}
	if err := ws.ReadJSON(&reply); err != nil {
		log.Fatal(err)
	}
	fmt.Println(reply.Action, "returnCode", reply.Data.ReturnCode)
	type push struct {
		Action  string `json:"action"`
		MsgMode int    `json:"msgMode"`
	}
	for range types {
		var f push
		if err := ws.ReadJSON(&f); err != nil {
			log.Fatal(err)
		}
		fmt.Println(f.Action, f.MsgMode)
	}
	if _, err := srv.Meeting().JoinOne(fakemeeting.Person{Name: "Zhang Min"}); err != nil {
		log.Fatal(err)
	}
	var f push
	if err := ws.ReadJSON(&f); err != nil {
		log.Fatal(err)
	}
	fmt.Println(f.Action, f.MsgMode)

	// Output:
	// Subscribe returnCode 0
	// ConfBasicInfoNotify 0
	// ConfDynamicInfoNotify 0
	// ParticipantsNotify 0
	// AttendeesNotify 0
	// SpeakerChangeNotify 0
	// InviteResultNotify 0
	// ParticipantsNotify 1
}

// ExampleMeeting_End ends the meeting under a subscribed socket: End
// returns once the socket was sent the Destroyed push and a normal close,
// so the Close deferred above loses nothing. Stats then shows the
// meeting's sockets: none live, at most one at a time.
func ExampleMeeting_End() {
	srv, err := fakemeeting.New(fakemeeting.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	ws := subscribed(srv, fakemeeting.ConfDynamicInfoNotify)
	defer ws.Close()

	// A client reads until the socket closes; got is buffered so that it
	// keeps reading (and answers the close) while End waits.
	got := make(chan string, 8)
	go func() {
		defer close(got)
		for {
			var f struct{ Action, State string }
			if err := ws.ReadJSON(&f); err != nil {
				got <- fmt.Sprint("normal close: ", websocket.IsCloseError(err, websocket.CloseNormalClosure))
				return
			}
			got <- f.Action + " " + f.State
		}
	}()
	if err := srv.Meeting().End(context.Background()); err != nil {
		log.Fatal(err)
	}
	for line := range got {
		fmt.Println(line)
	}
	n := srv.Stats().Sockets[srv.ConferenceID()]
	fmt.Printf("sockets: %d live, at most %d at once\n", n.Live, n.Peak)

	// Output:
	// ConfDynamicInfoNotify Destroyed
	// normal close: true
	// sockets: 0 live, at most 1 at once
}

// subscribed logs in, dials and subscribes to types, and reads the reply
// and the snapshot burst, as Example does step by step.
func subscribed(srv *fakemeeting.Server, types ...string) *websocket.Conn {
	hc := srv.Client()
	get := func(path string, hdr http.Header, v any) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL()+path+"?conferenceID="+srv.ConferenceID(), nil)
		req.Header = hdr
		res, err := hc.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		defer res.Body.Close()
		if err := json.NewDecoder(res.Body).Decode(v); err != nil {
			log.Fatal(err)
		}
	}
	var login struct {
		Data struct{ Token, WsURL string } `json:"data"`
	}
	get(fakemeeting.PathToken, http.Header{"X-Login-Type": {"1"}, "X-Password": {srv.HostPassword()}}, &login)
	var wst struct{ WebSocketToken string }
	get(fakemeeting.PathWSToken, http.Header{"X-Conference-Authorization": {login.Data.Token}}, &wst)
	ws, _, err := websocket.DefaultDialer.Dial(login.Data.WsURL+fakemeeting.PathWS+
		"?confID="+srv.ConferenceID()+"&tmpToken="+wst.WebSocketToken, nil)
	if err != nil {
		log.Fatal(err)
	}
	sub, _ := json.Marshal(map[string]any{"subscribeType": types, "confToken": login.Data.Token})
	if err := ws.WriteJSON(map[string]any{"action": "Subscribe", "sequence": "1", "data": string(sub)}); err != nil {
		log.Fatal(err)
	}
	for range 1 + len(types) { // the reply, then one snapshot per type
		if _, _, err := ws.ReadMessage(); err != nil {
			log.Fatal(err)
		}
	}
	return ws
}
