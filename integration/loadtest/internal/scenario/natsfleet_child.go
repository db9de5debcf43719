package scenario

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/confwatch/confwatch/connector"
	natsfleet "github.com/confwatch/confwatch/fleet"
	"github.com/confwatch/confwatch/internal/demo"
)

// Child roles of the fleet scenario, given as the first serve argument
// (see ServeMain).
const (
	roleFleetFake   = "fleet-fake"
	roleFleetWorker = "fleet-worker"
)

// fleetMeeting is one meeting of the fleet fake: its ID and host
// password (a fake's; loopback only).
type fleetMeeting struct {
	ID       string `json:"id"`
	Password string `json:"password"`
}

// fakeCounters is the summary of the fake service's counters the fleet
// scenario reads.
type fakeCounters struct {
	Subscribed     int   `json:"subscribed"` // meetings with a subscribed socket now
	Live           int64 `json:"live"`       // sockets open now
	MaxLiveSockets int64 `json:"maxLiveSockets"`
	TokensIssued   int64 `json:"tokensIssued"`
	TokenReuse     int64 `json:"tokenReuse"`
	Sockets        int64 `json:"sockets"`
}

// fleetFakeMain runs internal/demo's multi-meeting fake service for the
// fleet scenario and answers, besides usage:
//
//	meetings                                → ok <[]fleetMeeting as JSON>
//	counters                                → ok <fakeCounters as JSON>
//	flood <n> <mix> <timeout-ms> <id,id,…>  → ok <queued> <elapsed-ns>: n pushes to each listed meeting, all at once
func fleetFakeMain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(roleFleetFake, flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("meetings", 1, "meetings to serve")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := RaiseOpenFileLimit(); err != nil {
		fmt.Fprintln(stderr, err)
	}
	svc, err := demo.NewService(demo.ServiceConfig{Meetings: *n})
	if err != nil {
		fmt.Fprintln(stderr, "scenario: fleet fake:", err)
		return 1
	}
	defer svc.Close()
	return serveLines(serveInfo{URL: svc.URL(), PID: pidSelf()}, stdin, stdout, func(f []string) string {
		return fleetFakeCommand(svc, f)
	})
}

func fleetFakeCommand(svc *demo.Service, f []string) string {
	switch f[0] {
	case "meetings":
		var ms []fleetMeeting
		for _, id := range svc.ConferenceIDs() {
			ms = append(ms, fleetMeeting{ID: id, Password: svc.HostPassword(id)})
		}
		b, _ := json.Marshal(ms)
		return "ok " + string(b)
	case "counters":
		c := svc.Counters()
		out := fakeCounters{MaxLiveSockets: c.MaxLiveSockets, TokensIssued: c.TokensIssued, TokenReuse: c.TokenReuse, Sockets: c.Sockets}
		for _, m := range c.Meetings {
			out.Live += m.LiveSockets
			if m.Subscribed > 0 {
				out.Subscribed++
			}
		}
		b, _ := json.Marshal(out)
		return "ok " + string(b)
	case "flood":
		return fleetFlood(svc, f)
	}
	return "err unknown command " + strconv.Quote(f[0])
}

// fleetFlood floods every listed meeting at once, each from its own
// goroutine, and returns when all are done.
func fleetFlood(svc *demo.Service, f []string) string {
	if len(f) < 5 {
		return "err usage: flood <n> <mix> <timeout-ms> <id,id,...>"
	}
	n, _ := strconv.Atoi(f[1])
	mix, err := parseMix(f[2])
	if err != nil {
		return "err " + err.Error()
	}
	ms, _ := strconv.Atoi(f[3])
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(ms)*time.Millisecond)
	defer cancel()
	start := time.Now()
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		queued int64
		first  error
	)
	for _, id := range strings.Split(f[4], ",") {
		srv := svc.Meeting(id)
		if srv == nil {
			return "err unknown meeting " + strconv.Quote(id)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			q, err := srv.Meeting().Flood(ctx, n, mix)
			mu.Lock()
			defer mu.Unlock()
			queued += q
			if err != nil && first == nil {
				first = err
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return "err " + first.Error()
	}
	return fmt.Sprintf("ok %d %d", queued, time.Since(start).Nanoseconds())
}

// fleetWorkerMain runs one fleet.Worker, as `confwatch fleet` does with
// the same NATS options, and answers, besides usage:
//
//	stats → ok <fleet.Stats as JSON>
//
// It stops the worker gracefully (Run's return: leases released) when
// stdin ends. READY carries the worker's ID.
func fleetWorkerMain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(roleFleetWorker, flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("nats", "", "NATS URL")
	api := fs.String("api", "", "meeting API base URL")
	name := fs.String("name", "worker", "worker name")
	lease := fs.Duration("lease", natsfleet.DefaultLease, "lease")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := RaiseOpenFileLimit(); err != nil {
		fmt.Fprintln(stderr, err)
	}
	nc, err := nats.Connect(*url, nats.Name(*name), nats.ReconnectBufSize(-1), nats.MaxReconnects(-1),
		nats.ReconnectWait(250*time.Millisecond), nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
	if err != nil {
		fmt.Fprintln(stderr, "scenario: fleet worker:", err)
		return 1
	}
	defer nc.Close()
	hc := newHTTPClient()
	defer hc.CloseIdleConnections()
	tc, err := newTokenClient(*api, hc)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	w, err := natsfleet.New(natsfleet.Config{Conn: nc, API: tc, Name: *name, Lease: *lease,
		Session: connector.Config{AllowPlainText: true}})
	if err != nil {
		fmt.Fprintln(stderr, "scenario: fleet worker:", err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	code := serveLines(serveInfo{Worker: w.ID(), PID: pidSelf()}, stdin, stdout, func(f []string) string {
		if f[0] != "stats" {
			return "err unknown command " + strconv.Quote(f[0])
		}
		b, _ := json.Marshal(w.Stats())
		return "ok " + string(b)
	})
	cancel()
	if err := <-done; err != nil {
		fmt.Fprintln(stderr, "scenario: fleet worker:", err)
		return 1
	}
	return code
}

// serveLines prints READY with info, then answers one command per stdin
// line with cmd (usage is answered here) until stdin ends.
func serveLines(info serveInfo, stdin io.Reader, stdout io.Writer, cmd func([]string) string) int {
	b, _ := json.Marshal(info)
	w := bufio.NewWriter(stdout)
	fmt.Fprintf(w, "%s%s\n", readyPrefix, b)
	w.Flush()
	in := bufio.NewScanner(stdin)
	in.Buffer(make([]byte, 64<<10), 1<<20)
	for in.Scan() {
		f := strings.Fields(in.Text())
		var reply string
		switch {
		case len(f) == 0:
			reply = "err empty command"
		case f[0] == "usage":
			cpu, _ := processCPU()
			rss, _ := rssBytes(pidSelf())
			reply = fmt.Sprintf("ok %d %d %d", cpu.Nanoseconds(), rss, runtime.NumGoroutine())
		default:
			reply = cmd(f)
		}
		fmt.Fprintln(w, reply)
		if err := w.Flush(); err != nil {
			return 1
		}
	}
	return 0
}
