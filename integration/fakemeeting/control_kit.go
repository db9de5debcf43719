package fakemeeting

import (
	"fmt"
	"net/url"
	"time"
)

// Caller is what the fake lets a control token do (REST reference §3).
type Caller int

const (
	// CallerHost may call every action. The default: CreateConfToken
	// takes the host password.
	CallerHost Caller = iota
	// CallerCohost may call every action except SetRole, SetCohost and
	// StopMeeting, and none that targets the host (MMC.111072110).
	CallerCohost
	// CallerGuest may only read ShowRealTimeInfoOfMeeting; every other
	// action is refused with MMC.111072070.
	CallerGuest
)

// ControlRequest is one request the control endpoints received, as a test
// asserts it. The control token is not kept; Authorized says whether one
// was presented.
type ControlRequest struct {
	// Op is the SDK operation name (e.g. "MuteParticipant"), or "" for a
	// path the fake does not serve.
	Op          string
	Method      string
	Path        string
	Query       url.Values
	ContentType string
	Authorized  bool
	// Body is the request body as received.
	Body []byte
	// Status and Code are what the fake answered (Code "" on success).
	Status int
	Code   string
	At     time.Time
}

// Control is the test kit of the fake's meeting-control endpoints: what
// they received, and per-action faults. Get it with Server.Control. Its
// methods are safe for concurrent use.
//
// Actions are named by their SDK operation: ShowRealTimeInfoOfMeeting,
// InviteParticipant, HangUp, SetRole, MuteParticipant, MuteMeeting, Hand,
// BatchHand, LockMeeting, ProlongMeeting, StopMeeting, Record,
// RenameParticipant, SetCohost, AllowWaitingParticipant,
// MoveToWaitingRoom, BatchMoveToWaitingRoom. "" names every action.
type Control struct{ s *Server }

// Control returns the kit of the control endpoints.
func (s *Server) Control() *Control { return &Control{s: s} }

// maxControlRequests bounds the request log of a long-running fake
// (confwatch demo --serve); the oldest entries go first.
const maxControlRequests = 4096

// controlState is the control endpoints' part of the Server, guarded by
// Server.mu.
type controlState struct {
	caller     Caller
	denyStatus int
	refuse     map[string]*pendingRefusal
	delay      map[string]time.Duration
	reqs       []ControlRequest
	autoExtend bool
}

type pendingRefusal struct {
	n int
	r Refusal
}

// Requests returns the requests received so far, oldest first.
func (c *Control) Requests() []ControlRequest {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	out := make([]ControlRequest, len(c.s.ctrl.reqs))
	copy(out, c.s.ctrl.reqs)
	return out
}

// Refuse makes the next n calls of op ("" = any action) answer r instead
// of acting (after the method check, before authentication). n <= 0
// cancels a pending refusal. A zero Status means 500, an empty Code
// "MMC.111070001". Unknown op names panic: it is a test's mistake.
func (c *Control) Refuse(op string, n int, r Refusal) {
	mustOp(op)
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if n <= 0 {
		delete(c.s.ctrl.refuse, op)
		return
	}
	c.s.ctrl.refuse[op] = &pendingRefusal{n: n, r: r.norm()}
}

// Delay holds every answer of op ("" = any action) for d of real time
// before acting, or until the client gives up. 0 removes the delay.
func (c *Control) Delay(op string, d time.Duration) {
	mustOp(op)
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if d <= 0 {
		delete(c.s.ctrl.delay, op)
		return
	}
	c.s.ctrl.delay[op] = d
}

// SetCaller says what every control token may do. Default CallerHost.
func (c *Control) SetCaller(k Caller) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	c.s.ctrl.caller = k
}

// SetDenyStatus sets the HTTP status of a refusal by role: 400 (the
// default, as the newer vendor pages list only 200/400) or 403.
func (c *Control) SetDenyStatus(status int) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	c.s.ctrl.denyStatus = status
}

// AutoExtend reports whether ProlongMeeting switched automatic extension
// on (auto 1), which changes nothing visible on the push channel.
func (c *Control) AutoExtend() bool {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	return c.s.ctrl.autoExtend
}

func mustOp(op string) {
	if op == "" {
		return
	}
	for _, r := range controlRoutes {
		if r.op == op {
			return
		}
	}
	panic(fmt.Sprintf("fakemeeting: unknown control operation %q", op))
}
