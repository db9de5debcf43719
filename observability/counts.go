package observability

import (
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/confwatch/confwatch/events"
)

// otherAction is confwatch.action for a push whose action package events
// does not know: a server cannot add series by inventing actions.
const otherAction = "other"

// actionNames are the values of confwatch.action: every action package
// events knows, then otherAction.
var actionNames = append(events.KnownActions(), otherAction)

// actionSlot maps each known action to its index in actionNames.
var actionSlot = func() map[string]int {
	m := make(map[string]int, len(actionNames))
	for i, a := range actionNames {
		m[a] = i
	}
	return m
}()

// slot returns the index of action in actionNames (otherAction's when
// package events does not know it).
func slot(action string) int {
	if i, ok := actionSlot[action]; ok {
		return i
	}
	return len(actionNames) - 1
}

// pushCounts counts pushes by action with atomics: the socket reader adds
// one per push for a few nanoseconds, where an SDK counter costs a
// hundred or more, and the callback of the asynchronous counters reads
// them at collection. Counts only grow, so nothing is lost between two
// collections.
type pushCounts struct{ n []atomic.Int64 }

func newPushCounts() *pushCounts { return &pushCounts{n: make([]atomic.Int64, len(actionNames))} }

func (p *pushCounts) add(action string) { p.n[slot(action)].Add(1) }

// observe reports every action counted so far on inst, with base's
// attributes beside confwatch.action.
func (p *pushCounts) observe(o metric.Observer, inst metric.Int64ObservableCounter, base []attribute.KeyValue) {
	for i := range p.n {
		if v := p.n[i].Load(); v > 0 {
			kv := append(append(make([]attribute.KeyValue, 0, len(base)+1), base...), keyAction.String(actionNames[i]))
			o.ObserveInt64(inst, v, metric.WithAttributes(kv...))
		}
	}
}

// meetingCounts are the push counts of one meeting (with PerConference)
// or of the whole process.
type meetingCounts struct{ received, dropped *pushCounts }

func newMeetingCounts() *meetingCounts {
	return &meetingCounts{received: newPushCounts(), dropped: newPushCounts()}
}
