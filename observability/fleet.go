package observability

// The fleet's measurements. A fleet process calls these as its leases
// change; conferenceID is recorded only with Config.PerConference. A
// process that never calls them exports none of their instruments.

// SetOwned records how many meetings this process holds the lease of now
// (confwatch.fleet.owned).
func (m *Metrics) SetOwned(n int) { m.owned.Store(int64(max(n, 0))) }

// LeaseRenewFailed counts a lease renewal of conferenceID that failed
// (confwatch.fleet.lease.renew_failures).
func (m *Metrics) LeaseRenewFailed(conferenceID string) { m.add(m.renewFailures, conferenceID) }

// Fenced counts a session on conferenceID that this process stopped because
// its lease could not be kept (confwatch.fleet.fences).
func (m *Metrics) Fenced(conferenceID string) { m.add(m.fences, conferenceID) }

// FailedOver counts a meeting taken over from another process
// (confwatch.fleet.failovers).
func (m *Metrics) FailedOver(conferenceID string) { m.add(m.failovers, conferenceID) }
