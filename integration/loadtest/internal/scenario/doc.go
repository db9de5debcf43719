// Package scenario holds confwatch's load scenarios: event throughput,
// memory per session, recovery time, reconnect storm, scale and push
// latency, each run against integration/fakemeeting over loopback, and
// the fleet: worker processes on NATS JetStream sharing the meetings of
// internal/demo's fake service.
//
// The load command (integration/loadtest) and the quick test and
// benchmarks of integration/loadtest/bench share this code, so that what CI checks
// is what BENCHMARKS.md reports.
//
// Scenarios that must not count the fake's own costs (throughput
// allocations, memory, scale) run the fake in a child process started by
// Options.Spawn and talk to it over a line protocol on its stdin and stdout
// (see Serve). Scenarios that compare clocks (latency) or time a fault
// precisely (recovery) run the fake in-process.
//
// Every scenario is bounded in count and time and stops by itself. None
// asserts a timing: each returns its figures, and the caller prints or
// checks them for sanity only.
package scenario
