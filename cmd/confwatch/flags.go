package main

import (
	"bufio"
	"cmp"
	"crypto/x509"
	"errors"
	"flag"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/secret"
	"github.com/confwatch/confwatch/token"
)

// watchFlags are the flags shared by tail, state and demo.
type watchFlags struct {
	conference       string
	passwordFile     string
	controlTokenFile string
	api              string
	caFile           string
	events           string
	semantic         bool
	format           string
	heartbeat        time.Duration
	readTimeout      time.Duration
	wait             bool
	maxOutage        time.Duration
	logLevel         string
	logFormat        string
	logFile          string
	metrics          metricsFlag

	// Refused on purpose: a secret as a flag value leaks through ps and
	// shell history. They exist so that the refusal can say why.
	password, controlToken string

	// args are the command's arguments, for naming a flag the way the
	// user typed it (see spell).
	args []string
	// held, when set, is where the logs go on their way to stderr, so
	// that a live table can hold them (state).
	held *heldLog
	// nats, when its URL is set, reads the meeting from a fleet's stream
	// (tail and state); since replays that much of it first.
	nats  natsFlags
	since time.Duration
	// set names the flags given on the command line.
	set map[string]bool
}

func (w *watchFlags) register(fs *flag.FlagSet, live bool) {
	if live {
		fs.StringVar(&w.conference, "conference", "", "meeting `ID` (required)")
		fs.StringVar(&w.passwordFile, "password-file", "", "read the host password from `FILE` (- = stdin)")
		fs.StringVar(&w.controlTokenFile, "control-token-file", "", "read a meeting-control token from `FILE` (- = stdin)")
		fs.StringVar(&w.api, "api", token.DefaultBaseURL, "meeting API base `URL`")
		fs.StringVar(&w.caFile, "ca-file", "", "trust the PEM certificates in `FILE` for the API and the socket")
		fs.BoolVar(&w.wait, "wait", false, "keep retrying when the service cannot be reached or refuses the setup, instead of stopping with a hint")
		fs.DurationVar(&w.maxOutage, "max-outage", 0, "give up (exit 1) when no link could be subscribed for this long, e.g. 10m (default: retry for ever)")
		fs.StringVar(&w.password, "password", "", "refused: use CONFWATCH_HOST_PASSWORD or --password-file")
		fs.StringVar(&w.controlToken, "control-token", "", "refused: use CONFWATCH_CONTROL_TOKEN or --control-token-file")
	}
	fs.StringVar(&w.events, "events", "", "comma-separated push `TYPES` to subscribe to and print (default all)")
	fs.StringVar(&w.format, "format", "auto", "stdout `FORMAT`: auto (pretty on a terminal, else json), pretty (the meeting in words), json (one object per line)")
	fs.DurationVar(&w.heartbeat, "heartbeat", 0, "heartbeat interval, below 180s (default 60s)")
	fs.DurationVar(&w.readTimeout, "read-timeout", 0, "declare the link dead after this long without a frame (default 1.5 × heartbeat)")
	fs.StringVar(&w.logLevel, "log-level", "", "log `LEVEL`: debug, info, warn, error (default info; warn while the terminal shows the pretty output, which tells the same)")
	fs.StringVar(&w.logFormat, "log-format", "auto", "log `FORMAT`: auto (coloured text on a terminal, else JSON), text, json")
	fs.StringVar(&w.logFile, "log-file", "", "append logs to `FILE` instead of stderr")
	w.metrics.register(fs)
}

// registerNATS adds --nats, its login flags and --since, for the
// commands that can read a meeting from a fleet instead of its socket.
func (w *watchFlags) registerNATS(fs *flag.FlagSet, e env) {
	w.nats.register(fs, e, "", "read the meeting from the fleet's NATS stream at `URL` instead of its socket: no meeting credentials (see the --nats-* flags)")
	fs.DurationVar(&w.since, "since", 0, "with --nats: first replay what happened in the meeting in the last `DUR`, e.g. 10m (default: start from its current state)")
}

// sessionOnly are the flags that reach the meeting's socket, which --nats
// does not open.
var sessionOnly = []string{"password-file", "control-token-file", "api", "ca-file", "wait", "max-outage", "heartbeat", "read-timeout"}

// checkNATS refuses what --nats and --since cannot do.
func (w *watchFlags) checkNATS() error {
	if w.nats.url == "" {
		for _, name := range []string{"since", "nats-creds", "nats-user", "nats-password-file", "nats-token-file", "nats-ca", "nats-cert", "nats-key"} {
			if w.set[name] {
				return usagef("%s reads a fleet's stream: it needs %s URL, e.g. %s nats://127.0.0.1:4222", w.spell(name), w.spell("nats"), w.spell("nats"))
			}
		}
		return nil
	}
	for _, name := range sessionOnly {
		if w.set[name] {
			return usagef("%s is for the meeting's socket; with %s the meeting is read from the fleet's stream, which needs no meeting credentials: drop %s", w.spell(name), w.spell("nats"), w.spell(name))
		}
	}
	if w.since < 0 {
		return usagef("%s %v: must not be negative, e.g. %s 10m", w.spell("since"), w.since, w.spell("since"))
	}
	return w.nats.check()
}

// registerSemantic adds --semantic, for the commands that print a stream.
func (w *watchFlags) registerSemantic(fs *flag.FlagSet) {
	fs.BoolVar(&w.semantic, "semantic", false, "print high-level changes (joined, hand raised, locked...) instead of raw pushes; pretty always does")
}

// spell is how the user wrote flag name: -name or --name.
func (w *watchFlags) spell(name string) string { return spelled(w.args, name) }

// check validates the flags that do not need I/O. Every refusal shows a
// value that would do.
func (w *watchFlags) check(live bool) error {
	if w.password != "" {
		return usagef("%s is refused: a password on the command line shows in ps and in shell history.\nSet CONFWATCH_HOST_PASSWORD, or use --password-file FILE (- reads stdin).", w.spell("password"))
	}
	if w.controlToken != "" {
		return usagef("%s is refused: a token on the command line shows in ps and in shell history.\nSet CONFWATCH_CONTROL_TOKEN, or use --control-token-file FILE (- reads stdin).", w.spell("control-token"))
	}
	if live && strings.TrimSpace(w.conference) == "" {
		return usagef("%s is required: the meeting ID, e.g. %s 986112045", w.spell("conference"), w.spell("conference"))
	}
	if err := w.checkNATS(); err != nil {
		return err
	}
	switch w.format {
	case "auto", "json", "pretty":
	default:
		return usagef("%s %q: use auto, pretty or json, e.g. %s json", w.spell("format"), w.format, w.spell("format"))
	}
	if _, err := parseLevel(cmp.Or(w.logLevel, "info")); err != nil {
		return usagef("%s %q: use debug, info, warn or error, e.g. %s debug", w.spell("log-level"), w.logLevel, w.spell("log-level"))
	}
	switch w.logFormat {
	case "auto", "text", "json":
	default:
		return usagef("%s %q: use auto, text or json, e.g. %s json", w.spell("log-format"), w.logFormat, w.spell("log-format"))
	}
	if w.heartbeat < 0 || w.heartbeat >= 180*time.Second {
		return usagef("%s %v: must be below 180s (the server closes sockets idle for 180s) and not negative, e.g. %s 60s", w.spell("heartbeat"), w.heartbeat, w.spell("heartbeat"))
	}
	if w.readTimeout < 0 {
		return usagef("%s %v: must not be negative, e.g. %s 90s", w.spell("read-timeout"), w.readTimeout, w.spell("read-timeout"))
	}
	if w.maxOutage < 0 {
		return usagef("%s %v: must not be negative, e.g. %s 10m (0: retry for ever)", w.spell("max-outage"), w.maxOutage, w.spell("max-outage"))
	}
	_, err := w.types()
	return err
}

// types parses --events, refusing names events does not know.
func (w *watchFlags) types() ([]string, error) {
	if strings.TrimSpace(w.events) == "" {
		return nil, nil
	}
	known := map[string]bool{}
	for _, a := range events.KnownActions() {
		known[a] = true
	}
	var out []string
	for _, t := range strings.Split(w.events, ",") {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		if !known[t] {
			return nil, usagef("%s: unknown push type %q; known: %s; e.g. %s ParticipantsNotify,SpeakerChangeNotify",
				w.spell("events"), t, strings.Join(events.KnownActions(), ", "), w.spell("events"))
		}
		out = append(out, t)
	}
	return out, nil
}

// credentials reads the password or control token from the environment or
// the files named by the flags. Exactly one source must give a value; a
// value that is empty or only whitespace is refused, not sent.
func (w *watchFlags) credentials(e env) (password, control secret.Secret, err error) {
	if w.passwordFile != "" {
		if password, err = w.readSecret(e, w.passwordFile, "password-file", "the password"); err != nil {
			return
		}
	} else if password, err = secretFromEnv(e, "CONFWATCH_HOST_PASSWORD"); err != nil {
		return
	}
	if w.controlTokenFile != "" {
		if control, err = w.readSecret(e, w.controlTokenFile, "control-token-file", "the token"); err != nil {
			return
		}
	} else if control, err = secretFromEnv(e, "CONFWATCH_CONTROL_TOKEN"); err != nil {
		return
	}
	if password.IsZero() && control.IsZero() {
		err = usagef("no credentials: set CONFWATCH_HOST_PASSWORD (or --password-file FILE), or CONFWATCH_CONTROL_TOKEN (or --control-token-file FILE)")
	}
	return
}

func secretFromEnv(e env, name string) (secret.Secret, error) {
	v := e.getenv(name)
	if v != "" && strings.TrimSpace(v) == "" {
		return secret.Secret{}, usagef("%s is only whitespace: set it to the secret itself, or unset it", name)
	}
	return secret.New(v), nil
}

// readSecret reads the first line of file (- = stdin) for flag name.
func (w *watchFlags) readSecret(e env, file, name, what string) (secret.Secret, error) {
	flagName := w.spell(name)
	var r io.Reader = e.stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return secret.Secret{}, usagef("%s %s: %s; e.g. %s ~/.meeting-pw, or - to read stdin", flagName, file, fileProblem(err), flagName)
		}
		defer f.Close()
		r = f
	}
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return secret.Secret{}, usagef("%s %s: %s", flagName, file, fileProblem(err))
	}
	v := strings.TrimRight(line, "\r\n")
	if strings.TrimSpace(v) == "" {
		return secret.Secret{}, usagef("%s %s: the file is empty or its first line is only whitespace; put %s on the first line", flagName, file, what)
	}
	return secret.New(v), nil
}

// fileProblem says why a file could not be read, without the path the
// caller already names.
func fileProblem(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// rootCAs loads --ca-file.
func (w *watchFlags) rootCAs() (*x509.CertPool, error) {
	if w.caFile == "" {
		return nil, nil
	}
	name := w.spell("ca-file")
	pem, err := os.ReadFile(w.caFile)
	if err != nil {
		return nil, usagef("%s %s: %s; e.g. %s ca.pem (PEM certificates)", name, w.caFile, fileProblem(err), name)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, usagef("%s %s: no PEM certificate found; the file must hold -----BEGIN CERTIFICATE----- blocks", name, w.caFile)
	}
	return pool, nil
}
