package secrets_test

import (
	"context"
	"github.com/confwatch/confwatch/secret"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/confwatch/confwatch/control"
	"github.com/confwatch/confwatch/integration/fakemeeting"
	"github.com/confwatch/confwatch/token"
)

func controlRoster() fakemeeting.Config {
	return fakemeeting.Config{Participants: []fakemeeting.Person{
		{PID: "pid-li-wei", Name: "Li Wei", Role: fakemeeting.RoleHost},
		{PID: "pid-zhang-min", Name: "Zhang Min", Hand: true},
	}}
}

// TestControlCLILeaksNothing runs `confwatch control` at debug level in
// both log formats: an action by name, a refused token that forces a
// fresh login, a second refusal (credentials rejected), a permission
// refusal, a dry run, and a control-token file.
func TestControlCLILeaksNothing(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			a := newAudit(t, canaryPassword, canaryGuest, tokenCanary)
			fake := newFake(t, controlRoster())
			env := []string{"CONFWATCH_HOST_PASSWORD=" + canaryPassword}
			run := func(want int, args ...string) {
				t.Helper()
				args = append([]string{"control", args[0], "--conference", fake.ConferenceID(), "--api", fake.URL(),
					"--log-level", "debug", "--log-format", format}, args[1:]...)
				if code := startCLI(t, a, "", env, args...).exit(t); code != want {
					t.Errorf("confwatch %s: exit %d, want %d", strings.Join(args, " "), code, want)
				}
			}
			k := fake.Control()
			run(0, "lower-hand", "--name", "Zhang Min")
			k.Refuse("LockMeeting", 1, fakemeeting.Refusal{Status: 401, Code: fakemeeting.CodeAuthFailed})
			run(0, "lock")
			k.Refuse("Record", 2, fakemeeting.Refusal{Status: 401, Code: fakemeeting.CodeAuthFailed})
			run(3, "record-start")
			k.Refuse("", 1, fakemeeting.Refusal{Status: 403, Code: "MMC.111070002"})
			run(4, "end")
			run(0, "set-host", "--name", "Zhang Min", "--dry-run")
			run(0, "info")

			tc, err := token.New(token.Config{BaseURL: fake.URL()})
			if err != nil {
				t.Fatal(err)
			}
			defer tc.CloseIdleConnections()
			ctl, err := tc.Login(context.Background(), fake.ConferenceID(), secret.New(canaryPassword))
			if err != nil {
				t.Fatal(err)
			}
			f := filepath.Join(t.TempDir(), "ctl")
			if err := os.WriteFile(f, []byte(ctl.Token.Reveal()+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			c := startCLI(t, a, "", nil, "control", "unlock", "--conference", fake.ConferenceID(), "--api", fake.URL(),
				"--control-token-file", f, "--log-level", "debug", "--log-format", format)
			if code := c.exit(t); code != 0 {
				t.Errorf("unlock with a control-token file: exit %d", code)
			}
			if out := a.text("control stdout"); !strings.Contains(out, "X-Conference-Authorization: REDACTED") {
				t.Errorf("the dry run printed no request: the scenario did not run\n%s", out)
			}
			a.check()
		})
	}
}

// TestControlLibraryLeaksNothing logs a control client at debug level
// through the same refusals and renders everything it returns.
func TestControlLibraryLeaksNothing(t *testing.T) {
	a := newAudit(t, canaryPassword, canaryGuest, tokenCanary)
	fake := newFake(t, controlRoster())
	log := a.logger("control")
	tc, err := token.New(token.Config{BaseURL: fake.URL(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.CloseIdleConnections()
	prov, err := token.NewProvider(tc, token.ProviderConfig{ConferenceID: fake.ConferenceID(), Password: secret.New(canaryPassword)})
	if err != nil {
		t.Fatal(err)
	}
	var dry []control.Request
	c, err := control.New(control.Config{Tokens: prov, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	dc, _ := control.New(control.Config{Tokens: prov, Logger: log, DryRun: func(r control.Request) { dry = append(dry, r) }})
	ctx := context.Background()
	k := fake.Control()
	info, err := c.RealTimeInfo(ctx)
	a.add("values", info, err)
	k.Refuse("MuteParticipant", 1, fakemeeting.Refusal{Status: 401, Code: fakemeeting.CodeAuthFailed})
	a.add("values", c.Mute(ctx, "pid-zhang-min", true))
	k.Refuse("MuteParticipant", 2, fakemeeting.Refusal{Status: 401, Code: fakemeeting.CodeAuthFailed})
	a.add("errors", c.Mute(ctx, "pid-zhang-min", true))
	k.SetCaller(fakemeeting.CallerGuest)
	a.add("errors", c.Lock(ctx, true))
	a.add("values", dc.Invite(ctx, control.Invitee{Name: "Wang Fang", Phone: "+99111000009"}))
	k.SetCaller(fakemeeting.CallerHost)
	a.add("errors", c.End(ctx), c.End(ctx))
	for _, r := range dry {
		a.add("values", r, r.String())
	}
	a.add("values", c, dc, prov)
	if len(dry) != 1 || !strings.Contains(a.text("errors"), "credentials rejected") {
		t.Fatal("the scenario did not run")
	}
	a.check()
}
