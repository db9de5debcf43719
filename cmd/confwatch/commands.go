package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/confwatch/confwatch/fleet/feed"
	"github.com/confwatch/confwatch/internal/demo"
	"github.com/confwatch/confwatch/secret"
	"github.com/confwatch/confwatch/token"
)

const tailHelp = `Usage: confwatch tail --conference ID [flags]

Follows the meeting. On a terminal stdout tells it in words: who is there
when it starts, then who joins, speaks, raises a hand, is muted, shares,
leaves, whether it is locked or recorded, the link's drops and what changed
meanwhile. Elsewhere (a pipe, a file) stdout carries one JSON object per
line, flushed per event: the raw pushes, or with --semantic the changes.
The last line says how the run ended. Logs go to stderr.

Before the first subscribe, a setup no retry can fix (nothing listening at
--api, a web page instead of the API, an untrusted certificate, an unknown
meeting) stops at once with a hint; --wait retries instead. After that,
drops are retried for ever, or for --max-outage.

With --nats URL it reads the meeting from a fleet's NATS stream instead
(see "confwatch fleet"): no meeting credentials, no socket of its own, the
same output and exit codes. It starts from the meeting's stored state,
or with --since DUR replays the last DUR first; it ends with the meeting
(exit 0), or exits 1 when the fleet does not watch the meeting.

Examples:
  CONFWATCH_HOST_PASSWORD=604117 confwatch tail --conference 986112045
  confwatch tail --conference 986112045 --password-file ~/.meeting-pw | jq 'select(.action=="ParticipantsNotify")'
  confwatch tail --conference 986112045 --password-file - --semantic < pw.txt
  confwatch tail --conference 986112045 --events ParticipantsNotify,SpeakerChangeNotify --max-outage 10m
  confwatch tail --conference 986112045 --nats nats://127.0.0.1:4222 --since 15m --semantic
`

func cmdTail(ctx context.Context, args []string, e env) int {
	var w watchFlags
	fs := newFlagSet(e, "tail", tailHelp)
	w.register(fs, true)
	w.registerSemantic(fs)
	w.registerNATS(fs, e)
	return runLive(ctx, fs, args, e, &w, func(t target, log *slog.Logger, p *printer) error {
		return watch(ctx, t, &w, log, sink{printer: p})
	})
}

// runLive parses flags and builds the credential chain for tail and state,
// then runs body with a printer for stdout; every end of the run, from a
// refused flag value on, gets a final record.
func runLive(ctx context.Context, fs *flag.FlagSet, args []string, e env, w *watchFlags, body func(target, *slog.Logger, *printer) error) int {
	w.args, w.nats.args = args, args
	if done, err := parseFlags(fs, args); done || err != nil {
		return flagOutcome(done, err, e)
	}
	w.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { w.set[f.Name] = true })
	if err := w.check(true); err != nil {
		return flagOutcome(false, err, e)
	}
	types, _ := w.types()
	p := newPrinter(e.stdout, w.pretty(e), w.conference, types)
	log, closeLog, err := w.logger(e)
	if err != nil {
		return finish(err, log, stderrFunc(e), p)
	}
	defer closeLog()
	var t target
	if w.nats.url != "" {
		var closeNATS func()
		t, closeNATS, err = natsTarget(w, log)
		if err == nil {
			defer closeNATS()
		}
	} else {
		t, err = liveTarget(w, e, log)
	}
	if err == nil {
		err = body(t, log, p)
	}
	return finish(err, log, stderrFunc(e), p)
}

// natsTarget reads the meeting from the fleet's stream at --nats; close
// closes the connection.
func natsTarget(w *watchFlags, log *slog.Logger) (t target, close func(), err error) {
	nc, err := w.nats.connect("confwatch "+w.conference, log)
	if err != nil {
		return target{}, nil, err
	}
	js, err := jetstream.New(nc)
	if err == nil {
		t.feed, err = feed.New(feed.Config{JetStream: js, Conference: w.conference, Since: w.since, Logger: log})
	}
	if err != nil {
		nc.Close()
		return target{}, nil, usagef("%v", err)
	}
	t.conference = w.conference
	return t, nc.Close, nil
}

func stderrFunc(e env) func(string) { return func(s string) { fmt.Fprint(e.stderr, s) } }

// pretty reports whether stdout gets the pretty format.
func (w *watchFlags) pretty(e env) bool {
	return w.format == "pretty" || w.format == "auto" && e.stdoutTTY
}

// demoSpeed is the demo's default speed: the 80 s script in 13 s, so that
// even `go run` (build check and link included) is done within 20 s.
const demoSpeed = 6

const demoHelp = `Usage: confwatch demo [flags]

Starts a fake meeting-control service in this process, plays a scripted
meeting on it (people join, speak, raise hands, get muted, share; the
meeting is locked and recorded; the network drops for a few seconds while
a hand goes up, and the session recovers and tells what changed; the
meeting ends) and follows it exactly like "confwatch tail" would. The
script is 80 s of meeting, played 6 times faster by default (13 s). Needs
no account and no network.

With --serve ADDR it tails nothing: it runs --meetings fake meetings as a
service at ADDR, each changing every --churn (someone joins, raises a hand,
the meeting is locked, ...; none ends), and prints one JSON line on stdout:
the API base URL, the counters URL, the conference IDs and a meetings file
for "confwatch fleet apply" whose password files it wrote in --dir. The
counters (ws tokens issued, reuse attempts, live sockets per meeting and
their high-water mark) are served as JSON at /fakemeeting/counters.

Examples:
  confwatch demo
  confwatch demo --speed 1 --semantic
  confwatch demo --speed 20 | jq -c 'select(.kind=="status")'
  confwatch demo --serve 127.0.0.1:8090 --meetings 30
`

func cmdDemo(ctx context.Context, args []string, e env) int {
	var w watchFlags
	fs := newFlagSet(e, "demo", demoHelp)
	w.register(fs, false)
	w.registerSemantic(fs)
	speed := fs.Float64("speed", demoSpeed, "play the script this many times faster than real time")
	var sv serveFlags
	sv.register(fs)
	w.args = args
	if done, err := parseFlags(fs, args); done || err != nil {
		return flagOutcome(done, err, e)
	}
	if sv.addr != "" {
		return cmdServe(ctx, &sv, &w, e)
	}
	if err := w.check(false); err != nil {
		return flagOutcome(false, err, e)
	}
	if !(*speed > 0 && *speed <= 1e6) {
		return flagOutcome(false, usagef("%s must be a positive number up to 1000000, e.g. %s 10", w.spell("speed"), w.spell("speed")), e)
	}
	types, _ := w.types()
	log, closeLog, err := w.logger(e)
	if err != nil {
		return exitCode(err, log, stderrFunc(e))
	}
	defer closeLog()
	p := newPrinter(e.stdout, w.pretty(e), "", types)
	err = runDemo(ctx, &w, *speed, log, p)
	return finish(err, log, stderrFunc(e), p)
}

func runDemo(ctx context.Context, w *watchFlags, speed float64, log *slog.Logger, p *printer) error {
	srv, err := demo.Start()
	if err != nil {
		return err
	}
	defer srv.Close()
	p.conf = srv.ConferenceID()
	client, err := token.New(token.Config{BaseURL: srv.URL(), Logger: log})
	if err != nil {
		return err
	}
	prov, err := token.NewProvider(client, token.ProviderConfig{ConferenceID: srv.ConferenceID(), Password: secret.New(srv.HostPassword())})
	if err != nil {
		return err
	}
	log.Info("demo meeting started", slog.String("api", srv.URL()), slog.Float64("speed", speed),
		slog.String("length", time.Duration(float64(demo.Length)/speed).Round(time.Millisecond).String()))

	pctx, cancel := context.WithCancel(ctx)
	played := make(chan error, 1)
	go func() {
		// Let the session subscribe before the script starts.
		if err := srv.WaitSubscribed(pctx, 1); err != nil {
			played <- err
			return
		}
		// The script's steps are what the output shows: debug notes only.
		played <- demo.Play(pctx, srv, speed, func(what string) { log.Debug("demo: " + what) })
	}()
	t := target{conference: srv.ConferenceID(), tokens: prov, plainText: isPlain(srv.URL()), speed: speed}
	err = watch(ctx, t, w, log, sink{printer: p})
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
