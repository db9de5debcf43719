package token_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/confwatch/confwatch/secret"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/clock"
	"github.com/confwatch/confwatch/token"
)

// TestSecretsNeverLeak drives every path that logs, fails or returns a
// value, with a server that echoes the secrets it receives, and searches
// all output for the canary prefix every password and token carries.
func TestSecretsNeverLeak(t *testing.T) {
	var logs syncBuffer
	opts := &slog.HandlerOptions{Level: slog.LevelDebug}
	logger := slog.New(slog.NewMultiHandler(slog.NewJSONHandler(&logs, opts), slog.NewTextHandler(&logs, opts)))

	fc := clock.NewFake(t0)
	api := newFakeAPI(fc)
	cfg := token.Config{Clock: fc, Logger: logger}
	c, _ := newServer(t, api, cfg)
	pc := token.ProviderConfig{ConferenceID: testConf, Password: secret.New(testPassword)}
	p, err := token.NewProvider(c, pc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	var errs []error
	var values []any
	keep := func(v any, err error) {
		values = append(values, v)
		switch x := v.(type) { // the structs themselves, not only pointers
		case *token.Control:
			if x != nil {
				values = append(values, *x)
			}
		case *token.WS:
			if x != nil {
				values = append(values, *x)
			}
		}
		if err != nil {
			errs = append(errs, err)
		}
	}

	// Happy path: login, two ws tokens, a keep-alive.
	keep(p.Control(ctx))
	keep(p.WSToken(ctx))
	keep(p.WSToken(ctx))

	// Echoing failures: a refused keep-alive that falls back to a login,
	// a refused ws token, a failed login; each answer quotes the secrets.
	echo := func(w http.ResponseWriter, r *http.Request) bool {
		quoted := r.Header.Get("X-Password") + " " + r.Header.Get("X-Conference-Authorization")
		w.Header().Set("X-Request-Id", "rid "+quoted)
		writeErr(w, http.StatusUnauthorized, "MMC.111070004", "bad credentials: "+quoted)
		return true
	}
	api.set(func(f *fakeAPI) { f.onKeepAlive = echo })
	fc.Advance(25 * time.Minute)
	keep(p.Control(ctx)) // past the refresh time: the keep-alive, refused, then a login
	eventually(t, "the keep-alive and the fallback login", func() bool { l, k, _ := api.counts(); return k == 1 && l == 2 })
	api.set(func(f *fakeAPI) { f.onWSToken = echo })
	keep(p.WSToken(ctx))
	api.set(func(f *fakeAPI) { f.onLogin = echo; f.onWSToken = nil })
	keep(p.Control(ctx))
	keep(c.Login(ctx, testConf, secret.New(testPassword)))
	keep(c.KeepAlive(ctx, testConf, secret.New("CANARYTOK-x"), secret.New(testPassword)))
	keep(c.WSToken(ctx, testConf, secret.New("CANARYTOK-y")))
	keep(c.Login(ctx, testConf, secret.New("CANARY\nPW")))

	// A caller-given token without password, rejected.
	given, err := token.NewProvider(c, token.ProviderConfig{ConferenceID: testConf, ControlToken: secret.New("CANARYTOK-given")})
	if err != nil {
		t.Fatal(err)
	}
	keep(given.Control(ctx))

	if len(errs) < 7 {
		t.Fatalf("only %d errors were produced; the test lost coverage", len(errs))
	}
	values = append(values, cfg, pc, p, given, secret.New(testPassword),
		&token.APIError{Op: "login", Status: 400, Code: "MMC.111072065", Message: "m"})
	for _, e := range errs {
		values = append(values, e)
		var api *token.APIError
		if errors.As(e, &api) {
			values = append(values, *api)
		}
	}

	auditValues(t, logger, values, errs)
	out := logs.String()
	if strings.Contains(out, "CANARY") {
		t.Errorf("secret in logs: %s", out)
	}
	for _, want := range []string{"REDACTED", `"request_id":`, "keep-alive refused; logging in again", "level=DEBUG"} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %q; the test lost coverage", want)
		}
	}
}

// auditValues renders every value in every fmt verb, as JSON and through
// the logger, and fails on any canary in what it renders or in errs.
func auditValues(t *testing.T, logger *slog.Logger, values []any, errs []error) {
	t.Helper()
	check := func(where, s string) {
		t.Helper()
		if strings.Contains(s, "CANARY") {
			t.Errorf("secret in %s: %s", where, s)
		}
	}
	for i, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			check(fmt.Sprintf("value %d (%T) formatted %s", i, v, verb), fmt.Sprintf(verb, v))
		}
		if b, err := json.Marshal(v); err == nil {
			check(fmt.Sprintf("value %d (%T) as JSON", i, v), string(b))
		}
		logger.Info("value", "v", v)
	}
	for _, e := range errs {
		check("error", e.Error())
	}
}
