// Package pipeline is what confwatch's integration suites (chaos, soak,
// secrets) share: a Watcher wires a token chain, a connector session, an
// events.Mux and a meeting.State exactly as cmd/confwatch's watch does,
// and records the lifecycle events the suites' pass criteria count; Diff
// compares a meeting snapshot with the fake's own view.
//
//	w, err := pipeline.StartWatcher(pipeline.WatcherConfig{APIBase: fake.URL(), ConferenceID: id, Password: pw})
//	...
//	if d := pipeline.Diff(fake.View(), w.State.Snapshot()); len(d) > 0 { ... }
//	err = w.Stop(5 * time.Second)
//
// Lifecycle, Changes, Count, Idle and Subscribed are safe for concurrent
// use; Stop is called once and joins the session's goroutine. The package imports no fault-injection library and
// is internal: it is test equipment, not API.
package pipeline
