package chaos_test

import (
	"testing"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"
)

// TestMain fails the package if any goroutine outlives the tests. Each
// scenario also waits for the goroutine count to come back to baseline
// (waitNoLeaks), so a leak is pinned on the scenario that caused it.
func TestMain(m *testing.M) {
	// toxiproxy's toxics log through zerolog's global logger, some at
	// trace level, straight to stderr.
	zerolog.SetGlobalLevel(zerolog.Disabled)
	goleak.VerifyTestMain(m, toxiproxyStranded...)
}
