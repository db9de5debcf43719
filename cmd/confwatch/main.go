// Command confwatch tails a Huawei Cloud Meeting's meeting-control events
// from a terminal, or from the built-in demo meeting.
//
//	confwatch demo                       # a scripted meeting on the built-in fake
//	confwatch tail --conference 986112045
//	confwatch state --conference 986112045
//	confwatch fleet                      # one worker of a fleet on NATS JetStream
//	confwatch control lower-hand --conference 986112045 --name "Zhang Min"
//	confwatch version
//
// Pushes go to stdout as one JSON object per line; logs and connection
// status go to stderr. Exit codes: 0 the meeting ended or the user
// interrupted, 1 runtime failure, 2 usage error, 3 credentials rejected,
// 4 permission denied (control).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"syscall"
)

// Exit codes.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitCredentials = 3
)

// env is what a command may touch of the outside world; tests replace it.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// tty reports whether stdout and stderr are terminals.
	stdoutTTY, stderrTTY bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := env{
		stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv,
		stdoutTTY: isTerminal(os.Stdout), stderrTTY: isTerminal(os.Stderr),
	}
	os.Exit(run(ctx, os.Args[1:], e))
}

const usage = `confwatch — watch a Huawei Cloud Meeting's control events.

Usage:
  confwatch demo    [flags]               run a scripted meeting on the built-in fake and tail it
  confwatch tail    --conference ID [flags] print the meeting's pushes as JSON lines
  confwatch state   --conference ID [flags] show the live roster and status as a table
  confwatch fleet   [flags]               watch many meetings from many processes on NATS JetStream
  confwatch fleet apply -f FILE           set the meetings a fleet watches
  confwatch demo --serve ADDR             run fake meetings as a service, for fleet trials
  confwatch control ACTION --conference ID  act: mute, admit, lower a hand, lock, record, end…
  confwatch version                        print the version

Run "confwatch COMMAND --help" for a command's flags and examples.

Credentials (never as flag values: they would show in ps and shell history):
  CONFWATCH_HOST_PASSWORD=...   or  --password-file FILE   (- reads stdin)
  CONFWATCH_CONTROL_TOKEN=...   or  --control-token-file FILE

Exit codes: 0 meeting ended or interrupted, 1 runtime failure, 2 usage error,
3 credentials rejected, 4 permission denied (control).
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
		fmt.Fprint(e.stdout, usage)
		return exitOK
	}
	fmt.Fprintf(e.stderr, "confwatch: unknown command %s\n\n%s", quoteArg(args[0]), usage)
	return exitUsage
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

// usageError is a mistake on the command line: exit code 2.
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
