package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/fleet"
	"github.com/confwatch/confwatch/token"
)

const fleetHelp = `Usage: confwatch fleet [flags]
       confwatch fleet apply -f meetings.json [flags]
       confwatch fleet status [flags]

Runs one worker of a fleet that watches many meetings from many processes,
each meeting from exactly one, on NATS JetStream. Without --nats it starts an
embedded NATS server with JetStream in --data-dir, on loopback only
(--nats-listen), which further workers join with --nats nats://127.0.0.1:4222.

Every record "confwatch tail" prints goes to the stream CONFWATCH, on
confwatch.<conference>.push.<action>, .status and .change.<kind>; each
meeting's state is in the bucket confwatch-state. SIGTERM or Ctrl-C stops the
worker and releases its meetings at once.

"fleet apply" sets the meetings to watch from a file (see --help there);
"fleet status" lists them with their owner, state and last event. "tail
--nats" and "state --nats" read one meeting from the stream, with no
meeting credentials.

Examples:
  confwatch fleet                                   # first worker, embedded NATS
  confwatch fleet --nats nats://127.0.0.1:4222      # more workers
  confwatch fleet apply -f meetings.json
  confwatch fleet status
  confwatch fleet --nats nats://nats.example:4222 --nats-creds fleet.creds --nats-ca ca.pem --max-sessions 200
`

const applyHelp = `Usage: confwatch fleet apply -f meetings.json [flags]

Makes the fleet's desired set equal to the file: meetings new or changed are
written, meetings no longer listed are removed, and the workers start or stop
their sessions within about a second. The file holds references to
credentials, never a secret:

  {"meetings": [
    {"conference": "986112045", "passwordFile": "/etc/confwatch/986112045.pw"},
    {"conference": "986112046", "passwordEnv": "MEETING_46_PW", "types": ["ParticipantsNotify"]},
    {"conference": "986112047", "controlTokenFile": "/etc/confwatch/986112047.token"}
  ]}

A reference is resolved by the worker that runs the meeting, on its own
machine; apply checks that it resolves here too (--no-check to skip). Unknown
keys, bad IDs and references that do not resolve exit 2, naming the line.
`

// fleetFlags are the worker's flags.
type fleetFlags struct {
	nats             natsFlags
	listen, dataDir  string
	lease            time.Duration
	maxSessions      int
	name             string
	api, caFile      string
	heartbeat        time.Duration
	readTimeout      time.Duration
	streamMaxAge     time.Duration
	streamMaxBytes   int64
	replicas         int
	logLevel, format string
	metrics          metricsFlag
}

func cmdFleet(ctx context.Context, args []string, e env) int {
	if len(args) > 0 && args[0] == "apply" {
		return cmdFleetApply(ctx, args[1:], e)
	}
	if len(args) > 0 && args[0] == "status" {
		return cmdFleetStatus(ctx, args[1:], e)
	}
	var f fleetFlags
	fs := newFlagSet(e, "fleet", fleetHelp)
	f.nats.register(fs, e, "", "join the NATS server (JetStream enabled) at `URL`")
	f.metrics.register(fs)
	fs.StringVar(&f.listen, "nats-listen", fleet.DefaultListen, "without --nats: the embedded server's `ADDR` (loopback only)")
	fs.StringVar(&f.dataDir, "data-dir", "", "without --nats: the embedded server's JetStream `DIR` (default $XDG_STATE_HOME/confwatch/nats)")
	fs.DurationVar(&f.lease, "lease", fleet.DefaultLease, "meeting lease: renewed every third, the session stops itself at two thirds; the same on every worker")
	fs.IntVar(&f.maxSessions, "max-sessions", 0, "hold at most `N` meetings (0 = no cap)")
	fs.StringVar(&f.name, "name", "", "worker `NAME` in leases and logs (default the host name; a random suffix is added)")
	fs.StringVar(&f.api, "api", token.DefaultBaseURL, "meeting API base `URL`")
	fs.StringVar(&f.caFile, "ca-file", "", "trust the PEM certificates in `FILE` for the meeting API and sockets")
	fs.DurationVar(&f.heartbeat, "heartbeat", 0, "meeting socket heartbeat interval (default 60s, below 180s)")
	fs.DurationVar(&f.readTimeout, "read-timeout", 0, "declare a meeting socket dead after this long without a frame (default 1.5 × heartbeat)")
	fs.DurationVar(&f.streamMaxAge, "stream-max-age", fleet.DefaultStreamMaxAge, "drop records older than this from the stream")
	fs.Int64Var(&f.streamMaxBytes, "stream-max-bytes", fleet.DefaultStreamMaxBytes, "keep at most this many `BYTES` of records")
	fs.IntVar(&f.replicas, "replicas", 1, "JetStream replicas of the buckets and the stream (3 on a 3-node cluster)")
	fs.StringVar(&f.logLevel, "log-level", "info", "stderr log level: debug, info, warn, error")
	fs.StringVar(&f.format, "log-format", "auto", "stderr log format: auto, text, json")
	f.nats.args = args
	if done, err := parseFlags(fs, args); done || err != nil {
		return flagOutcome(done, err, e)
	}
	if err := f.check(); err != nil {
		return flagOutcome(false, err, e)
	}
	log := newLogger(e.stderr, e.stderrTTY, f.format, f.logLevel)
	err := runFleet(ctx, &f, e, log)
	return exitCode(err, log, func(s string) { fmt.Fprint(e.stderr, s) })
}

func (f *fleetFlags) check() error {
	if _, err := parseLevel(f.logLevel); err != nil {
		return err
	}
	if err := f.nats.check(); err != nil {
		return err
	}
	switch f.format {
	case "auto", "text", "json":
	default:
		return usagef("--log-format %q: use auto, text or json", f.format)
	}
	if f.lease < fleet.MinLease {
		return usagef("--lease %v: at least %v", f.lease, fleet.MinLease)
	}
	if f.maxSessions < 0 || f.replicas < 1 || f.streamMaxBytes <= 0 || f.streamMaxAge <= 0 {
		return usagef("--max-sessions must not be negative; --replicas, --stream-max-bytes and --stream-max-age must be positive")
	}
	if f.heartbeat < 0 || f.heartbeat >= connector.MaxHeartbeatInterval || f.readTimeout < 0 {
		return usagef("--heartbeat must be below %v, --read-timeout not negative", connector.MaxHeartbeatInterval)
	}
	return nil
}

// defaultDataDir is where the embedded server keeps JetStream's files:
// the user's state directory.
func defaultDataDir(getenv func(string) string) (string, error) {
	if d := getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "confwatch", "nats"), nil
	}
	if home, err := os.UserHomeDir(); err == nil && home != "" {
		if _, err := os.Stat(filepath.Join(home, ".local")); err == nil {
			return filepath.Join(home, ".local", "state", "confwatch", "nats"), nil
		}
	}
	d, err := os.UserConfigDir()
	if err != nil {
		return "", usagef("no state directory: set --data-dir")
	}
	return filepath.Join(d, "confwatch", "nats"), nil
}

func runFleet(ctx context.Context, f *fleetFlags, e env, log *slog.Logger) error {
	if f.nats.url == "" {
		dir := f.dataDir
		if dir == "" {
			var err error
			if dir, err = defaultDataDir(e.getenv); err != nil {
				return err
			}
		}
		ns, err := fleet.StartServer(fleet.ServerConfig{Listen: f.listen, DataDir: dir})
		if errors.Is(err, fleet.ErrNotLoopback) {
			return usagef("--nats-listen %s: the embedded server has no authentication, so it listens on loopback only; use a real NATS server (--nats) to span machines", f.listen)
		}
		if err != nil {
			return err
		}
		defer ns.Shutdown()
		f.nats.url = ns.ClientURL()
		log.Info("embedded NATS started; more workers join with --nats "+ns.ClientURL(), slog.String("dataDir", dir))
	}
	nc, err := f.nats.connect("confwatch fleet", log)
	if err != nil {
		return err
	}
	defer nc.Close()
	var roots *x509.CertPool
	if f.caFile != "" {
		w := watchFlags{caFile: f.caFile}
		if roots, err = w.rootCAs(); err != nil {
			return err
		}
	}
	api, err := token.New(token.Config{BaseURL: f.api, RootCAs: roots, Logger: log})
	if err != nil {
		return usagef("--api: %v", err)
	}
	// /readyz for a worker: connected to NATS and taking part (Run has
	// started); a worker cut off from NATS fences its sessions, so it is
	// not ready while disconnected.
	var running atomic.Pointer[fleet.Worker]
	metrics, stopMetrics, err := f.metrics.serveFleet(log, func() bool { return nc.IsConnected() && running.Load() != nil })
	if err != nil {
		return err
	}
	defer stopMetrics()
	sess := connector.Config{HeartbeatInterval: f.heartbeat, ReadTimeout: f.readTimeout, Logger: log, AllowPlainText: isPlain(f.api)}
	if roots != nil {
		sess.TLSConfig = tlsFor(roots)
	}
	w, err := fleet.New(fleet.Config{
		Conn: nc, API: api, Session: sess, Name: f.name, Lease: f.lease, MaxSessions: f.maxSessions,
		Stream: fleet.StreamLimits{MaxAge: f.streamMaxAge, MaxBytes: f.streamMaxBytes}, Replicas: f.replicas,
		Getenv: e.getenv, Logger: log, Metrics: metrics,
	})
	if err != nil {
		return usagef("%v", err)
	}
	running.Store(w)
	log.Info("fleet worker starting", slog.String("id", w.ID()), slog.String("nats", nc.ConnectedUrlRedacted()))
	if err := w.Run(ctx); err != nil {
		return err
	}
	return context.Canceled // a stop on request
}

func cmdFleetApply(ctx context.Context, args []string, e env) int {
	var n natsFlags
	fs := newFlagSet(e, "fleet apply", applyHelp)
	n.register(fs, e, "nats://"+fleet.DefaultListen, "the fleet's NATS server `URL`")
	file := fs.String("f", "", "the meetings `FILE` (- = stdin); required")
	noCheck := fs.Bool("no-check", false, "do not check that the credential references resolve on this machine")
	logLevel := fs.String("log-level", "info", "stderr log level: debug, info, warn, error")
	n.args = args
	if done, err := parseFlags(fs, args); done || err != nil {
		return flagOutcome(done, err, e)
	}
	if *file == "" {
		return flagOutcome(false, usagef("-f FILE is required: the meetings to watch"), e)
	}
	if _, err := parseLevel(*logLevel); err != nil {
		return flagOutcome(false, err, e)
	}
	log := newLogger(e.stderr, e.stderrTTY, "auto", *logLevel)
	ms, err := readMeetings(*file, e, !*noCheck)
	if err != nil {
		fmt.Fprintf(e.stderr, "confwatch: %v\n", err)
		return exitUsage
	}
	nc, err := n.connect("confwatch fleet apply", log)
	if err != nil {
		return exitCode(err, log, func(s string) { fmt.Fprint(e.stderr, s) })
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err == nil {
		actx, cancel := context.WithTimeout(ctx, 30*time.Second)
		var a fleet.Applied
		a, err = fleet.Apply(actx, js, ms)
		cancel()
		if err == nil {
			fmt.Fprintf(e.stdout, "added %d, updated %d, removed %d, unchanged %d\n", len(a.Added), len(a.Updated), len(a.Removed), len(a.Unchanged))
		}
	}
	return exitCode(err, log, func(s string) { fmt.Fprint(e.stderr, s) })
}

// readMeetings parses a meetings file and checks its references.
func readMeetings(name string, e env, check bool) ([]fleet.Meeting, error) {
	var r io.Reader = e.stdin
	shown := "stdin"
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r, shown = f, name
	}
	ms, err := fleet.ParseMeetings(shown, r)
	if err != nil {
		return nil, err
	}
	if !check {
		return ms, nil
	}
	var errs []error
	for i, m := range ms {
		if err := m.CheckCredential(e.getenv); err != nil {
			errs = append(errs, fmt.Errorf("%s: entry %d (conference %s): %w", shown, i+1, m.Conference, err))
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w\n(a reference is resolved on the worker's machine; --no-check skips this check)", errors.Join(errs...))
	}
	return ms, nil
}

func tlsFor(roots *x509.CertPool) *tls.Config {
	return &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
}
