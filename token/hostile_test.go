package token_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"github.com/confwatch/confwatch/secret"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/token"
)

// TestEchoedSecretsFromEarlierRequestsAreScrubbed: a ws-token refusal
// whose error_msg and X-Request-Id quote the host password and the ws
// token of an earlier request (which this request did not carry, so a
// per-request scrub cannot know them) keeps none of them, raw or base64.
func TestEchoedSecretsFromEarlierRequestsAreScrubbed(t *testing.T) {
	p, api, _ := newProvider(t, token.ProviderConfig{ConferenceID: testConf, Password: secret.New(testPassword)})
	ctx := testCtx(t)
	first, err := p.WSToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	earlier := first.Token.Reveal()
	api.set(func(f *fakeAPI) {
		f.onWSToken = func(w http.ResponseWriter, r *http.Request) bool {
			quoted := testPassword + " " + earlier + " " + base64.StdEncoding.EncodeToString([]byte(testPassword))
			w.Header().Set("X-Request-Id", "rid-"+earlier)
			writeErr(w, http.StatusServiceUnavailable, "MMC.111079999", "overloaded; last seen "+quoted)
			return true
		}
	})
	_, err = p.WSToken(ctx)
	if err == nil {
		t.Fatal("the refusal was not returned")
	}
	var api2 *token.APIError
	if !errors.As(err, &api2) {
		t.Fatalf("err = %v, want an *APIError", err)
	}
	for _, text := range []string{err.Error(), api2.Message, api2.RequestID, fmt.Sprintf("%+v", api2)} {
		for _, secret := range []string{testPassword, earlier, base64.StdEncoding.EncodeToString([]byte(testPassword))} {
			if strings.Contains(text, secret) {
				t.Errorf("%q survived in %q", secret, text)
			}
		}
	}
	if got := p.ScrubText("x " + earlier + " " + testPassword); strings.Contains(got, "CANARY") {
		t.Errorf("ScrubText = %q", got)
	}
}

// TestAbsurdLifetimeIsABadResponse: a control token that would lapse 10 ms
// after it was minted is refused as a bad response instead of being kept
// alive in a busy loop; a plausible one gets at least MinRefreshInterval.
func TestAbsurdLifetimeIsABadResponse(t *testing.T) {
	p, api, _ := newProvider(t, token.ProviderConfig{ConferenceID: testConf, Password: secret.New(testPassword)})
	api.set(func(f *fakeAPI) { f.lifetime = 10 * time.Millisecond })
	_, err := p.Control(testCtx(t))
	if !errors.Is(err, token.ErrBadResponse) || !strings.Contains(err.Error(), "implausibly short") {
		t.Fatalf("Control = %v, want ErrBadResponse for the 10 ms lifetime", err)
	}
	if l, _, _ := api.counts(); l != 1 {
		t.Errorf("%d logins, want 1", l)
	}

	p2, api2, _ := newProvider(t, token.ProviderConfig{ConferenceID: testConf, Password: secret.New(testPassword), RefreshFraction: 0.01})
	api2.set(func(f *fakeAPI) { f.lifetime = 2 * time.Minute })
	ctl, err := p2.Control(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if d := ctl.RefreshAt().Sub(ctl.ObtainedAt); d < token.MinRefreshInterval {
		t.Errorf("refresh %v after obtaining, want at least %v", d, token.MinRefreshInterval)
	}
}

// TestRetryAfterIsCapped: the wait a server asks for is capped.
func TestRetryAfterIsCapped(t *testing.T) {
	e := &token.APIError{Status: 429, RetryAfter: 95 * 365 * 24 * time.Hour}
	if got := e.ServerWait(); got != token.MaxRetryAfter {
		t.Errorf("ServerWait = %v, want MaxRetryAfter %v", got, token.MaxRetryAfter)
	}
}
