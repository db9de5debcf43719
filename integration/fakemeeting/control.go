package fakemeeting

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// PathControl is the prefix of every meeting-control action (REST
// reference §1); the token endpoints live under it too.
const PathControl = "/v1/mmc/control/conferences"

// Error codes of the control actions (REST reference §2.3, §5; the numbers
// are the client-SDK header's, chosen by name).
const (
	CodeNoPermission       = "MMC.111070002"
	CodeParticipantUnknown = "MMC.111072008"
	CodeSwitchOutOfRange   = "MMC.111072045"
	CodeBodyEmpty          = "MMC.111072057"
	CodeGuestNotAllowed    = "MMC.111072070"
	CodeCohostOnHost       = "MMC.111072110"
)

// controlMsgs are the error_msg texts of the control codes, the fake's
// own (REST reference §2.3: the enum name without its CMS_ prefix).
var controlMsgs = map[string]string{
	CodeNoPermission:       "NO_PERMISSION",
	CodeParticipantUnknown: "PARTICIPANT_NOT_EXIST",
	CodeSwitchOutOfRange:   "PARAM_OUT_OF_RANGE",
	CodeBodyEmpty:          "REQUEST_BODY_EMPTY",
	CodeGuestNotAllowed:    "GUEST_OPERATION_NOT_ALLOWED",
	CodeCohostOnHost:       "COHOST_CANNOT_OPERATE_HOST",
	codeHostHand:           "HOST_HAND_CANNOT_BE_SET",
	codeNameEmpty:          "NAME_EMPTY",
	codeNameTooLong:        "NAME_TOO_LONG",
	codeWrongChairPwd:      "CHAIRMAN_PWD_ERROR",
	codeNoHost:             "CONF_HAS_NO_CHAIRMAN",
	codeHostNotCohost:      "CHAIRMAN_CANNOT_BE_COHOST",
	codeAudienceNotCohost:  "AUDIENCE_CANNOT_BE_COHOST",
	codeAudienceNotHost:    "AUDIENCE_CANNOT_BE_CHAIRMAN",
}

func msgFor(code string) string {
	if m, ok := controlMsgs[code]; ok {
		return m
	}
	return errorMsgs[code]
}

// serveControl sets up the control endpoints on mux. The meeting opens
// all-muted with self-unmute allowed, as the vendor's sample shows.
func (s *Server) serveControl(mux *http.ServeMux) {
	s.ctrl = controlState{denyStatus: http.StatusBadRequest, refuse: map[string]*pendingRefusal{}, delay: map[string]time.Duration{}}
	s.m.muteAll, s.m.canUnmute = true, true
	mux.HandleFunc(PathControl+"/", s.handleControl)
}

// vendorError is a refusal in the vendor's error body.
type vendorError struct {
	status int
	code   string
	msg    string
}

func (e *vendorError) Error() string { return e.code + " " + e.msg }

func refuse(code, format string, a ...any) *vendorError {
	return &vendorError{status: http.StatusBadRequest, code: code, msg: fmt.Sprintf(format, a...)}
}

// controlCall is one decoded request on its way through the handler.
type controlCall struct {
	route *controlRoute
	query url.Values
	body  map[string]any // nil when the route takes no body
}

func (s *Server) handleControl(w http.ResponseWriter, r *http.Request) {
	raw, _ := readBody(r)
	rec := ControlRequest{
		Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), ContentType: r.Header.Get("Content-Type"),
		Authorized: r.Header.Get("X-Conference-Authorization") != "", Body: raw, At: s.clk.Now(),
	}
	a := s.control(r, raw, &rec)
	s.mu.Lock()
	rec.Status, rec.Code = a.status, a.code
	if len(s.ctrl.reqs) >= maxControlRequests {
		s.ctrl.reqs = append(s.ctrl.reqs[:0], s.ctrl.reqs[1:]...)
	}
	s.ctrl.reqs = append(s.ctrl.reqs, rec)
	s.mu.Unlock()
	if a.code == "" {
		writeJSON(w, a.status, a.reply)
		return
	}
	s.writeRefusal(w, Refusal{Status: a.status, Code: a.code, Msg: a.msg, RetryAfter: a.retryAfter})
}

// answer is what the control endpoints reply: a vendor error (code, msg)
// or, when code is "", the reply object.
type answer struct {
	status     int
	code, msg  string
	reply      any
	retryAfter time.Duration
}

// readBody reads at most 1 MiB; a larger body is refused as bad.
func readBody(r *http.Request) ([]byte, error) {
	b := new(bytes.Buffer)
	_, err := b.ReadFrom(http.MaxBytesReader(nil, r.Body, 1<<20))
	return b.Bytes(), err
}

// control judges one request.
func (s *Server) control(r *http.Request, raw []byte, rec *ControlRequest) answer {
	fail := func(e *vendorError) answer { return answer{status: e.status, code: e.code, msg: e.msg} }
	route := findRoute(strings.TrimPrefix(r.URL.Path, PathControl))
	if route == nil {
		return fail(&vendorError{http.StatusNotFound, CodeBadRequest, "NOT_FOUND"})
	}
	rec.Op = route.op
	if r.Method != route.method {
		return fail(&vendorError{http.StatusMethodNotAllowed, CodeBadRequest, "METHOD_NOT_ALLOWED"})
	}
	if rf, ok := s.takeControlRefusal(route.op); ok {
		return answer{status: rf.Status, code: rf.Code, msg: cmpMsg(rf), retryAfter: rf.RetryAfter}
	}
	if !s.controlDelay(r, route.op) {
		return fail(&vendorError{http.StatusServiceUnavailable, CodeBadRequest, "CLIENT_GONE"})
	}
	call, verr := decodeCall(route, r.URL.Query(), raw)
	var result any
	err := s.script(func(now time.Time) error {
		if e := s.authorizeLocked(r, now); e != nil {
			return e
		}
		if verr != nil {
			return verr
		}
		if e := s.permitLocked(call); e != nil {
			return e
		}
		var e error
		result, e = route.apply(s, call, now)
		return e
	})
	switch e := err.(type) {
	case nil:
		if result == nil {
			result = map[string]any{"returnCode": 0, "returnDesc": "SUCCESS"}
		}
		return answer{status: http.StatusOK, reply: result}
	case *vendorError:
		return fail(e)
	}
	if err == ErrEnded {
		return fail(refuse(CodeEnded, "CONF_ENDED"))
	}
	return fail(&vendorError{http.StatusServiceUnavailable, CodeBadRequest, "SERVER_CLOSED"})
}

func cmpMsg(r Refusal) string {
	if r.Msg != "" {
		return r.Msg
	}
	return msgFor(r.Code)
}

func (s *Server) takeControlRefusal(op string) (Refusal, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, key := range []string{op, ""} {
		if p := s.ctrl.refuse[key]; p != nil {
			p.n--
			if p.n <= 0 {
				delete(s.ctrl.refuse, key)
			}
			return p.r, true
		}
	}
	return Refusal{}, false
}

// controlDelay applies Delay in real time; false means the client left.
func (s *Server) controlDelay(r *http.Request, op string) bool {
	s.mu.Lock()
	d, ok := s.ctrl.delay[op]
	if !ok {
		d = s.ctrl.delay[""]
	}
	s.mu.Unlock()
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// authorizeLocked checks conferenceID and X-Conference-Authorization
// (REST reference §8.2).
func (s *Server) authorizeLocked(r *http.Request, now time.Time) error {
	confID := r.URL.Query().Get("conferenceID")
	raw := r.Header.Get("X-Conference-Authorization")
	switch {
	case confID == "":
		return refuse(CodeBadRequest, "conferenceID is required")
	case raw == "":
		return refuse(CodeTokenEmpty, "REQUEST_TOKEN_EMPTY")
	case !s.liveControlLocked(parseAuth(raw), now):
		return &vendorError{http.StatusUnauthorized, CodeAuthFailed, "CONF_AUTH_FAILED"}
	case confID != s.cfg.ConferenceID:
		return refuse(CodeConfNotExist, "CONF_NOT_EXIST")
	}
	return nil
}

// permitLocked applies the role table of Caller.
func (s *Server) permitLocked(c *controlCall) error {
	deny := func(code string) error {
		return &vendorError{s.ctrl.denyStatus, code, msgFor(code)}
	}
	switch s.ctrl.caller {
	case CallerGuest:
		if c.route.op != "ShowRealTimeInfoOfMeeting" {
			return deny(CodeGuestNotAllowed)
		}
	case CallerCohost:
		switch c.route.op {
		case "SetRole", "SetCohost", "StopMeeting":
			return deny(CodeNoPermission)
		}
		for _, pid := range c.targets() {
			if p, ok := s.m.parts[pid]; ok && p.info["ROLE"] == "1" {
				return deny(CodeCohostOnHost)
			}
		}
	}
	return nil
}

// targets lists the participants a call acts on.
func (c *controlCall) targets() []string {
	var out []string
	if pid := c.query.Get("participantID"); pid != "" {
		out = append(out, pid)
	}
	if pid, ok := c.body["participantID"].(string); ok && pid != "" {
		out = append(out, pid)
	}
	for _, k := range []string{"pids", "bulkHangUpParticipants", "batchParticipants"} {
		out = append(out, c.strings(k)...)
	}
	return out
}

// Accessors of a validated body: decodeCall has checked every type.

func (c *controlCall) int(k string) (int64, bool) {
	n, ok := c.body[k].(json.Number)
	if !ok {
		return 0, false
	}
	v, _ := n.Int64()
	return v, true
}

func (c *controlCall) str(k string) string {
	v, _ := c.body[k].(string)
	return v
}

func (c *controlCall) bool(k string) bool {
	v, _ := c.body[k].(bool)
	return v
}

func (c *controlCall) strings(k string) []string {
	xs, _ := c.body[k].([]any)
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		out = append(out, x.(string))
	}
	return out
}

func (c *controlCall) objects(k string) []map[string]any {
	xs, _ := c.body[k].([]any)
	out := make([]map[string]any, 0, len(xs))
	for _, x := range xs {
		out = append(out, x.(map[string]any))
	}
	return out
}
