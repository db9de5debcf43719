// Command loadtest runs confwatch's load scenarios against
// integration/fakemeeting over loopback and prints their figures.
//
//	go run ./integration/loadtest -scenario throughput        # full figures
//	go run ./integration/loadtest -scenario all -quick        # every scenario, small (CI)
//	go run ./integration/loadtest -scenario scale             # 10,000 sessions, fake in a child process
//	go run ./integration/loadtest -scenario fleet             # 1,000 meetings on 4 fleet worker processes
//
// Scenarios: throughput, memory, recovery, storm, scale, latency, fleet, all.
// "serve" is the child mode that the other scenarios spawn: it runs a fake
// and prints its URL (see scenario.ServeMain).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/confwatch/confwatch/integration/loadtest/internal/scenario"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// scenarios maps a -scenario name to its runner, in the order "all" runs
// them.
var scenarios = []struct {
	name string
	run  func(context.Context, scenario.Options) error
}{
	{"throughput", func(ctx context.Context, o scenario.Options) error { _, err := scenario.Throughput(ctx, o); return err }},
	{"memory", func(ctx context.Context, o scenario.Options) error { _, err := scenario.Memory(ctx, o); return err }},
	{"recovery", func(ctx context.Context, o scenario.Options) error { _, err := scenario.Recovery(ctx, o); return err }},
	{"storm", func(ctx context.Context, o scenario.Options) error { _, err := scenario.Storm(ctx, o); return err }},
	{"latency", func(ctx context.Context, o scenario.Options) error { _, err := scenario.Latency(ctx, o); return err }},
	{"scale", func(ctx context.Context, o scenario.Options) error { _, err := scenario.Scale(ctx, o); return err }},
	{"fleet", func(ctx context.Context, o scenario.Options) error { _, err := scenario.Fleet(ctx, o); return err }},
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("scenario", "", "throughput, memory, recovery, storm, scale, latency, fleet, all, or serve (child mode)")
	var o scenario.Options
	fs.BoolVar(&o.Quick, "quick", false, "small counts: check that the scenarios work, figures only indicative")
	fs.IntVar(&o.N, "n", 0, "sessions (memory, storm, scale), pushes (throughput), drops (recovery) or meetings (fleet); 0 = mode default")
	fs.IntVar(&o.Rounds, "rounds", 0, "throughput rounds; fleet: pushes per meeting of the flooded worker; 0 = mode default")
	fs.IntVar(&o.Workers, "workers", 0, "fleet: worker processes; 0 = 4")
	fs.DurationVar(&o.Lease, "lease", 0, "fleet: the workers' lease; 0 = 3s quick, 15s full")
	fs.DurationVar(&o.Window, "window", 0, "scale, fleet: steady-state window; latency: length of each rate; 0 = mode default")
	fs.DurationVar(&o.Heartbeat, "heartbeat", 0, "scale: heartbeat interval; 0 = 5s")
	fs.IntVar(&o.Participants, "participants", 0, "memory, storm, scale: roster of the fake (snapshot size); 0 = 50")
	fs.IntVar(&o.BufferSize, "bufsize", 0, "connector Read/WriteBufferSize; 0 = each scenario's choice")
	timeout := fs.Duration("timeout", 20*time.Minute, "stop everything after this long")
	verbose := fs.Bool("v", false, "log progress to stderr")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the client process to this file")
	memLimit := fs.Int("memlimit", 0, "soft memory limit of the client process in MiB (runtime/debug.SetMemoryLimit; children keep none); 0 = none")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *name == "serve" {
		return scenario.ServeMain(fs.Args(), os.Stdin, stdout, stderr)
	}
	if err := scenario.RaiseOpenFileLimit(); err != nil {
		fmt.Fprintln(stderr, "loadtest:", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(stderr, "loadtest:", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "loadtest:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	o.Out = stdout
	if *verbose {
		o.Log = slog.New(slog.NewTextHandler(stderr, nil))
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(stderr, "loadtest:", err)
		return 1
	}
	o.Spawn = func(ctx context.Context, args []string) *exec.Cmd {
		return exec.CommandContext(ctx, exe, append([]string{"-scenario", "serve", "--"}, args...)...)
	}
	fmt.Fprintf(stdout, "loadtest: %s, %s/%s, GOMAXPROCS %d, NumCPU %d\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), runtime.NumCPU())
	if *memLimit > 0 {
		debug.SetMemoryLimit(int64(*memLimit) << 20)
		fmt.Fprintf(stdout, "loadtest: client memory limit %d MiB\n", *memLimit)
	}

	ran := false
	for _, s := range scenarios {
		if *name != s.name && *name != "all" {
			continue
		}
		ran = true
		if err := s.run(ctx, o); err != nil {
			fmt.Fprintf(stderr, "loadtest: %s: %v\n", s.name, err)
			return 1
		}
	}
	if !ran {
		fmt.Fprintf(stderr, "loadtest: unknown -scenario %q\n", *name)
		fs.Usage()
		return 2
	}
	return 0
}
