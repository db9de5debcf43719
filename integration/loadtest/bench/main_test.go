// Package bench holds confwatch's Go benchmarks and the quick check of the
// load scenarios. The fake meeting runs in a child process (this test
// binary re-run in serve mode), so that allocation and CPU figures are the
// client's alone.
package bench

import (
	"context"
	"os"
	"os/exec"
	"testing"

	"go.uber.org/goleak"

	"github.com/confwatch/confwatch/integration/loadtest/internal/scenario"
)

// serveEnv, when set to "1", makes the test binary serve a fake meeting
// instead of running tests (see scenario.ServeMain).
const serveEnv = "CONFWATCH_BENCH_SERVE"

func TestMain(m *testing.M) {
	if os.Getenv(serveEnv) == "1" {
		os.Exit(scenario.ServeMain(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	if err := scenario.RaiseOpenFileLimit(); err != nil {
		println(err.Error())
	}
	// Every scenario joins the goroutines it starts, fake and proxies
	// included; goleak checks that it did.
	goleak.VerifyTestMain(m)
}

// spawn re-runs this test binary as a fake meeting.
func spawn(ctx context.Context, args []string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), serveEnv+"=1")
	return cmd
}
