package main_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/confwatch/confwatch/integration/fakemeeting"
)

const controlTokenCanary = "cnryCtlTok"

func controlFake(t *testing.T) *fakemeeting.Server {
	t.Helper()
	return newFake(t, fakemeeting.Config{TokenCanary: controlTokenCanary, Participants: []fakemeeting.Person{
		{PID: "pid-li-wei", Name: "Li Wei", Role: fakemeeting.RoleHost},
		{PID: "pid-zhang-min", Name: "Zhang Min", Hand: true},
		{PID: "pid-zhang-min-2", Name: "zhang min", Hand: true},
		{PID: "pid-chen-jie", Name: "Chen Jie"},
	}})
}

// runControl runs confwatch control against f with the canary password
// and returns the process after it exited with code want.
func runControl(t *testing.T, f *fakemeeting.Server, want int, args ...string) *proc {
	t.Helper()
	args = append([]string{"control", args[0], "--conference", f.ConferenceID(), "--api", f.URL()}, args[1:]...)
	p := start(t, []string{"CONFWATCH_HOST_PASSWORD=" + canaryPassword}, args...)
	if code := p.exit(t); code != want {
		t.Fatalf("confwatch %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, p.stdout.String(), p.stderr.String())
	}
	noControlSecrets(t, p)
	return p
}

func noControlSecrets(t *testing.T, p *proc) {
	t.Helper()
	noSecrets(t, p)
	if strings.Contains(p.stdout.String()+p.stderr.String(), controlTokenCanary) {
		t.Fatalf("a control token leaked:\n%s\n%s", p.stdout.String(), p.stderr.String())
	}
}

func TestControlActsByName(t *testing.T) {
	f := controlFake(t)
	p := runControl(t, f, 0, "lower-hand", "--name", "Chen Jie", "--log-level", "debug")
	if !strings.Contains(p.stdout.String(), "lowered the hands of pid-chen-jie") {
		t.Errorf("stdout %q", p.stdout.String())
	}
	reqs := f.Control().Requests()
	if len(reqs) != 2 || reqs[0].Op != "ShowRealTimeInfoOfMeeting" || reqs[1].Op != "Hand" || reqs[1].Query.Get("participantID") != "pid-chen-jie" {
		t.Errorf("requests %+v", reqs)
	}
	runControl(t, f, 0, "lock")
	runControl(t, f, 0, "mute", "--participant", "pid-chen-jie")
	runControl(t, f, 0, "rename", "--participant", "pid-chen-jie", "--to", "Chen Jie (presenting)")
	runControl(t, f, 0, "lower-hand", "--all")
	v := f.Meeting().View()
	if !v.Locked || v.Participants["pid-chen-jie"]["MUTE"] != "1" || v.Participants["pid-chen-jie"]["NAME"] != "Chen Jie (presenting)" ||
		v.Participants["pid-zhang-min"]["HAND"] != "0" || v.Participants["pid-zhang-min-2"]["HAND"] != "0" {
		t.Errorf("the meeting is not as told: %+v", v)
	}
	p = runControl(t, f, 0, "info")
	var info struct {
		Participants []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"participants"`
		Host string `json:"host"`
	}
	if err := json.Unmarshal([]byte(p.stdout.String()), &info); err != nil || len(info.Participants) != 4 || info.Host != "pid-li-wei" {
		t.Errorf("info %q: %v", p.stdout.String(), err)
	}
}

func TestControlRefusesAmbiguousAndUnknownNames(t *testing.T) {
	f := controlFake(t)
	p := runControl(t, f, 2, "mute", "--name", "ZHANG MIN")
	for _, want := range []string{"ambiguous", "--participant pid-zhang-min)", "--participant pid-zhang-min-2)"} {
		if !strings.Contains(p.stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, p.stderr.String())
		}
	}
	p = runControl(t, f, 2, "mute", "--name", "Chen")
	if !strings.Contains(p.stderr.String(), `did you mean "Chen Jie" (--participant pid-chen-jie)?`) {
		t.Errorf("stderr:\n%s", p.stderr.String())
	}
	runControl(t, f, 2, "mute", "--name", "Nobody")
	for _, q := range f.Control().Requests() {
		if q.Op != "ShowRealTimeInfoOfMeeting" {
			t.Errorf("an unresolved name still acted: %+v", q)
		}
	}
}

func TestControlDryRunPrintsTheRequestWithoutSecrets(t *testing.T) {
	f := controlFake(t)
	p := runControl(t, f, 0, "mute-all", "--allow-unmute=false", "--dry-run", "--log-level", "debug", "--log-format", "text")
	out := p.stdout.String()
	for _, want := range []string{
		"PUT " + f.URL() + "/v1/mmc/control/conferences/mute?conferenceID=" + f.ConferenceID(),
		"X-Conference-Authorization: REDACTED",
		`{"allowUnmuteByOneself":0,"isMute":1}`,
		"dry run: nothing was sent",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out)
		}
	}
	p = runControl(t, f, 0, "lower-hand", "--name", "Chen Jie", "--dry-run", "--log-level", "debug", "--log-format", "json")
	if !strings.Contains(p.stdout.String(), "/participants/hands?conferenceID="+f.ConferenceID()+"&participantID=pid-chen-jie") {
		t.Errorf("dry run output:\n%s", p.stdout.String())
	}
	for _, q := range f.Control().Requests() {
		if q.Op != "ShowRealTimeInfoOfMeeting" {
			t.Errorf("a dry run sent %+v", q)
		}
	}
	if v := f.Meeting().View(); v.Participants["pid-chen-jie"]["MUTE"] != "0" {
		t.Error("a dry run muted")
	}
}

func TestControlExitCodes(t *testing.T) {
	f := controlFake(t)
	tests := []struct {
		name  string
		setup func()
		args  []string
		want  int
		says  string
	}{
		{"unknown action", nil, []string{"mutee"}, 2, "unknown action"},
		{"missing participant", nil, []string{"mute"}, 2, "needs --participant PID or --name NAME"},
		{"two participants for one", nil, []string{"set-host", "--participant", "a,b"}, 2, "one participant"},
		{"admit by name", nil, []string{"admit", "--name", "Guest"}, 2, "WaitingListNotify"},
		{"extend without --by", nil, []string{"extend"}, 2, "--by"},
		{"password flag", nil, []string{"lock", "--password", canaryPassword}, 2, "shell history"},
		{"unknown participant", nil, []string{"mute", "--participant", "pid-nobody"}, 1, "PARTICIPANT_NOT_EXIST"},
		{"permission denied", func() { f.Control().SetCaller(fakemeeting.CallerGuest) }, []string{"lock"}, 4, "permission denied"},
		{"permission denied 403", func() { f.Control().SetDenyStatus(http.StatusForbidden) }, []string{"end"}, 4, "http 403"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup()
			}
			p := runControl(t, f, tt.want, tt.args...)
			if !strings.Contains(p.stderr.String(), tt.says) {
				t.Errorf("stderr lacks %q:\n%s", tt.says, p.stderr.String())
			}
		})
	}
	t.Run("credentials rejected", func(t *testing.T) {
		g := newFake(t, fakemeeting.Config{HostPassword: "another-password"})
		p := start(t, []string{"CONFWATCH_HOST_PASSWORD=" + canaryPassword}, "control", "lock", "--conference", g.ConferenceID(), "--api", g.URL())
		if code := p.exit(t); code != 3 {
			t.Fatalf("exit %d, want 3\n%s", code, p.stderr.String())
		}
		noSecrets(t, p)
	})
}

func TestControlWithAControlTokenFile(t *testing.T) {
	f := controlFake(t)
	res, err := f.Client().Do(mustRequest(t, f.URL()+fakemeeting.PathToken+"?conferenceID="+f.ConferenceID(), canaryPassword))
	if err != nil {
		t.Fatal(err)
	}
	var login struct {
		Data struct {
			Token string `json:"token"`
		} `json:"data"`
	}
	err = json.NewDecoder(res.Body).Decode(&login)
	res.Body.Close()
	if err != nil || !strings.Contains(login.Data.Token, controlTokenCanary) {
		t.Fatalf("login: %v %q", err, login.Data.Token)
	}
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte(login.Data.Token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := start(t, nil, "control", "record-start", "--conference", f.ConferenceID(), "--api", f.URL(),
		"--control-token-file", file, "--log-level", "debug", "--log-format", "json")
	if code := p.exit(t); code != 0 {
		t.Fatalf("exit %d\n%s", code, p.stderr.String())
	}
	noControlSecrets(t, p)
	if !f.Meeting().View().Recording {
		t.Error("not recording")
	}
}

func mustRequest(t *testing.T, url, password string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Login-Type", "1")
	req.Header.Set("X-Password", password)
	return req
}
