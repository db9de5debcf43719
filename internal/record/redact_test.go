package record

import (
	"strings"
	"testing"
)

func TestScrubLinks(t *testing.T) {
	cases := []struct {
		name, in string
		gone     []string // must not survive
		kept     []string // must survive
	}{
		{"guest join link", `{"guestJoinUri":"https://meeting.huaweicloud.com/#/j/986112045/Zx81kQ","title":"sync"}`,
			[]string{"Zx81kQ"}, []string{`"guestJoinUri":"REDACTED"`, `"title":"sync"`}},
		{"link with a query, nested", `{"data":[{"pinfoMap":{"X_URL":"https://x.example/join?pwd=283950"}}]}`,
			[]string{"283950"}, []string{`"X_URL":"REDACTED"`}},
		{"user info", `{"a":"see ftp://bob:secret@files.example/f"}`, []string{"secret"}, nil},
		{"invite key", `{"inviteLink":"https://x.example/i/abc"}`, []string{"/i/abc"}, []string{"REDACTED"}},
		{"a plain URL stays", `{"logo":"https://x.example/logo.png","n":12345678901234567890}`,
			nil, []string{"https://x.example/logo.png", "12345678901234567890"}},
		{"no URL: untouched", `{"b":2,"a":1}`, nil, []string{`{"b":2,"a":1}`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := string(ScrubLinks([]byte(tc.in)))
			for _, g := range tc.gone {
				if strings.Contains(out, g) {
					t.Errorf("%q survived: %s", g, out)
				}
			}
			for _, k := range tc.kept {
				if !strings.Contains(out, k) {
					t.Errorf("%q lost: %s", k, out)
				}
			}
		})
	}
}
