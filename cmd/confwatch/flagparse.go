package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// newFlagSet returns a flag set that prints nothing by itself: the flag
// package would echo a bad value, which may be a secret typed into the
// wrong flag. parseFlags prints the help when asked and a redacted error
// otherwise.
func newFlagSet(e env, name, help string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprint(e.stderr, help)
		fmt.Fprintln(e.stderr, "\nFlags:")
		printFlags(e.stderr, fs)
		fmt.Fprint(e.stderr, "\n"+exitCodesHelp)
	}
	return fs
}

// printFlags lists fs's flags as they are documented, --name VALUE.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		head := "  --" + f.Name
		if name != "" {
			head += " " + name
		}
		fmt.Fprintf(w, "%s\n    \t%s", head, usage)
		switch f.DefValue {
		case "", "false", "0", "0s":
		default:
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
}

func flagOutcome(done bool, err error, e env) int {
	if done {
		return exitOK
	}
	fmt.Fprintf(e.stderr, "confwatch: %v\nRun with --help for usage.\n", err)
	return exitUsage
}

// parseFlags parses args with fs, turning flag errors into usage errors
// that name the flag as it was typed and show a valid value. It reports
// done when --help was asked for.
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
		return false, &usageError{explainFlagError(fs, args, err)}
	}
	if fs.NArg() > 0 {
		return false, usagef("unexpected argument %s (every flag takes its value as --flag VALUE or --flag=VALUE)", quoteArg(fs.Arg(0)))
	}
	return false, nil
}

// The flag package's errors, which are stable. The value in an invalid
// value error may be a secret typed into the wrong flag: it is never
// echoed.
var (
	undefinedFlag = regexp.MustCompile(`^flag provided but not defined: -(.*)$`)
	invalidValue  = regexp.MustCompile(`(?s)^invalid (?:boolean )?value ".*" for (?:flag )?-([^:]*): `)
	missingValue  = regexp.MustCompile(`^flag needs an argument: -(.*)$`)
	flagName      = regexp.MustCompile(`^[a-z][a-z0-9-]{0,30}$`)
)

// crossHints answer a flag given to the wrong command.
var crossHints = map[string]string{
	"semantic": "semantic changes are printed by confwatch tail --semantic (or demo --semantic)",
	"once":     "--once belongs to confwatch state",
	"refresh":  "--refresh belongs to confwatch state",
	"speed":    "--speed belongs to confwatch demo",
}

// flagExamples are valid values, shown with every refusal of a flag.
var flagExamples = map[string]string{
	"conference": "986112045", "password-file": "~/.meeting-pw", "control-token-file": "~/.meeting-token",
	"api": "https://api.meeting.huaweicloud.com", "ca-file": "ca.pem", "events": "ParticipantsNotify,SpeakerChangeNotify",
	"format": "json", "heartbeat": "60s", "read-timeout": "90s", "max-outage": "10m", "log-level": "debug",
	"log-format": "json", "log-file": "confwatch.log", "refresh": "500ms", "speed": "10",
}

func explainFlagError(fs *flag.FlagSet, args []string, err error) string {
	msg := err.Error()
	if m := undefinedFlag.FindStringSubmatch(msg); m != nil {
		if !flagName.MatchString(m[1]) {
			return fmt.Sprintf("unknown flag (not shown: it does not look like a flag name); run confwatch %s --help for the flags", fs.Name())
		}
		s := fmt.Sprintf("unknown flag %s for confwatch %s", spelled(args, m[1]), fs.Name())
		if h, ok := crossHints[m[1]]; ok {
			return s + ": " + h
		}
		return s + "; run confwatch " + fs.Name() + " --help for the flags"
	}
	if m := invalidValue.FindStringSubmatch(msg); m != nil {
		return badValue(fs, args, m[1], "")
	}
	if m := missingValue.FindStringSubmatch(msg); m != nil {
		return badValue(fs, args, m[1], "needs a value")
	}
	return "bad flag syntax (not shown); flags are written --flag VALUE or --flag=VALUE"
}

// badValue describes a refused value of flag name and gives an example.
func badValue(fs *flag.FlagSet, args []string, name, problem string) string {
	f := fs.Lookup(name)
	if f == nil {
		return "invalid value for a flag (not shown)"
	}
	typed := spelled(args, name)
	kind, _ := flag.UnquoteUsage(f)
	if problem == "" {
		switch kind {
		case "duration":
			problem = "not a duration"
		case "float", "int", "uint":
			problem = "not a number"
		case "":
			problem = "not true or false"
		default:
			problem = "invalid value"
		}
	}
	if kind == "" { // a bool
		return fmt.Sprintf("%s: %s; write %s alone, or %s=false", typed, problem, typed, typed)
	}
	ex := flagExamples[name]
	if ex == "" {
		ex = f.DefValue
	}
	return fmt.Sprintf("%s: %s; e.g. %s %s", typed, problem, typed, ex)
}

// spelled is flag name as args wrote it, -name or --name (--name when it
// is not there).
func spelled(args []string, name string) string {
	for _, a := range args {
		if a == "--" {
			break
		}
		dashes := len(a) - len(strings.TrimLeft(a, "-"))
		if dashes != 1 && dashes != 2 {
			continue
		}
		n, _, _ := strings.Cut(a[dashes:], "=")
		if n == name {
			return a[:dashes] + name
		}
	}
	return "--" + name
}
