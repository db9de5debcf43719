// Package fleetchaos is the fleet's network-fault suite: fleet workers,
// an embedded nats-server with JetStream on a data directory, and the
// multi-meeting fake service (internal/demo, whose front counts every
// meeting's live sockets), in one test process, loopback only.
//
// Each scenario breaks the workers' path to NATS — one worker cut off
// through an in-process toxiproxy (connections reset, or held open with
// no byte passing), or the NATS server itself shut down and started again
// on the same port and data directory while the meetings change — and
// checks the fleet's promise from the fake's side: never two live sockets
// of a meeting at once (the front's per-meeting high-water mark), no ws
// token presented twice, a cut-off worker closing its sockets before its
// leases can expire, no meeting left without a socket for longer than the
// lease plus 2 s once NATS is reachable, and the workers rejoining.
//
// The package holds only tests; the fleet's own tests (package fleet)
// cover a plain TCP cut. toxiproxy is used here and in integration/chaos.
package fleetchaos
