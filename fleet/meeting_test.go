package fleet_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/confwatch/confwatch/fleet"
)

func TestParseMeetings(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string // substrings of the error; nil = valid
		n    int
	}{
		{"valid", `{"meetings": [
  {"conference": "986112045", "passwordFile": "/pw"},
  {"conference": "986112046", "passwordEnv": "PW", "types": ["ParticipantsNotify"]},
  {"conference": "1", "controlTokenFile": "/tok"}
]}`, nil, 3},
		{"empty list", `{"meetings": []}`, nil, 0},
		{"unknown key in an entry", `{"meetings": [
  {"conference": "986112045", "passwordFile": "/pw"},
  {"conference": "986112046", "pasword": "x"}
]}`, []string{"m.json:3: entry 2", `unknown field "pasword"`}, 0},
		{"bad ID", `{"meetings": [
  {"conference": "98-61", "passwordFile": "/pw"}]}`, []string{"m.json:2: entry 1", "conference", "digits"}, 0},
		{"two references", `{"meetings": [{"conference": "1", "passwordFile": "/pw", "passwordEnv": "X"}]}`, []string{"m.json:1: entry 1", "exactly one"}, 0},
		{"no reference", `{"meetings": [{"conference": "1"}]}`, []string{"exactly one"}, 0},
		{"unknown type", `{"meetings": [{"conference": "1", "passwordEnv": "X", "types": ["Nope"]}]}`, []string{`unknown push type "Nope"`}, 0},
		{"repeated ID", "{\"meetings\": [\n{\"conference\": \"1\", \"passwordEnv\": \"X\"},\n{\"conference\": \"1\", \"passwordEnv\": \"Y\"}]}", []string{"m.json:3: entry 2", "already at m.json:2"}, 0},
		{"unknown top key", "{\n \"meeting\": []}", []string{"m.json:2", `unknown key "meeting"`}, 0},
		{"not an object", `[]`, []string{"m.json:1", "object"}, 0},
		{"syntax", "{\"meetings\": [\n{\"conference\": }]}", []string{"m.json:2"}, 0},
		{"trailing", `{"meetings": []} {}`, []string{"trailing"}, 0},
		{"no meetings", `{}`, []string{`no "meetings"`}, 0},
		{"all problems at once", "{\"meetings\": [\n{\"conference\": \"x\"},\n{\"conference\": \"2\", \"bad\": 1}]}", []string{"m.json:2: entry 1", "m.json:3: entry 2"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := fleet.ParseMeetings("m.json", strings.NewReader(tt.in))
			if tt.want == nil {
				if err != nil || len(ms) != tt.n {
					t.Fatalf("got %d meetings, err %v; want %d", len(ms), err, tt.n)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want one with %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestCheckCredential(t *testing.T) {
	dir := t.TempDir()
	good, empty := filepath.Join(dir, "pw"), filepath.Join(dir, "empty")
	os.WriteFile(good, []byte("secret-pw\n"), 0o600)
	os.WriteFile(empty, nil, 0o600)
	env := func(k string) string {
		if k == "SET" {
			return "v"
		}
		return ""
	}
	for _, tt := range []struct {
		m  fleet.Meeting
		ok bool
	}{
		{fleet.Meeting{Conference: "1", PasswordFile: good}, true},
		{fleet.Meeting{Conference: "1", ControlTokenFile: good}, true},
		{fleet.Meeting{Conference: "1", PasswordEnv: "SET"}, true},
		{fleet.Meeting{Conference: "1", PasswordEnv: "UNSET"}, false},
		{fleet.Meeting{Conference: "1", PasswordFile: empty}, false},
		{fleet.Meeting{Conference: "1", PasswordFile: filepath.Join(dir, "missing")}, false},
	} {
		err := tt.m.CheckCredential(env)
		if (err == nil) != tt.ok {
			t.Errorf("%+v: err %v, want ok=%v", tt.m, err, tt.ok)
		}
		if err != nil && strings.Contains(err.Error(), "secret-pw") {
			t.Errorf("error quotes the secret: %v", err)
		}
	}
}
