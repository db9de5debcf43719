package fleet

import "github.com/confwatch/confwatch/connector"

// Metrics is what a worker reports to besides its Stats: one session
// Observer per meeting, and the fleet's own events. observability.Metrics
// implements it; the fleet does not depend on any metrics library. Every
// method is called on the worker's goroutines and must return quickly.
type Metrics interface {
	// Observer returns the Observer of the session of conferenceID (nil
	// for none).
	Observer(conferenceID string) *connector.Observer
	// SetOwned reports how many meetings the worker holds now.
	SetOwned(n int)
	// LeaseRenewFailed reports a renewal that did not reach NATS.
	LeaseRenewFailed(conferenceID string)
	// Fenced reports a session the worker stopped because it could not
	// keep the lease.
	Fenced(conferenceID string)
	// FailedOver reports a meeting claimed that another worker had
	// watched (its stored picture was another owner's).
	FailedOver(conferenceID string)
}

// noMetrics reports nothing.
type noMetrics struct{}

func (noMetrics) Observer(string) *connector.Observer { return nil }
func (noMetrics) SetOwned(int)                        {}
func (noMetrics) LeaseRenewFailed(string)             {}
func (noMetrics) Fenced(string)                       {}
func (noMetrics) FailedOver(string)                   {}
