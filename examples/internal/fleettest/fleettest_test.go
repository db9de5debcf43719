package fleettest_test

import (
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/confwatch/confwatch/examples/internal/fleettest"
)

func TestMain(m *testing.M) {
	fleettest.RunWorkerIfAsked()
	goleak.VerifyTestMain(m)
}

// TestKilledWorkerMeetingsMove: the rig's two worker processes share the
// meetings; after a SIGKILL the survivor holds them all.
func TestKilledWorkerMeetingsMove(t *testing.T) {
	r := fleettest.New(t, 4)
	w1, w2 := r.StartWorker("w1"), r.StartWorker("w2")
	r.WaitSubscribed(30 * time.Second)
	held := map[string]int{}
	for _, o := range r.Owners() {
		held[o[:strings.LastIndexByte(o, '-')]]++
	}
	t.Logf("placement: %v", held)
	victim := w1
	if held["w1"] == 0 {
		victim = w2
	}
	victim.Kill()
	fleettest.Poll(t, fleettest.Lease+15*time.Second, "every meeting held by the survivor", func() bool {
		o := r.Owners()
		for _, id := range r.IDs() {
			if o[id] == "" || strings.HasPrefix(o[id], victim.Name+"-") {
				return false
			}
		}
		return true
	})
}
