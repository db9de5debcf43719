package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"time"

	"github.com/confwatch/confwatch/internal/demo"
	"github.com/confwatch/confwatch/secret"
	"github.com/confwatch/confwatch/token"
)

// newFlagSet returns a flag set that prints nothing by itself: the flag
// package would echo a bad value, which may be a secret typed into the
// wrong flag. parseFlags prints the help when asked and a redacted error
// otherwise.
func newFlagSet(e env, name, help string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fs.SetOutput(e.stderr)
		defer fs.SetOutput(io.Discard)
		fmt.Fprint(e.stderr, help)
		fmt.Fprintln(e.stderr, "\nFlags:")
		fs.PrintDefaults()
	}
	return fs
}

const tailHelp = `Usage: confwatch tail --conference ID [flags]

Prints the meeting's control pushes on stdout, one JSON object per line,
flushed per event. Logs and connection status go to stderr.

Examples:
  CONFWATCH_HOST_PASSWORD=604117 confwatch tail --conference 986112045
  confwatch tail --conference 986112045 --password-file ~/.meeting-pw | jq 'select(.action=="ParticipantsNotify")'
  confwatch tail --conference 986112045 --password-file - --semantic --format pretty < pw.txt
  confwatch tail --conference 986112045 --events ParticipantsNotify,SpeakerChangeNotify
`

func cmdTail(ctx context.Context, args []string, e env) int {
	var w watchFlags
	fs := newFlagSet(e, "tail", tailHelp)
	w.register(fs, true)
	return runLive(ctx, fs, args, e, &w, func(t target, log *slog.Logger) error {
		types, _ := w.types()
		return watch(ctx, t, &w, log, sink{printer: newPrinter(e.stdout, w.format == "pretty", t.conference, types)})
	})
}

// runLive parses flags and builds the credential chain for tail and state.
func runLive(ctx context.Context, fs *flag.FlagSet, args []string, e env, w *watchFlags, body func(target, *slog.Logger) error) int {
	if done, err := parseFlags(fs, args); done || err != nil {
		return flagOutcome(done, err, e)
	}
	if err := w.check(true); err != nil {
		return flagOutcome(false, err, e)
	}
	log := newLogger(e.stderr, e.stderrTTY, w.logFormat, w.logLevel)
	t, err := liveTarget(w, e, log)
	if err == nil {
		err = body(t, log)
	}
	return exitCode(err, log, func(s string) { fmt.Fprint(e.stderr, s) })
}

func flagOutcome(done bool, err error, e env) int {
	if done {
		return exitOK
	}
	fmt.Fprintf(e.stderr, "confwatch: %v\nRun with --help for usage.\n", err)
	return exitUsage
}

const demoHelp = `Usage: confwatch demo [flags]

Starts a fake meeting-control service in this process, plays a scripted
meeting of about 80 seconds on it (people join, speak, raise hands, get
muted, share; the meeting is locked and recorded; the network drops once and
the session recovers; the meeting ends) and tails it exactly like
"confwatch tail" would. Needs no account and no network.

With --serve ADDR it tails nothing: it runs --meetings fake meetings as a
service at ADDR, each changing every --churn (someone joins, raises a hand,
the meeting is locked, ...; none ends), and prints one JSON line on stdout:
the API base URL, the counters URL, the conference IDs and a meetings file
for "confwatch fleet apply" whose password files it wrote in --dir. The
counters (ws tokens issued, reuse attempts, live sockets per meeting and
their high-water mark) are served as JSON at /fakemeeting/counters.

Examples:
  confwatch demo
  confwatch demo --speed 10 --semantic --format pretty
  confwatch demo --speed 20 | jq -c 'select(.kind=="status")'
  confwatch demo --serve 127.0.0.1:8090 --meetings 30
`

func cmdDemo(ctx context.Context, args []string, e env) int {
	var w watchFlags
	fs := newFlagSet(e, "demo", demoHelp)
	w.register(fs, false)
	speed := fs.Float64("speed", 1, "play the script this many times faster")
	var sv serveFlags
	sv.register(fs)
	if done, err := parseFlags(fs, args); done || err != nil {
		return flagOutcome(done, err, e)
	}
	if sv.addr != "" {
		return cmdServe(ctx, &sv, &w, e)
	}
	if err := w.check(false); err != nil {
		return flagOutcome(false, err, e)
	}
	if *speed <= 0 {
		return flagOutcome(false, usagef("--speed must be positive"), e)
	}
	log := newLogger(e.stderr, e.stderrTTY, w.logFormat, w.logLevel)
	err := runDemo(ctx, &w, *speed, log, e)
	return exitCode(err, log, func(s string) { fmt.Fprint(e.stderr, s) })
}

func runDemo(ctx context.Context, w *watchFlags, speed float64, log *slog.Logger, e env) error {
	srv, err := demo.Start()
	if err != nil {
		return err
	}
	defer srv.Close()
	client, err := token.New(token.Config{BaseURL: srv.URL(), Logger: log})
	if err != nil {
		return err
	}
	prov, err := token.NewProvider(client, token.ProviderConfig{ConferenceID: srv.ConferenceID(), Password: secret.New(srv.HostPassword())})
	if err != nil {
		return err
	}
	log.Info("demo meeting started", slog.String("api", srv.URL()), slog.Float64("speed", speed),
		slog.Duration("length", time.Duration(float64(demo.Length)/speed).Round(time.Millisecond)))

	pctx, cancel := context.WithCancel(ctx)
	played := make(chan error, 1)
	go func() {
		// Let the session subscribe before the script starts.
		if err := srv.WaitSubscribed(pctx, 1); err != nil {
			played <- err
			return
		}
		played <- demo.Play(pctx, srv, speed, func(what string) { log.Info("demo: " + what) })
	}()
	types, _ := w.types()
	t := target{conference: srv.ConferenceID(), tokens: prov, plainText: isPlain(srv.URL())}
	err = watch(ctx, t, w, log, sink{printer: newPrinter(e.stdout, w.format == "pretty", t.conference, types)})
	cancel()
	if perr := <-played; perr != nil && pctx.Err() == nil {
		return perr
	}
	return err
}

func cmdVersion(e env) int {
	fmt.Fprintf(e.stdout, "confwatch %s (%s, %s/%s)\n", token.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return exitOK
}
