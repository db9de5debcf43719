package fleettest

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/fleet"
	"github.com/confwatch/confwatch/token"
)

// The environment a worker process reads its settings from.
const (
	envWorker = "CONFWATCH_FLEETTEST_WORKER"
	envNATS   = "CONFWATCH_FLEETTEST_NATS"
	envAPI    = "CONFWATCH_FLEETTEST_API"
	envName   = "CONFWATCH_FLEETTEST_NAME"
	envLease  = "CONFWATCH_FLEETTEST_LEASE"
)

// RunWorkerIfAsked runs a fleet worker and exits the process when the
// process was started by StartWorker; otherwise it returns at once. Call
// it first in TestMain.
func RunWorkerIfAsked() {
	if os.Getenv(envWorker) == "" {
		return
	}
	if err := runWorker(); err != nil {
		fmt.Fprintln(os.Stderr, "fleettest worker:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// runWorker runs one worker as `confwatch fleet` does, until SIGTERM.
func runWorker() error {
	lease, err := time.ParseDuration(os.Getenv(envLease))
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	nc, err := nats.Connect(os.Getenv(envNATS), nats.ReconnectBufSize(-1), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		return err
	}
	defer nc.Close()
	api, err := token.New(token.Config{BaseURL: os.Getenv(envAPI)})
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	w, err := fleet.New(fleet.Config{
		Conn: nc, API: api, Name: os.Getenv(envName), Lease: lease, StateInterval: 100 * time.Millisecond,
		Session: connector.Config{Backoff: connector.Backoff{Initial: 50 * time.Millisecond, Max: 500 * time.Millisecond}, AllowPlainText: true},
		Logger:  log,
	})
	if err != nil {
		return err
	}
	return w.Run(ctx)
}
