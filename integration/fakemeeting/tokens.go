package fakemeeting

// The two token endpoints: login / keep-alive of the control token, and
// the single-use webSocketToken.

import (
	crand "crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// wsToken is a webSocketToken the fake handed out.
type wsToken struct {
	expires time.Time
	used    bool
}

// mintToken returns a fresh token with the given 3-letter prefix: the
// documented shape (prefix + 48 hex chars) by default, or, when
// Config.TokenCanary is set, prefix + canary + 48 hex chars.
//
// The canary exists for leak audits: a test that makes every control
// token, ws token, tmpWsToken and addressToken carry one recognisable
// substring can search every log line, error and output stream for it,
// without having to learn each random token first. Only letters, digits,
// '-' and '_' of the canary are kept, so that a token stays safe in a
// header and a URL query whatever the test passes.
func (s *Server) mintToken(prefix string) string {
	tok := newToken(prefix)
	canary := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return -1
	}, s.cfg.TokenCanary)
	if canary == "" {
		return tok
	}
	return prefix + canary + tok[len(prefix):]
}

func newRequestID() string {
	var b [16]byte
	_, _ = crand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// newToken returns a 51-char token: 3 lowercase letters + 48 hex chars.
func newToken(prefix string) string {
	var b [24]byte
	_, _ = crand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	if msg == "" {
		msg = errorMsgs[code]
	}
	if msg == "" {
		msg = "ERROR"
	}
	writeJSON(w, status, wireError{ErrorCode: code, ErrorMsg: msg})
}

// parseAuth accepts a raw token or "Basic " + base64(token).
func parseAuth(v string) string {
	v = strings.TrimSpace(v)
	if rest, ok := strings.CutPrefix(v, "Basic "); ok {
		rest = strings.TrimSpace(rest)
		if b, err := base64.StdEncoding.DecodeString(rest); err == nil {
			return string(b)
		}
		if b, err := base64.RawStdEncoding.DecodeString(rest); err == nil {
			return string(b)
		}
		return rest
	}
	return v
}

// sleepDelay applies SetDelay. It uses real time, so that a client's
// http.Client timeout (which runs on real time) can be tested.
func (s *Server) sleepDelay(r *http.Request) bool {
	s.mu.Lock()
	d := s.delay
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

func (s *Server) liveControlLocked(tok string, now time.Time) bool {
	exp, ok := s.ctl[tok]
	return ok && now.Before(exp)
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if !s.sleepDelay(r) {
		return
	}
	if r.Method != http.MethodGet {
		writeError(w, http.StatusMethodNotAllowed, CodeBadRequest, "METHOD_NOT_ALLOWED")
		return
	}
	q := r.URL.Query()
	confID := q.Get("conferenceID")
	auth := parseAuth(r.Header.Get("X-Conference-Authorization"))
	pwd, hasPwd := r.Header.Get("X-Password"), r.Header.Get("X-Password") != ""
	now := s.clk.Now()

	s.mu.Lock()
	if rf, ok := s.f.takeLogin(); ok {
		s.mu.Unlock()
		s.writeRefusal(w, rf)
		return
	}
	switch {
	case confID == "":
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, CodeBadRequest, "conferenceID is required")
		return
	case r.Header.Get("X-Login-Type") != "1":
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, CodeBadRequest, "X-Login-Type must be 1")
		return
	}
	keepAlive := auth != "" && confID == s.cfg.ConferenceID && s.liveControlLocked(auth, now)
	if !keepAlive {
		if confID != s.cfg.ConferenceID || !hasPwd || pwd != s.cfg.HostPassword {
			s.mu.Unlock()
			if auth != "" && !hasPwd {
				writeError(w, http.StatusBadRequest, CodeAuthFailed, "")
				return
			}
			writeError(w, http.StatusBadRequest, CodeNotFoundOrPwd, "")
			return
		}
	}
	switch s.m.state {
	case StateSchedule:
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, CodeNotStarted, "")
		return
	case StateDestroyed:
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, CodeEnded, "")
		return
	}
	tok := auth
	exp := now.Add(s.cfg.ControlTokenTTL)
	if keepAlive {
		s.st.KeepAlives.Add(1)
	} else {
		tok = s.mintToken("stb")
		s.st.Logins.Add(1)
	}
	s.ctl[tok] = exp
	s.pruneLocked(now)
	s.mu.Unlock()

	s.log.Debug("fakemeeting: control token", "keepAlive", keepAlive)
	writeJSON(w, http.StatusOK, wireTokenResponse{
		Data: wireTokenData{
			Token:               tok,
			TmpWsToken:          s.mintToken("cnr"),
			WsURL:               s.wsBase,
			Role:                1,
			ExpireTime:          exp.UnixMilli(),
			UserID:              defaultOwnerID,
			OrgID:               defaultOrgID,
			ConfTokenExpireTime: int64(s.cfg.ControlTokenTTL / time.Second),
			VmrCurrentConfID:    "",
			SupportNotifyType:   NotifyTypes,
		},
		AddressToken:   s.mintToken("stb"),
		GloablPublicIP: "meeting.huaweicloud.com",
	})
}

// pruneLocked forgets long-expired tokens so the maps stay small. It scans
// at most once a minute: with thousands of sessions a scan per request was
// a quarter of the fake's CPU (BENCHMARKS.md, scale).
func (s *Server) pruneLocked(now time.Time) {
	if len(s.wsToks) < 1024 && len(s.ctl) < 1024 || now.Sub(s.pruned) < time.Minute {
		return
	}
	s.pruned = now
	for k, t := range s.wsToks {
		if now.Sub(t.expires) > 10*time.Minute {
			delete(s.wsToks, k)
		}
	}
	for k, exp := range s.ctl {
		if now.Sub(exp) > time.Hour {
			delete(s.ctl, k)
		}
	}
}

func (s *Server) handleWSToken(w http.ResponseWriter, r *http.Request) {
	s.st.WSTokenRequests.Add(1)
	if !s.sleepDelay(r) {
		return
	}
	if !slices.Contains(s.cfg.WSTokenMethods, r.Method) {
		s.st.WSTokenMethodRefused.Add(1)
		w.Header().Set("Allow", strings.Join(s.cfg.WSTokenMethods, ", "))
		writeError(w, http.StatusMethodNotAllowed, CodeBadRequest, "METHOD_NOT_ALLOWED")
		return
	}
	if r.Method == http.MethodPut {
		s.st.WSTokenPuts.Add(1)
	}
	confID := r.URL.Query().Get("conferenceID")
	raw := r.Header.Get("X-Conference-Authorization")
	auth := parseAuth(raw)
	now := s.clk.Now()

	s.mu.Lock()
	if rf, ok := s.f.takeWSToken(); ok {
		s.mu.Unlock()
		s.writeRefusal(w, rf)
		return
	}
	switch {
	case confID == "":
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, CodeBadRequest, "conferenceID is required")
		return
	case raw == "":
		s.mu.Unlock()
		writeError(w, http.StatusUnauthorized, CodeTokenEmpty, "")
		return
	case !s.liveControlLocked(auth, now):
		s.mu.Unlock()
		writeError(w, http.StatusUnauthorized, CodeAuthFailed, "")
		return
	case confID != s.cfg.ConferenceID:
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, CodeConfNotExist, "")
		return
	case s.m.state == StateDestroyed:
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, CodeEnded, "")
		return
	}
	tok := s.mintToken("cnr")
	s.wsToks[tok] = &wsToken{expires: now.Add(s.cfg.WSTokenTTL)}
	s.pruneLocked(now)
	s.mu.Unlock()
	s.st.TokensIssued.Add(1)
	writeJSON(w, http.StatusOK, map[string]string{"webSocketToken": tok})
}

func (s *Server) writeRefusal(w http.ResponseWriter, rf Refusal) {
	if rf.RetryAfter > 0 {
		secs := int((rf.RetryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	writeError(w, rf.Status, rf.Code, rf.Msg)
}
