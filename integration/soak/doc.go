// Package soak runs confwatch for hours of fake time compressed into
// seconds or minutes: one clock.Fake drives the fake meeting service, the
// token chain and the session, a meeting of a few hundred participants
// churns (joins, leaves, hands, mutes, renames, speakers, the waiting
// room), and every few fake minutes a fault is injected — socket drops,
// stalls, refused tokens, refused upgrades and Subscribes, version gaps,
// duplicates — while control tokens are kept alive across their 30-minute
// lifetimes. At the end the meeting state must equal the fake's view, no
// ws token may have been presented twice, and the heap and goroutine
// count must be flat between the first and the last quarter of the run.
//
// The package holds only tests. `go test ./integration/soak` runs the
// short version (8 fake hours); CONFWATCH_SOAK=10m runs for ten real
// minutes instead, and CONFWATCH_SOAK_HOURS=N sets the fake hours of the
// short version. Figures of long runs are in RELIABILITY.md.
package soak
