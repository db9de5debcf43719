package scenario

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/confwatch/confwatch/integration/fakemeeting"
)

// readyPrefix starts the first line a serving child prints: the JSON of
// serveInfo follows it.
const readyPrefix = "READY "

// serveInfo is what a serving child tells its parent on start.
type serveInfo struct {
	URL          string `json:"url"`
	ConferenceID string `json:"conferenceID"`
	Password     string `json:"password"`
	PID          int    `json:"pid"`
	// Worker is a fleet worker child's ID (role fleet-worker).
	Worker string `json:"worker,omitempty"`
}

// serveArgs are the serve mode's flags, also used by Spawn callers to
// build them.
type serveArgs struct {
	participants int
	idle         time.Duration
	sendQueue    int
}

func (a serveArgs) list() []string {
	return []string{
		"-participants", strconv.Itoa(a.participants),
		"-idle", a.idle.String(),
		"-sendqueue", strconv.Itoa(a.sendQueue),
	}
}

// ServeMain runs a fake meeting for a parent process: it starts a
// fakemeeting.Server on 127.0.0.1, prints "READY {json}" with its URL,
// conference ID and host password on stdout, then answers one command per
// stdin line until stdin ends, and closes the fake. It returns the process
// exit code.
//
// Commands (one reply line each, "ok ..." or "err <message>"):
//
//	flood <n> <mixed|participants|speakers> <timeout-ms>  → ok <queued> <elapsed-ns>
//	drop                                                  → ok <unix-ns just before DropAll>
//	stats                                                 → ok <fakemeeting.Stats as JSON>
//	waitsub <n> <timeout-ms>                              → ok
//	waitlive <n> <timeout-ms>                             → ok
//	usage                                                 → ok <cpu-ns> <rss-bytes> <goroutines>
//
// args are the serve flags: -participants (roster size), -idle (the fake's
// heartbeat idle timeout), -sendqueue (frames queued per socket). A first
// argument "fleet-fake" or "fleet-worker" runs instead a child of the fleet
// scenario: the multi-meeting fake service, or one fleet worker (see
// fleetFakeMain and fleetWorkerMain).
func ServeMain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case roleFleetFake:
			return fleetFakeMain(args[1:], stdin, stdout, stderr)
		case roleFleetWorker:
			return fleetWorkerMain(args[1:], stdin, stdout, stderr)
		}
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var a serveArgs
	fs.IntVar(&a.participants, "participants", 50, "participants in the fake's roster")
	fs.DurationVar(&a.idle, "idle", fakemeeting.DefaultIdleTimeout, "the fake's idle timeout (no HeartBeat for this long closes a socket)")
	fs.IntVar(&a.sendQueue, "sendqueue", fakemeeting.DefaultSendQueue, "frames queued per socket")
	cpuProfile := fs.String("cpuprofile", os.Getenv("LOADTEST_FAKE_CPUPROFILE"), "write the fake's CPU profile here")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(stderr, "scenario: serve:", err)
			return 1
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	if err := RaiseOpenFileLimit(); err != nil {
		fmt.Fprintln(stderr, err)
	}
	srv, err := fakemeeting.New(fakemeeting.Config{
		Participants: roster(a.participants),
		IdleTimeout:  a.idle,
		SendQueue:    a.sendQueue,
	})
	if err != nil {
		fmt.Fprintln(stderr, "scenario: serve:", err)
		return 1
	}
	defer srv.Close()
	info, _ := json.Marshal(serveInfo{URL: srv.URL(), ConferenceID: srv.ConferenceID(), Password: srv.HostPassword(), PID: pidSelf()})
	w := bufio.NewWriter(stdout)
	fmt.Fprintf(w, "%s%s\n", readyPrefix, info)
	w.Flush()

	in := bufio.NewScanner(stdin)
	for in.Scan() {
		reply := serveCommand(srv, strings.Fields(in.Text()))
		fmt.Fprintln(w, reply)
		if err := w.Flush(); err != nil {
			return 1
		}
	}
	return 0
}

// serveCommand runs one command line and returns its reply line.
func serveCommand(srv *fakemeeting.Server, f []string) string {
	if len(f) == 0 {
		return "err empty command"
	}
	num := func(i int) int {
		if i >= len(f) {
			return 0
		}
		n, _ := strconv.Atoi(f[i])
		return n
	}
	timeoutCtx := func(i int) (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.Background(), time.Duration(num(i))*time.Millisecond)
	}
	switch f[0] {
	case "flood":
		mix, err := parseMix(f[min(2, len(f)-1)])
		if err != nil {
			return "err " + err.Error()
		}
		ctx, cancel := timeoutCtx(3)
		defer cancel()
		start := time.Now()
		queued, err := srv.Meeting().Flood(ctx, num(1), mix)
		if err != nil {
			return "err " + err.Error()
		}
		return fmt.Sprintf("ok %d %d", queued, time.Since(start).Nanoseconds())
	case "drop":
		at := time.Now().UnixNano()
		srv.Faults().DropAll()
		return fmt.Sprintf("ok %d", at)
	case "stats":
		b, _ := json.Marshal(srv.Stats())
		return "ok " + string(b)
	case "waitsub", "waitlive":
		ctx, cancel := timeoutCtx(2)
		defer cancel()
		var err error
		if f[0] == "waitsub" {
			err = srv.WaitSubscribed(ctx, num(1))
		} else {
			err = srv.WaitLive(ctx, num(1))
		}
		if err != nil {
			return "err " + err.Error()
		}
		return "ok"
	case "usage":
		cpu, _ := processCPU()
		rss, _ := rssBytes(pidSelf())
		return fmt.Sprintf("ok %d %d %d", cpu.Nanoseconds(), rss, runtime.NumGoroutine())
	}
	return "err unknown command " + strconv.Quote(f[0])
}

func parseMix(s string) (fakemeeting.FloodMix, error) {
	switch s {
	case "mixed":
		return fakemeeting.FloodMixed, nil
	case "participants":
		return fakemeeting.FloodParticipants, nil
	case "speakers":
		return fakemeeting.FloodSpeakers, nil
	}
	return 0, errors.New("unknown mix " + strconv.Quote(s))
}

func mixName(m fakemeeting.FloodMix) string {
	switch m {
	case fakemeeting.FloodParticipants:
		return "participants"
	case fakemeeting.FloodSpeakers:
		return "speakers"
	}
	return "mixed"
}

// roster is a meeting of n participants with varied attributes, so that
// snapshots have a realistic size.
func roster(n int) []fakemeeting.Person {
	people := make([]fakemeeting.Person, n)
	for i := range people {
		people[i] = fakemeeting.Person{
			Name:  fmt.Sprintf("Participant %03d", i+1),
			Muted: i%3 != 0,
			Video: i%2 == 0,
		}
	}
	if n > 0 {
		people[0].Role = fakemeeting.RoleHost
	}
	return people
}
