package secret_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/confwatch/confwatch/secret"
)

func TestSecretRendering(t *testing.T) {
	s := secret.New("CANARY-s3cret")
	tests := []struct {
		name   string
		format string
		arg    any
		want   string
	}{
		{"v", "%v", s, "REDACTED"},
		{"plus v", "%+v", s, "REDACTED"},
		{"sharp v", "%#v", s, `secret.Secret("REDACTED")`},
		{"s", "%s", s, "REDACTED"},
		{"q", "%q", s, `"REDACTED"`},
		{"x", "%x", s, "REDACTED"},
		{"d", "%d", s, "REDACTED"},
		{"pointer", "%v", &s, "REDACTED"},
		{"in struct", "%+v", struct{ P secret.Secret }{s}, "{P:REDACTED}"},
		{"sharp in struct", "%#v", struct{ P secret.Secret }{s}, `struct { P secret.Secret }{P:secret.Secret("REDACTED")}`},
		{"empty", "%v|%q", secret.Secret{}, `|""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []any{tt.arg}
			if strings.Count(tt.format, "%") == 2 {
				args = append(args, tt.arg)
			}
			if got := fmt.Sprintf(tt.format, args...); got != tt.want {
				t.Errorf("Sprintf(%q) = %q, want %q", tt.format, got, tt.want)
			}
		})
	}
	if s.Reveal() != "CANARY-s3cret" || s.IsZero() || !(secret.Secret{}).IsZero() {
		t.Error("Reveal/IsZero do not round-trip")
	}
}

func TestSecretJSONAndLogs(t *testing.T) {
	type wire struct {
		Token secret.Secret `json:"token"`
	}
	var w wire
	if err := json.Unmarshal([]byte(`{"token":"CANARY-tok"}`), &w); err != nil || w.Token.Reveal() != "CANARY-tok" {
		t.Fatalf("Unmarshal: %v, %q", err, w.Token.Reveal())
	}
	out, err := json.Marshal(w)
	if err != nil || string(out) != `{"token":"REDACTED"}` {
		t.Errorf("Marshal = %s, %v", out, err)
	}
	if err := json.Unmarshal([]byte(`{"token":null}`), &w); err != nil || !w.Token.IsZero() {
		t.Errorf("null: %v, zero %v", err, w.Token.IsZero())
	}
	if err := json.Unmarshal([]byte(`{"token":42}`), &w); err == nil || strings.Contains(err.Error(), "42") {
		t.Errorf("number: %v, want an error that does not echo the value", err)
	}

	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewJSONHandler(&buf, nil), slog.NewTextHandler(&buf, nil)} {
		slog.New(h).Info("m", "secret", secret.New("CANARY-plain"), "wrapped", wire{secret.New("CANARY-log")})
	}
	if s := buf.String(); strings.Contains(s, "CANARY") || strings.Count(s, "REDACTED") != 4 {
		t.Errorf("logs: %s", s)
	}
}

// TestNestedUnexportedSecretIsNotPrinted: fmt cannot call Format on a
// Secret in an unexported field, so the value must not be printable there
// either (it was, as a plain string field, through a Provider inside a
// Session).
func TestNestedUnexportedSecretIsNotPrinted(t *testing.T) {
	type inner struct{ pw secret.Secret }
	type outer struct{ in *inner }
	v := struct {
		a inner
		b outer
		c []inner
	}{inner{secret.New("CANARY-nested")}, outer{&inner{secret.New("CANARY-deeper")}}, []inner{{secret.New("CANARY-slice")}}}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if got := fmt.Sprintf(verb, v); strings.Contains(got, "CANARY") {
			t.Errorf("%s printed a nested secret: %s", verb, got)
		}
	}
}
