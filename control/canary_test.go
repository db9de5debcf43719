package control_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/control"
	"github.com/confwatch/confwatch/integration/fakemeeting"
	"github.com/confwatch/confwatch/token"
)

// TestSecretsNeverLeak drives the paths that log, fail or return values —
// success, dry run, re-login, refusals, throttling, an ended meeting, and
// a server that echoes the control token and the password into every
// answer — and searches everything produced for the canaries, raw, URL
// escaped and base64 encoded.
func TestSecretsNeverLeak(t *testing.T) {
	var errs []error
	var values []any
	keep := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	var dry []control.Request

	// Against the fake, whose every token carries the canary.
	r := newRig(t, roster(), nil)
	ctx := testCtx(t)
	info, err := r.ctl.RealTimeInfo(ctx)
	keep(err)
	values = append(values, info, *info)
	keep(r.ctl.Lock(ctx, true))
	keep(r.ctl.Rename(ctx, "pid-chen-jie", "C. J."))
	k := r.fake.Control()
	k.Refuse("MuteParticipant", 1, fakemeeting.Refusal{Status: 401, Code: fakemeeting.CodeAuthFailed})
	keep(r.ctl.Mute(ctx, "pid-chen-jie", true)) // re-login, then success
	k.Refuse("MuteParticipant", 2, fakemeeting.Refusal{Status: 401, Code: fakemeeting.CodeAuthFailed})
	keep(r.ctl.Mute(ctx, "pid-chen-jie", true))
	k.Refuse("", 1, fakemeeting.Refusal{Status: 403, Code: "MMC.111070002"})
	keep(r.ctl.Record(ctx, true))
	k.Refuse("", 1, fakemeeting.Refusal{Status: 429, Code: fakemeeting.CodeFlowControl, RetryAfter: time.Hour})
	keep(r.ctl.Record(ctx, true))
	dryCtl, _ := control.New(control.Config{Tokens: r.tokens, DryRun: func(q control.Request) { dry = append(dry, q) }, Logger: debugLogger(r.logs)})
	keep(dryCtl.SetHost(ctx, "pid-chen-jie"))
	keep(dryCtl.Invite(ctx, control.Invitee{Name: "Wang Fang", Phone: "+99111000009"}))
	keep(r.ctl.End(ctx))
	keep(r.ctl.End(ctx))

	// Against a server that quotes every secret it gets.
	echo := func(r *http.Request) string {
		tok := r.Header.Get("X-Conference-Authorization")
		return tok + " " + canaryPassword + " " + base64.StdEncoding.EncodeToString([]byte(tok))
	}
	answers := []func(w http.ResponseWriter, r *http.Request){
		func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Request-Id", "rid "+echo(r))
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `{"error_code":"MMC.111070002","error_msg":%q}`, "not host: "+echo(r))
		},
		func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprintf(w, "<html><title>%s</title></html>", echo(r))
		},
		func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, "<html><body>%s</body></html>", echo(r)) },
		func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `{"returnCode":%q,"returnDesc":%q}`, echo(r), echo(r))
		},
		func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, `{"participants":[{"pid":%q}`, echo(r)) },
	}
	var logs []*syncBuffer
	for _, a := range answers {
		ctl, _, l := newCanned(t, a)
		logs = append(logs, l)
		keep(ctl.End(ctx))
		// A read is retried after a 5xx on a clock nobody advances: the
		// short context ends that wait.
		short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		_, err := ctl.RealTimeInfo(short)
		cancel()
		keep(err)
		values = append(values, ctl)
	}

	if len(errs) < 13 {
		t.Fatalf("only %d errors; the test lost coverage: %v", len(errs), errs)
	}
	if !errors.Is(errors.Join(errs...), token.ErrCredentialsRejected) || len(dry) != 2 {
		t.Fatal("the scenario did not run as planned")
	}
	for _, e := range errs {
		values = append(values, e, e.Error())
		var api *token.APIError
		if errors.As(e, &api) {
			values = append(values, *api)
		}
	}
	for _, q := range dry {
		values = append(values, q, q.String())
	}
	values = append(values, r.ctl, control.Config{Tokens: r.tokens})

	var out strings.Builder
	for _, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			fmt.Fprintf(&out, verb+"\n", v)
		}
		if b, err := json.Marshal(v); err == nil {
			out.Write(b)
		}
	}
	out.WriteString(r.logs.String())
	for _, l := range logs {
		out.WriteString(l.String())
	}
	text := out.String()
	for _, secret := range []string{canaryPassword, tokenCanary} {
		for _, n := range []string{secret, url.QueryEscape(secret), base64.StdEncoding.EncodeToString([]byte(secret))[:8]} {
			if i := strings.Index(text, n); i >= 0 {
				t.Errorf("%q leaks: …%s…", n, text[max(0, i-120):min(len(text), i+60)])
			}
		}
	}
	for _, want := range []string{"REDACTED", `"level":"DEBUG"`, "level=DEBUG", "control: action", "logging in again"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q; the test lost coverage", want)
		}
	}
}
