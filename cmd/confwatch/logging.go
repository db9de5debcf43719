package main

import (
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/lmittmann/tint"
)

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(s))); err != nil {
		return 0, usagef("--log-level %q: use debug, info, warn or error, e.g. --log-level debug", s)
	}
	return l, nil
}

// newLogger logs to w: coloured text via tint on a terminal, JSON
// otherwise (or as --log-format says).
func newLogger(w io.Writer, tty bool, format, level string) *slog.Logger {
	lvl, _ := parseLevel(level)
	if format == "auto" {
		format = "json"
		if tty {
			format = "tint"
		}
	}
	switch format {
	case "tint":
		return slog.New(tint.NewTextHandler(w, &tint.Options{Level: lvl, TimeFormat: time.TimeOnly}))
	case "text":
		return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lvl}))
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: lvl}))
}

// logger is the command's logger: to --log-file when given (appended to,
// JSON unless --log-format says text), else to stderr, through w.held when
// the command may hold its logs under a live table. The func closes the
// file.
func (w *watchFlags) logger(e env) (*slog.Logger, func(), error) {
	level := w.logLevel
	if level == "" {
		level = "info"
		if w.pretty(e) && e.stdoutTTY && e.stderrTTY && w.logFile == "" {
			level = "warn"
		}
	}
	if w.logFile == "" {
		var out io.Writer = e.stderr
		if w.held != nil {
			out = w.held
		}
		return newLogger(out, e.stderrTTY, w.logFormat, level), func() {}, nil
	}
	f, err := os.OpenFile(w.logFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		name := w.spell("log-file")
		return newLogger(e.stderr, e.stderrTTY, w.logFormat, level), func() {},
			usagef("%s %s: %s; e.g. %s confwatch.log", name, w.logFile, fileProblem(err), name)
	}
	return newLogger(f, false, w.logFormat, level), func() { f.Close() }, nil
}

// maxHeld is how many of the latest log lines show under a live table.
const maxHeld = 5

// heldLog sits between a logger and stderr. Released, it passes writes
// through; held (while a live table owns the terminal), it keeps the
// latest lines for the table to show, so that no log draws into it. It is
// safe for concurrent use.
type heldLog struct {
	mu    sync.Mutex
	out   io.Writer
	held  bool
	lines []string
	wake  chan struct{}
}

func newHeldLog(out io.Writer) *heldLog { return &heldLog{out: out, wake: make(chan struct{}, 1)} }

// ansi matches the colour sequences tint writes.
var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

func (h *heldLog) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.held {
		return h.out.Write(p)
	}
	for _, l := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		h.lines = append(h.lines, terminal(ansi.ReplaceAllString(l, "")))
	}
	if n := len(h.lines); n > maxHeld {
		h.lines = append(h.lines[:0], h.lines[n-maxHeld:]...)
	}
	select {
	case h.wake <- struct{}{}:
	default:
	}
	return len(p), nil
}

// changed is told after each held write.
func (h *heldLog) changed() <-chan struct{} { return h.wake }

// recent returns the latest held lines.
func (h *heldLog) recent() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.lines...)
}

func (h *heldLog) hold() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.held = true
}

// release passes later writes through, below whatever was drawn.
func (h *heldLog) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.held = false
}
