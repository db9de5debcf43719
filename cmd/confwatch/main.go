// Command confwatch tails a Huawei Cloud Meeting's meeting-control events
// from a terminal, or from the built-in demo meeting.
//
//	confwatch demo                       # a scripted meeting on the built-in fake
//	confwatch tail --conference 986112045
//	confwatch state --conference 986112045
//	confwatch fleet                      # one worker of a fleet on NATS JetStream
//	confwatch tail --nats nats://127.0.0.1:4222 --conference 986112045  # from the fleet, no credentials
//	confwatch control lower-hand --conference 986112045 --name "Zhang Min"
//	confwatch version
//
// On a terminal stdout shows the meeting in words; elsewhere it carries
// one JSON object per line, the last of which says how the run ended.
// Logs go to stderr. Exit codes: 0 the meeting ended, 1 runtime failure,
// 2 usage or configuration error, 3 credentials rejected, 4 permission
// denied (control), 130 interrupted (SIGINT), 143 terminated (SIGTERM).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// Exit codes.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitCredentials = 3
	exitInterrupted = 130 // 128 + SIGINT, as a shell reports it
	exitTerminated  = 143 // 128 + SIGTERM
)

// env is what a command may touch of the outside world; tests replace it.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// tty reports whether stdout and stderr are terminals.
	stdoutTTY, stderrTTY bool
	// columns returns the width of the terminal on stdout; nil or 0 means
	// $COLUMNS, else 80.
	columns func() int
}

func main() {
	ctx, stop := notifySignals(context.Background())
	defer stop()
	e := env{
		stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv,
		stdoutTTY: isTerminal(os.Stdout), stderrTTY: isTerminal(os.Stderr),
		columns: func() int { return terminalWidth(os.Stdout) },
	}
	code := run(ctx, os.Args[1:], e)
	// A command that returns a bare cancel exits 130; the cause says
	// whether it was SIGTERM.
	if s, ok := context.Cause(ctx).(signalled); ok && code == exitInterrupted {
		code = s.exitCode()
	}
	os.Exit(code)
}

const usage = `confwatch — watch a Huawei Cloud Meeting's control events.

Usage:
  confwatch demo    [flags]               play a scripted meeting on the built-in fake and tail it
  confwatch tail    --conference ID [flags] follow the meeting: its changes on a terminal, JSON lines otherwise
  confwatch state   --conference ID [flags] show the live roster and status as a table
  confwatch fleet   [flags]               watch many meetings from many processes on NATS JetStream
  confwatch fleet apply -f FILE           set the meetings a fleet watches
  confwatch fleet status                  list the fleet's meetings: owner, state, last event
  confwatch tail --nats URL --conference ID  follow a meeting from a fleet's stream, no credentials
  confwatch demo --serve ADDR             run fake meetings as a service, for fleet trials
  confwatch control ACTION --conference ID  act: mute, admit, lower a hand, lock, record, end…
  confwatch version                        print the version
  confwatch help    COMMAND                show a command's flags and examples

Credentials (never as flag values: they would show in ps and shell history):
  CONFWATCH_HOST_PASSWORD=...   or  --password-file FILE   (- reads stdin)
  CONFWATCH_CONTROL_TOKEN=...   or  --control-token-file FILE

` + exitCodesHelp

const exitCodesHelp = `Exit codes:
  0    the meeting ended (state --once: the picture was printed; control: done)
  1    runtime failure: the setup cannot work (a hint names the flag to check),
       or an outage outlasted --max-outage
  2    usage or configuration error (bad flag, unreadable file, bad certificate file)
  3    credentials rejected
  4    permission denied (control)
  130  interrupted (Ctrl-C, SIGINT); 143 terminated (SIGTERM)
`

func run(ctx context.Context, args []string, e env) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "tail":
		return cmdTail(ctx, args[1:], e)
	case "state":
		return cmdState(ctx, args[1:], e)
	case "demo":
		return cmdDemo(ctx, args[1:], e)
	case "fleet":
		return cmdFleet(ctx, args[1:], e)
	case "control":
		return cmdControl(ctx, args[1:], e)
	case "version", "--version", "-version":
		return cmdVersion(e)
	case "help", "-h", "-help", "--help":
		return cmdHelp(ctx, args[1:], e)
	}
	fmt.Fprintf(e.stderr, "confwatch: unknown command %s\n\n%s", quoteArg(args[0]), usage)
	return exitUsage
}

// cmdHelp prints the general help, or a command's own ("help tail" is
// "tail --help").
func cmdHelp(ctx context.Context, args []string, e env) int {
	if len(args) == 0 {
		fmt.Fprint(e.stdout, usage)
		return exitOK
	}
	if args[0] == "help" || !plainWord.MatchString(args[0]) {
		fmt.Fprintf(e.stderr, "confwatch: help %s: name a command, e.g. confwatch help tail\n", quoteArg(args[0]))
		return exitUsage
	}
	return run(ctx, []string{args[0], "--help"}, e)
}

// plainWord matches what may be echoed back of a mistyped argument: a
// lowercase word such as a misspelt command. Anything else could be a
// secret put in the wrong place ("confwatch --password=… tail"), and the
// error must not print it.
var plainWord = regexp.MustCompile(`^[a-z][a-z-]{0,23}$`)

// quoteArg returns a for an error message, or a description that does not
// repeat it.
func quoteArg(a string) string {
	switch {
	case plainWord.MatchString(a):
		return strconv.Quote(a)
	case strings.HasPrefix(a, "-"):
		return "(a flag before the command: flags go after it)"
	}
	return "(not shown: it does not look like a command name)"
}

// usageError is a mistake on the command line or in the configuration it
// names: exit code 2, told in plain text.
type usageError struct{ msg string }

func (u *usageError) Error() string { return u.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

func isUsage(err error) bool {
	var u *usageError
	return errors.As(err, &u)
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
