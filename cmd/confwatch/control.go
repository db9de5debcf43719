package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/confwatch/confwatch/secret"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/confwatch/confwatch/control"
	"github.com/confwatch/confwatch/token"
)

// exitPermission is control's exit code when the control token may not do
// what was asked (not host, a co-host acting on the host).
const exitPermission = 4

const controlHelp = `Usage: confwatch control ACTION --conference ID [--participant PID[,PID…] | --name NAME] [flags]

Acts on the meeting through its meeting-control REST calls, with the same
credentials as tail. Prints what was done on stdout (info: the meeting's
real-time state as JSON). --name looks the participant up in the real-time
info and refuses a name that is ambiguous or unknown, listing the
candidates. --dry-run prints the request instead of sending it (the lookup
--name needs is still made).

Actions:
  mute, unmute                 one participant
  mute-all [--allow-unmute=false], unmute-all
  lock, unlock
  record-start, record-stop
  rename --to NAME             one participant
  admit                        --participant PID (from the waiting room) or --all
  waiting-room                 move participants to the waiting room
  raise-hand, lower-hand       participants, or --all
  hang-up                      participants
  invite --invite-name NAME --phone NUMBER [--type TYPE] [--as-host]
  set-host, release-host       one participant
  cohost, uncohost             one participant
  extend --by DURATION         e.g. --by 30m (whole minutes, rounded up)
  end                          end the meeting for everyone
  info                         print who is there, as JSON

Examples:
  CONFWATCH_HOST_PASSWORD=604117 confwatch control lower-hand --conference 986112045 --name "Zhang Min"
  confwatch control admit --conference 986112045 --password-file ~/.meeting-pw --all
  confwatch control mute-all --conference 986112045 --allow-unmute=false --dry-run

Exit codes: 0 done, 1 runtime failure, 2 usage error (also an unknown or
ambiguous --name), 3 credentials rejected, 4 permission denied.
`

// targetKind says whom an action takes.
type targetKind int

const (
	noTarget    targetKind = iota
	oneTarget              // exactly one participant: --participant PID or --name
	manyTargets            // one or more: --participant PID,PID or --name
	handTargets            // manyTargets, or --all
	waitingOne             // --participant PID of a waiting member, or --all
)

// controlFlags are control's flags; w holds the credential flags it shares
// with tail.
type controlFlags struct {
	w                          watchFlags
	participant, name          string
	all, dryRun                bool
	to, phone, inviteName, typ string
	asHost, allowUnmute        bool
	by                         time.Duration
}

func (f *controlFlags) register(fs *flag.FlagSet) {
	w := &f.w
	fs.StringVar(&w.conference, "conference", "", "meeting ID (required)")
	fs.StringVar(&w.passwordFile, "password-file", "", "read the host password from `FILE` (- = stdin)")
	fs.StringVar(&w.controlTokenFile, "control-token-file", "", "read a meeting-control token from `FILE` (- = stdin)")
	fs.StringVar(&w.api, "api", token.DefaultBaseURL, "meeting API base `URL`")
	fs.StringVar(&w.caFile, "ca-file", "", "trust the PEM certificates in `FILE` for the API")
	fs.StringVar(&w.password, "password", "", "refused: use CONFWATCH_HOST_PASSWORD or --password-file")
	fs.StringVar(&w.controlToken, "control-token", "", "refused: use CONFWATCH_CONTROL_TOKEN or --control-token-file")
	fs.StringVar(&w.logLevel, "log-level", "warn", "stderr log level: debug, info, warn, error")
	fs.StringVar(&w.logFormat, "log-format", "auto", "stderr log format: auto (coloured text on a terminal, else JSON), text, json")
	w.format = "json"
	fs.StringVar(&f.participant, "participant", "", "participant `PID` (comma-separated for actions on several)")
	fs.StringVar(&f.name, "name", "", "participant display `NAME`, looked up in the real-time info")
	fs.BoolVar(&f.all, "all", false, "every participant (raise-hand, lower-hand) or everyone waiting (admit)")
	fs.BoolVar(&f.dryRun, "dry-run", false, "print the request (method, URL, body; no secret) instead of sending it")
	fs.StringVar(&f.to, "to", "", "rename: the new display `NAME`")
	fs.StringVar(&f.inviteName, "invite-name", "", "invite: the invitee's display `NAME`")
	fs.StringVar(&f.phone, "phone", "", "invite: SIP or mobile `NUMBER`")
	fs.StringVar(&f.typ, "type", "normal", "invite: terminal `TYPE` (normal, terminal, outside, mobile, ideahub, board, hwvision)")
	fs.BoolVar(&f.asHost, "as-host", false, "invite: join the invitee as host")
	fs.BoolVar(&f.allowUnmute, "allow-unmute", true, "mute-all: guests may unmute themselves")
	fs.DurationVar(&f.by, "by", 0, "extend: how much longer, e.g. 30m")
}

func cmdControl(ctx context.Context, args []string, e env) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fmt.Fprint(e.stdout, controlHelp)
			return exitOK
		}
		fmt.Fprintf(e.stderr, "confwatch: control needs an action first, one of: %s\nRun \"confwatch control --help\" for usage.\n", actionNames())
		return exitUsage
	}
	name := args[0]
	act, ok := ctlActions[name]
	if !ok {
		fmt.Fprintf(e.stderr, "confwatch: control: unknown action %s; known: %s\n", quoteArg(name), actionNames())
		return exitUsage
	}
	var f controlFlags
	fs := newFlagSet(e, "control "+name, controlHelp)
	f.register(fs)
	if done, err := parseFlags(fs, args[1:]); done || err != nil {
		return flagOutcome(done, err, e)
	}
	if err := f.check(name, act); err != nil {
		return flagOutcome(false, err, e)
	}
	log := newLogger(e.stderr, e.stderrTTY, f.w.logFormat, f.w.logLevel)
	err := runControl(ctx, &f, name, act, e, log)
	return controlExit(err, log, e.stderr)
}

// check validates the flags of action name.
func (f *controlFlags) check(name string, act ctlAction) error {
	if err := f.w.check(true); err != nil {
		return err
	}
	pids := splitIDs(f.participant)
	if len(pids) > 0 && f.name != "" {
		return usagef("give --participant or --name, not both")
	}
	if err := targetRules[act.targets](name, f, len(pids)); err != nil {
		return err
	}
	return f.checkValues(name)
}

// targetRules check --participant (n pids), --name and --all per
// targetKind.
var targetRules = map[targetKind]func(name string, f *controlFlags, n int) error{
	noTarget: func(name string, f *controlFlags, n int) error {
		if n > 0 || f.name != "" || f.all {
			return usagef("%s takes no --participant, --name or --all", name)
		}
		return nil
	},
	oneTarget: func(name string, f *controlFlags, n int) error {
		if n > 1 {
			return usagef("%s acts on one participant; --participant lists %d", name, n)
		}
		return someTargets(name, f, n)
	},
	manyTargets: someTargets,
	handTargets: func(name string, f *controlFlags, n int) error {
		if count(n > 0, f.name != "", f.all) != 1 {
			return usagef("%s needs one of --participant PID[,PID…], --name NAME or --all", name)
		}
		return nil
	},
	waitingOne: func(_ string, f *controlFlags, n int) error {
		if f.name != "" {
			return usagef("admit takes --participant PID, not --name: waiting-room members are not in the real-time info; " +
				"their pids are in WaitingListNotify (confwatch tail --events WaitingListNotify)")
		}
		if (n > 0) == f.all || n > 1 {
			return usagef("admit needs --participant PID (one) or --all")
		}
		return nil
	},
}

func someTargets(name string, f *controlFlags, n int) error {
	if n == 0 && f.name == "" {
		return usagef("%s needs --participant PID or --name NAME", name)
	}
	if f.all {
		return usagef("%s takes no --all", name)
	}
	return nil
}

// checkValues checks the flags only some actions take.
func (f *controlFlags) checkValues(name string) error {
	switch {
	case name == "rename" && strings.TrimSpace(f.to) == "":
		return usagef("rename needs --to NAME")
	case name == "invite" && (strings.TrimSpace(f.inviteName) == "" || strings.TrimSpace(f.phone) == ""):
		return usagef("invite needs --invite-name NAME and --phone NUMBER")
	case name == "extend" && f.by <= 0:
		return usagef("extend needs --by DURATION, e.g. --by 30m")
	}
	return nil
}

func count(flags ...bool) int {
	n := 0
	for _, f := range flags {
		if f {
			n++
		}
	}
	return n
}

func splitIDs(s string) []control.ParticipantID {
	var out []control.ParticipantID
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, control.ParticipantID(p))
		}
	}
	return out
}

// runControl builds the client, resolves --name and acts.
func runControl(ctx context.Context, f *controlFlags, name string, act ctlAction, e env, log *slog.Logger) error {
	t, err := liveTarget(&f.w, e, log)
	if err != nil {
		return err
	}
	cfg := control.Config{Tokens: t.tokens, Logger: log}
	if f.dryRun {
		cfg.DryRun = func(r control.Request) { printRequest(e.stdout, f.w.api, r) }
	}
	c, err := control.New(cfg)
	if err != nil {
		return err
	}
	ids := splitIDs(f.participant)
	if f.name != "" {
		id, err := resolveName(ctx, c, f.name)
		if err != nil {
			return err
		}
		ids = []control.ParticipantID{id}
	}
	what, err := act.run(ctx, c, f, ids)
	if err != nil {
		return err
	}
	if f.dryRun && name != "info" {
		fmt.Fprintln(e.stdout, "(dry run: nothing was sent)")
		return nil
	}
	fmt.Fprintln(e.stdout, what)
	return nil
}

// resolveName finds the one online participant called name.
func resolveName(ctx context.Context, c *control.Client, name string) (control.ParticipantID, error) {
	info, err := c.RealTimeInfo(ctx)
	if err != nil {
		return "", err
	}
	list := func(ps []control.Participant) string {
		s := make([]string, len(ps))
		for i, p := range ps {
			s[i] = fmt.Sprintf("%q (--participant %s)", p.Name, p.ID)
		}
		return strings.Join(s, ", ")
	}
	switch found := info.Named(name); len(found) {
	case 1:
		return found[0].ID, nil
	case 0:
		var near []control.Participant
		for _, p := range info.Participants {
			if strings.Contains(strings.ToLower(p.Name), strings.ToLower(strings.TrimSpace(name))) {
				near = append(near, p)
			}
		}
		if len(near) == 0 {
			return "", usagef("--name %q: nobody of that name is in the meeting (%d online)", name, len(info.Participants))
		}
		return "", usagef("--name %q: nobody of exactly that name is in the meeting; did you mean %s?", name, list(near))
	default:
		return "", usagef("--name %q is ambiguous: %s", name, list(found))
	}
}

// printRequest prints a dry run's request. The control token is a header
// the Request does not carry; it is shown as REDACTED.
func printRequest(w io.Writer, api string, r control.Request) {
	u, err := url.Parse(strings.TrimSuffix(api, "/") + r.Path)
	if err != nil {
		u = &url.URL{Path: r.Path}
	}
	u.RawQuery = r.Query.Encode()
	fmt.Fprintf(w, "%s %s\nContent-Type: application/json\nX-Conference-Authorization: %s\n", r.Method, u, secret.Redacted)
	if r.Body != nil {
		fmt.Fprintf(w, "\n%s\n", r.Body)
	}
}

// controlExit maps control's outcome to the exit code, logging why.
func controlExit(err error, log *slog.Logger, stderr io.Writer) int {
	switch {
	case err == nil:
		return exitOK
	case isUsage(err):
		fmt.Fprintf(stderr, "confwatch: %v\nRun \"confwatch control --help\" for usage.\n", err)
		return exitUsage
	case errors.Is(err, context.Canceled): // main tells SIGTERM (143) from SIGINT
		log.Info("interrupted")
		return exitInterrupted
	case errors.Is(err, token.ErrCredentialsRejected), errors.Is(err, token.ErrUnauthorized),
		errors.Is(err, token.ErrCannotRenew), errors.Is(err, token.ErrLoginLocked):
		log.Error("credentials rejected: check the meeting ID and the host password (or supply a fresh control token)", slog.Any("err", err))
		return exitCredentials
	case errors.Is(err, token.ErrPermissionDenied):
		log.Error("permission denied: the control token may not do this", slog.Any("err", err))
		return exitPermission
	}
	log.Error("control failed", slog.Any("err", err))
	return exitFailure
}
