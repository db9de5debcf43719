package fleetchaos_test

import (
	"testing"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"
)

// TestMain fails the package if any goroutine outlives the tests.
func TestMain(m *testing.M) {
	// toxiproxy's toxics log through zerolog's global logger, some at
	// trace level, straight to stderr.
	zerolog.SetGlobalLevel(zerolog.Disabled)
	goleak.VerifyTestMain(m, toxiproxyStranded...)
}

// toxiproxyStranded matches the goroutines toxiproxy v2.5.0 itself
// strands when a link's destination closes while a chunk is in flight
// (see integration/chaos): they belong to the fault injector, not to the
// fleet, NATS or the fake.
var toxiproxyStranded = []goleak.Option{
	goleak.IgnoreAnyFunction("github.com/Shopify/toxiproxy/v2/toxics.(*ToxicStub).Run"),
	goleak.IgnoreAnyFunction("github.com/Shopify/toxiproxy/v2.(*ToxicLink).read"),
}
