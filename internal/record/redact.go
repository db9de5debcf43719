package record

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
)

// redacted replaces a join link wherever a payload is printed.
const redacted = "REDACTED"

// ScrubLinks returns the JSON b with every join link replaced by REDACTED:
// guestJoinUri (a guest link with its key) and any other URL that carries
// credentials — user info, a query, a fragment (the vendor's links keep
// the meeting key after #), or a field named for joining. JSON without
// "://" is returned as it is, so the common push costs one scan.
func ScrubLinks(b []byte) []byte {
	if !bytes.Contains(b, []byte("://")) {
		return b
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return b
	}
	if !scrubValue("", &v) {
		return b
	}
	out, err := json.Marshal(v)
	if err != nil {
		return b
	}
	return out
}

// scrubValue redacts the links in *v, found under key, and reports
// whether it changed anything.
func scrubValue(key string, v *any) bool {
	switch x := (*v).(type) {
	case string:
		if isJoinLink(key, x) {
			*v = redacted
			return true
		}
	case map[string]any:
		changed := false
		for k, e := range x {
			if scrubValue(k, &e) {
				x[k], changed = e, true
			}
		}
		return changed
	case []any:
		changed := false
		for i := range x {
			changed = scrubValue(key, &x[i]) || changed
		}
		return changed
	}
	return false
}

// isJoinLink reports text holding a URL that may let its holder in: any
// URL under a key about joining or inviting, or one with user info, a
// query or a fragment. A URL that does not parse is taken to be one.
func isJoinLink(key, s string) bool {
	if !strings.Contains(s, "://") {
		return false
	}
	if k := strings.ToLower(key); strings.Contains(k, "join") || strings.Contains(k, "invite") {
		return true
	}
	for _, f := range strings.Fields(s) {
		if !strings.Contains(f, "://") {
			continue
		}
		u, err := url.Parse(f)
		if err != nil || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return true
		}
	}
	return false
}
