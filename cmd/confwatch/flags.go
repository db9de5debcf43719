package main

import (
	"bufio"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
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
	logLevel         string
	logFormat        string
	metrics          metricsFlag

	// Refused on purpose: a secret as a flag value leaks through ps and
	// shell history. They exist so that the refusal can say why.
	password, controlToken string
}

func (w *watchFlags) register(fs *flag.FlagSet, live bool) {
	if live {
		fs.StringVar(&w.conference, "conference", "", "meeting ID (required)")
		fs.StringVar(&w.passwordFile, "password-file", "", "read the host password from `FILE` (- = stdin)")
		fs.StringVar(&w.controlTokenFile, "control-token-file", "", "read a meeting-control token from `FILE` (- = stdin)")
		fs.StringVar(&w.api, "api", token.DefaultBaseURL, "meeting API base `URL`")
		fs.StringVar(&w.caFile, "ca-file", "", "trust the PEM certificates in `FILE` for the API and the socket")
		fs.StringVar(&w.password, "password", "", "refused: use CONFWATCH_HOST_PASSWORD or --password-file")
		fs.StringVar(&w.controlToken, "control-token", "", "refused: use CONFWATCH_CONTROL_TOKEN or --control-token-file")
	}
	fs.StringVar(&w.events, "events", "", "comma-separated push `TYPES` to subscribe to and print (default all)")
	fs.BoolVar(&w.semantic, "semantic", false, "print high-level changes (joined, hand raised, locked...) instead of raw pushes")
	fs.StringVar(&w.format, "format", "json", "stdout format: json (one object per line) or pretty")
	fs.DurationVar(&w.heartbeat, "heartbeat", 0, "heartbeat interval (default 60s, below 180s)")
	fs.DurationVar(&w.readTimeout, "read-timeout", 0, "declare the link dead after this long without a frame (default 1.5 × heartbeat)")
	fs.StringVar(&w.logLevel, "log-level", "info", "stderr log level: debug, info, warn, error")
	fs.StringVar(&w.logFormat, "log-format", "auto", "stderr log format: auto (coloured text on a terminal, else JSON), text, json")
	w.metrics.register(fs)
}

// check validates the flags that do not need I/O.
func (w *watchFlags) check(live bool) error {
	if w.password != "" {
		return usagef("--password is refused: a password on the command line shows in ps and in shell history.\nSet CONFWATCH_HOST_PASSWORD, or use --password-file FILE (- reads stdin).")
	}
	if w.controlToken != "" {
		return usagef("--control-token is refused: a token on the command line shows in ps and in shell history.\nSet CONFWATCH_CONTROL_TOKEN, or use --control-token-file FILE (- reads stdin).")
	}
	if live && w.conference == "" {
		return usagef("--conference is required: the meeting ID, e.g. --conference 986112045")
	}
	if w.format != "json" && w.format != "pretty" {
		return usagef("--format %q: use json or pretty", w.format)
	}
	if _, err := parseLevel(w.logLevel); err != nil {
		return err
	}
	switch w.logFormat {
	case "auto", "text", "json":
	default:
		return usagef("--log-format %q: use auto, text or json", w.logFormat)
	}
	if w.heartbeat < 0 || w.heartbeat >= 180*time.Second {
		return usagef("--heartbeat %v: must be below 180s (the server closes sockets idle for 180s)", w.heartbeat)
	}
	if w.readTimeout < 0 {
		return usagef("--read-timeout must not be negative")
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
			return nil, usagef("--events: unknown push type %q; known: %s", t, strings.Join(events.KnownActions(), ", "))
		}
		out = append(out, t)
	}
	return out, nil
}

// credentials reads the password or control token from the environment or
// the files named by the flags. Exactly one source must give a value.
func (w *watchFlags) credentials(e env) (password, control secret.Secret, err error) {
	read := func(name, flagName string) (secret.Secret, error) {
		var r io.Reader
		if name == "-" {
			r = e.stdin
		} else {
			f, err := os.Open(name)
			if err != nil {
				return secret.Secret{}, fmt.Errorf("%s: %w", flagName, err)
			}
			defer f.Close()
			r = f
		}
		line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return secret.Secret{}, fmt.Errorf("%s: %w", flagName, err)
		}
		v := strings.TrimRight(line, "\r\n")
		if v == "" {
			return secret.Secret{}, usagef("%s %s: the file is empty", flagName, name)
		}
		return secret.New(v), nil
	}
	if w.passwordFile != "" {
		if password, err = read(w.passwordFile, "--password-file"); err != nil {
			return
		}
	} else if v := e.getenv("CONFWATCH_HOST_PASSWORD"); v != "" {
		password = secret.New(v)
	}
	if w.controlTokenFile != "" {
		if control, err = read(w.controlTokenFile, "--control-token-file"); err != nil {
			return
		}
	} else if v := e.getenv("CONFWATCH_CONTROL_TOKEN"); v != "" {
		control = secret.New(v)
	}
	if password.IsZero() && control.IsZero() {
		err = usagef("no credentials: set CONFWATCH_HOST_PASSWORD (or --password-file FILE), or CONFWATCH_CONTROL_TOKEN (or --control-token-file FILE)")
	}
	return
}

// rootCAs loads --ca-file.
func (w *watchFlags) rootCAs() (*x509.CertPool, error) {
	if w.caFile == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(w.caFile)
	if err != nil {
		return nil, fmt.Errorf("--ca-file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, usagef("--ca-file %s: no PEM certificate found", w.caFile)
	}
	return pool, nil
}

// parseFlags parses args with fs, turning flag errors into usage errors.
// It reports done when --help was asked for.
func parseFlags(fs *flag.FlagSet, args []string) (done bool, err error) {
	help := fs.Usage
	fs.Usage = func() {} // the flag package calls it on every error
	err = fs.Parse(args)
	fs.Usage = help
	if errors.Is(err, flag.ErrHelp) {
		help()
		return true, nil
	}
	if err != nil {
		return false, &usageError{redactFlagError(err.Error())}
	}
	if fs.NArg() > 0 {
		return false, usagef("unexpected argument %s (every flag takes its value as --flag VALUE or --flag=VALUE)", quoteArg(fs.Arg(0)))
	}
	return false, nil
}

// invalidValue matches the flag package's `invalid value "X" for flag -f`
// so that X, which may be a secret typed into the wrong flag, is dropped.
var invalidValue = regexp.MustCompile(`invalid value ".*" for flag`)

func redactFlagError(msg string) string {
	return invalidValue.ReplaceAllString(msg, "invalid value for flag")
}
