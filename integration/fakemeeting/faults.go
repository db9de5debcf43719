package fakemeeting

import (
	"strings"
	"time"
)

// Refusal describes how an injected HTTP refusal answers.
type Refusal struct {
	// Status is the HTTP status, e.g. 401, 429, 500.
	Status int
	// Code is the error_code, sent as given (e.g. "MMC.111070004",
	// "100000429").
	Code string
	// Msg is the error_msg; "" = a name derived from Code.
	Msg string
	// RetryAfter, when positive, adds a Retry-After header (whole seconds,
	// rounded up).
	RetryAfter time.Duration
}

// faultState is what the armed faults have left to do. Guarded by
// Server.mu.
type faultState struct {
	loginN    int
	login     Refusal
	wsTokN    int
	wsTok     Refusal
	refuseUpg int
	// refuseUpgStatus 0 = accept then close.
	refuseUpgStatus int
	subCode         *int
	skip            map[string]bool
	dup             map[string]bool
	reorder         map[string]bool
	held            map[string][]byte
}

func newFaults() faultState {
	return faultState{
		skip: map[string]bool{}, dup: map[string]bool{}, reorder: map[string]bool{}, held: map[string][]byte{},
	}
}

func (f *faultState) takeLogin() (Refusal, bool) {
	if f.loginN <= 0 {
		return Refusal{}, false
	}
	f.loginN--
	return f.login, true
}

func (f *faultState) takeWSToken() (Refusal, bool) {
	if f.wsTokN <= 0 {
		return Refusal{}, false
	}
	f.wsTokN--
	return f.wsTok, true
}

// norm fills a zero Status (500) and Code ("MMC.111070001").
func (r Refusal) norm() Refusal {
	if r.Status < 100 || r.Status > 999 {
		r.Status = 500
	}
	if r.Code == "" {
		r.Code = CodeBadRequest
	}
	return r
}

// Faults injects the failures a client must survive: refused calls,
// dropped and stalled sockets, gaps, duplicates, reordering and garbage on
// the wire. Get it from Server.Faults. Each knob takes effect for the
// calls, upgrades or pushes that follow it; it is safe for concurrent use.
type Faults struct{ s *Server }

// RefuseWSToken makes the next n wsToken requests fail as r says, e.g.
// Refusal{Status: 401, Code: CodeAuthFailed}, or rate limiting with
// Refusal{Status: 429, Code: CodeFlowControl, RetryAfter: 3 * time.Second}.
// n <= 0 cancels a pending refusal. A zero Status means 500, an empty Code
// "MMC.111070001".
func (f *Faults) RefuseWSToken(n int, r Refusal) {
	s := f.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.f.wsTokN, s.f.wsTok = n, r.norm()
}

// RefuseLogin makes the next n token (login or keep-alive) requests fail
// as r says, as RefuseWSToken does.
func (f *Faults) RefuseLogin(n int, r Refusal) {
	s := f.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.f.loginN, s.f.login = n, r.norm()
}

// RefuseUpgrades makes the next n WebSocket upgrades that present a valid
// token fail anyway (the token is still consumed). status > 0 answers with
// that HTTP status; status 0 accepts the upgrade and then closes it (1008).
func (f *Faults) RefuseUpgrades(n, status int) {
	s := f.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.f.refuseUpg, s.f.refuseUpgStatus = n, status
}

// SubscribeReturnCode makes the next Subscribe answer with returnCode
// code; a non-zero code then closes the socket. The control token is not
// checked for that Subscribe.
func (f *Faults) SubscribeReturnCode(code int) {
	s := f.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.f.subCode = &code
}

// One-shot push faults (SkipVersion, DuplicateNext, ReorderNext) apply to
// the next push of that type that reaches at least one subscribed socket.

// SkipVersion makes the next delta of action skip one version number
// (a gap: v = last+2). Full-state types (ConfBasicInfoNotify,
// ConfDynamicInfoNotify, SpeakerChangeNotify) carry ms versions, so it
// has no visible effect on them.
func (f *Faults) SkipVersion(action string) {
	s := f.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.f.skip[action] = true
}

// DuplicateNext sends the next push of action twice (same bytes, same
// msgID and version).
func (f *Faults) DuplicateNext(action string) {
	s := f.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.f.dup[action] = true
}

// ReorderNext holds back the next push of action and sends it right after
// the one that follows it, so the two arrive swapped. A held push is lost
// if no further push of that type comes.
func (f *Faults) ReorderNext(action string) {
	s := f.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.f.reorder[action] = true
}

// SetDelay delays every token and wsToken response by d, in real time
// (so that a client's http.Client timeout, which is real time, can be
// tested). 0 removes the delay.
func (f *Faults) SetDelay(d time.Duration) {
	s := f.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// DropAll closes the TCP connection of every live socket abruptly, with no
// close frame.
func (f *Faults) DropAll() {
	s := f.s
	s.mu.Lock()
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.kill()
	}
	s.st.Drops.Add(int64(len(conns)))
}

// Stall(true) stops reading and writing on every live socket (and on
// sockets opened meanwhile) while keeping TCP open: HeartBeats are not
// echoed, pushes queue up (a queue that overflows drops its socket), and
// the idle timeout does not fire. Stall(false) resumes and restarts every
// socket's idle window.
func (f *Faults) Stall(on bool) {
	s := f.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if on {
		if s.unstall == nil {
			s.unstall = make(chan struct{})
		}
		return
	}
	if s.unstall == nil {
		return
	}
	close(s.unstall)
	s.unstall = nil
	now := s.clk.Now()
	for c := range s.conns {
		c.last.Store(now.UnixNano())
		c.idle.Reset(s.cfg.IdleTimeout)
	}
}

func (s *Server) toSubscribed(f *outFrame) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for c := range s.conns {
		if c.subscribed && s.enqueue(c, f) {
			n++
		}
	}
	return n
}

// SendMalformed sends a truncated, invalid JSON text frame to every
// subscribed socket. It returns how many sockets it was queued for.
func (f *Faults) SendMalformed() int {
	s := f.s
	s.mu.Lock()
	now := s.clk.Now()
	b := []byte(`{"action":"ParticipantsNotify","version":` + itoa(now.UnixMilli()) + `,"msgMode":1,"confID":"` +
		s.cfg.ConferenceID + `","data":[{"pid":"x`)
	s.mu.Unlock()
	return s.toSubscribed(&outFrame{kind: kindText, data: b})
}

// SendOversize sends a valid JSON text frame of exactly size bytes (at
// least the bare envelope) with an undocumented action
// ("CustomMultiPicNotify") to every subscribed socket, for testing a
// client's read limit.
func (f *Faults) SendOversize(size int) int {
	s := f.s
	s.mu.Lock()
	now := s.clk.Now()
	prefix := `{"action":"CustomMultiPicNotify","version":` + itoa(now.UnixMilli()) + `,"createTime":` +
		itoa(now.UnixMilli()) + `,"msgID":"` + s.nextMsgID() + `","msgMode":0,"confID":"` + s.cfg.ConferenceID + `","data":"`
	s.mu.Unlock()
	suffix := `"}`
	pad := size - len(prefix) - len(suffix)
	if pad < 0 {
		pad = 0
	}
	b := []byte(prefix + strings.Repeat("x", pad) + suffix)
	return s.toSubscribed(&outFrame{kind: kindText, data: b})
}

// SendBinary sends a binary frame (holding an otherwise valid
// ConfBasicInfoNotify) to every subscribed socket. The vendor sends only
// text frames.
func (f *Faults) SendBinary() int {
	s := f.s
	s.mu.Lock()
	b, _ := s.snapshotLocked(ConfBasicInfoNotify, s.clk.Now())
	s.mu.Unlock()
	return s.toSubscribed(&outFrame{kind: kindBinary, data: b})
}
