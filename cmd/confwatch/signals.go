package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// signalled is the cause of the context main cancels on SIGINT or
// SIGTERM, so that the exit code can say which one came.
type signalled struct{ sig os.Signal }

func (s signalled) Error() string { return "interrupted (" + signalName(s.sig) + ")" }

// Is makes a signalled cause count as a cancel, which is what it is.
func (s signalled) Is(target error) bool { return target == context.Canceled }

func (s signalled) exitCode() int {
	if s.sig == syscall.SIGTERM {
		return exitTerminated
	}
	return exitInterrupted
}

func signalName(s os.Signal) string {
	if s == syscall.SIGTERM {
		return "SIGTERM"
	}
	return "SIGINT"
}

// notifySignals returns a context cancelled, with a signalled cause, by
// the first SIGINT or SIGTERM. A second one kills the process as usual,
// for a stop that hangs. stop releases the signals.
func notifySignals(parent context.Context) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			signal.Stop(sigs)
			cancel(signalled{s})
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel(context.Canceled)
	}
}
