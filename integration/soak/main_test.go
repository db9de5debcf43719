package soak_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any goroutine outlives the soak.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
