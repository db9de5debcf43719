package events

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/confwatch/confwatch/secret"
)

// TestSecretsDoNotPrint checks that the token and the meeting passwords
// never show: not printed, nor in JSON or slog output, nor in decoded
// passwords.
func TestSecretsDoNotPrint(t *testing.T) {
	const testToken = "stb4e1c9a07d2b84f6a91e3c5d7b0a2f48c6e1d3b5a7f9c0e2d"
	tok := secret.New(testToken)
	var sb strings.Builder
	for _, v := range []any{tok, &tok} {
		fmt.Fprint(&sb, v)
		fmt.Fprintf(&sb, " %v %+v %#v %s %q ", v, v, v, v, v)
		j, _ := json.Marshal(v)
		sb.Write(j)
	}
	slog.New(slog.NewTextHandler(&sb, nil)).Info("control", "tok", tok)
	slog.New(slog.NewJSONHandler(&sb, nil)).Info("control", "tok", tok)

	_, basic := mustPush[*ConfBasicInfoNotify](t, readFrame(t, "ConfBasicInfoNotify.json"))
	fmt.Fprintf(&sb, "%v %+v %#v", basic, basic, basic)
	j, _ := json.Marshal(basic)
	sb.Write(j)

	out := sb.String()
	for _, s := range []string{testToken, "604117", "283950"} {
		if strings.Contains(out, s) {
			t.Errorf("output reveals %q:\n%s", s, out)
		}
	}
	if !strings.Contains(out, secret.Redacted) {
		t.Errorf("no %s in output", secret.Redacted)
	}
}
