package fakemeeting

import "strings"

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
