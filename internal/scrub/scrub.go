// Package scrub makes server text safe to store, log and return: it
// removes every secret a component has held (in the forms a server might
// echo it: raw, URL-escaped, base64, "Basic " + base64), strips control
// characters and caps the length. A hostile or buggy server may quote the
// host password, a control token or an earlier ws token in any error
// text, header or close reason; Set remembers them all, boundedly.
package scrub

import (
	"encoding/base64"
	"net/url"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Redacted replaces a secret.
const Redacted = "REDACTED"

// MaxText is the longest server text kept, in bytes; longer text is cut
// and ends with "…".
const MaxText = 256

// keep bounds how many secrets a Set remembers: the password, the control
// tokens of a few renewals and the latest ws tokens. The oldest go first;
// a secret old enough to be forgotten is long invalid.
const keep = 32

// Set is a bounded memory of secrets. The zero value is empty and ready;
// it is safe for concurrent use.
type Set struct {
	mu    sync.Mutex
	items []string // every form of every secret, newest last
	pin   []string // forms never forgotten (the password)
}

// Add remembers secret (ignored when shorter than 4 bytes: replacing
// "a" everywhere would garble text without protecting anything).
func (s *Set) Add(secret string) { s.add(secret, false) }

// Pin remembers secret for the Set's whole life (for the password).
func (s *Set) Pin(secret string) { s.add(secret, true) }

func (s *Set) add(secret string, pin bool) {
	if len(secret) < 4 {
		return
	}
	forms := Forms(secret)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range forms {
		if contains(s.pin, f) || contains(s.items, f) {
			continue
		}
		if pin {
			s.pin = append(s.pin, f)
			continue
		}
		s.items = append(s.items, f)
	}
	if over := len(s.items) - keep*len(forms); over > 0 {
		s.items = append(s.items[:0], s.items[over:]...)
	}
}

// Forms are the spellings of secret a server may echo.
func Forms(secret string) []string {
	b64 := base64.StdEncoding.EncodeToString([]byte(secret))
	forms := []string{secret, b64, strings.TrimRight(b64, "=")}
	if q := url.QueryEscape(secret); q != secret {
		forms = append(forms, q)
	}
	if p := url.PathEscape(secret); p != secret {
		forms = append(forms, p)
	}
	return forms
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Secrets removes every remembered secret from text, longest form first
// so that a form containing another is replaced whole.
func (s *Set) Secrets(text string) string {
	if s == nil {
		return text
	}
	s.mu.Lock()
	forms := append(append([]string(nil), s.pin...), s.items...)
	s.mu.Unlock()
	return Remove(text, forms...)
}

// Remove replaces each of secrets (every form, see Forms) in text.
func Remove(text string, secrets ...string) string {
	var all []string
	for _, sec := range secrets {
		if sec != "" {
			all = append(all, sec)
		}
	}
	// Longest first.
	for i := 1; i < len(all); i++ {
		for j := i; j > 0 && len(all[j]) > len(all[j-1]); j-- {
			all[j], all[j-1] = all[j-1], all[j]
		}
	}
	for _, sec := range all {
		if strings.Contains(text, sec) {
			text = strings.ReplaceAll(text, sec, Redacted)
		}
	}
	return text
}

// Text makes server text safe: secrets removed (before cutting, so that
// no partial secret survives at the cut), control characters turned into
// spaces, invalid UTF-8 replaced, and the result cut to MaxText bytes.
func (s *Set) Text(text string) string {
	// Bound the work before scrubbing: a 1 MiB returnDesc is cut to a
	// window that still holds any secret overlapping the kept part.
	if len(text) > 4*MaxText {
		text = text[:4*MaxText]
	}
	return Printable(s.Secrets(text), MaxText)
}

// Printable turns control characters (C0, DEL, C1, and the bidi and
// zero-width formatting runes a terminal can be tricked with) into spaces,
// replaces invalid UTF-8 and cuts the result to at most max bytes on a
// rune boundary, marking a cut with "…".
func Printable(text string, max int) string {
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(text, "\uFFFD") {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			r = ' '
		}
		if b.Len()+utf8.RuneLen(r) > max {
			cut := b.String()
			for len(cut) > 0 && len(cut)+len("…") > max {
				_, size := utf8.DecodeLastRuneInString(cut)
				cut = cut[:len(cut)-size]
			}
			return cut + "…"
		}
		b.WriteRune(r)
	}
	return b.String()
}
