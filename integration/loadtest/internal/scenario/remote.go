package scenario

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/confwatch/confwatch/integration/fakemeeting"
)

// SpawnFunc returns the command that runs ServeMain with args in a child
// process (the load command re-runs itself with -scenario serve; tests
// re-run the test binary). The caller starts and reaps it.
type SpawnFunc func(ctx context.Context, args []string) *exec.Cmd

// remoteFake is a fakemeeting.Server in a child process, driven over the
// child's stdin and stdout. Calls are serialized: one command at a time.
type remoteFake struct {
	cmd  *exec.Cmd
	info serveInfo

	mu     sync.Mutex
	stdin  io.WriteCloser
	lines  *bufio.Scanner
	exited chan struct{} // closed when the child has been reaped
	err    error         // the child's exit status, valid after exited
}

// startRemote spawns a fake and waits for its READY line.
func startRemote(ctx context.Context, spawn SpawnFunc, a serveArgs) (*remoteFake, error) {
	return startChild(ctx, spawn, a.list())
}

// startChild spawns a child in serve mode with args and waits for its
// READY line.
func startChild(ctx context.Context, spawn SpawnFunc, args []string) (*remoteFake, error) {
	if spawn == nil {
		return nil, errors.New("scenario: start fake: no Spawn function")
	}
	cmd := spawn(ctx, args)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("scenario: start fake: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("scenario: start fake: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("scenario: start fake: %w", err)
	}
	r := &remoteFake{cmd: cmd, stdin: stdin, lines: bufio.NewScanner(stdout), exited: make(chan struct{})}
	r.lines.Buffer(make([]byte, 64<<10), 1<<20)
	// Reaping happens in Close; until then the READY line is awaited with
	// a bound so that a child that hangs at start cannot hang the scenario.
	ready := make(chan error, 1)
	go func() {
		if !r.lines.Scan() {
			ready <- fmt.Errorf("scenario: start fake: no READY line: %v", r.lines.Err())
			return
		}
		line, ok := strings.CutPrefix(r.lines.Text(), readyPrefix)
		if !ok {
			ready <- fmt.Errorf("scenario: start fake: unexpected first line %q", r.lines.Text())
			return
		}
		ready <- json.Unmarshal([]byte(line), &r.info)
	}()
	t := time.NewTimer(30 * time.Second)
	defer t.Stop()
	select {
	case err = <-ready:
	case <-t.C:
		err = errors.New("scenario: start fake: no READY line within 30s")
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		_ = cmd.Process.Kill()
		stdin.Close()
		<-ready // the scanner ends once the child is gone
		_ = cmd.Wait()
		return nil, err
	}
	go func() {
		r.err = cmd.Wait()
		close(r.exited)
	}()
	return r, nil
}

func (r *remoteFake) URL() string          { return r.info.URL }
func (r *remoteFake) ConferenceID() string { return r.info.ConferenceID }
func (r *remoteFake) Password() string     { return r.info.Password }
func (r *remoteFake) PID() int             { return r.info.PID }

// call sends one command and returns the fields of its "ok" reply.
func (r *remoteFake) call(cmd string) ([]string, error) {
	rest, err := r.callRaw(cmd)
	return strings.Fields(rest), err
}

// callRaw sends one command and returns what follows "ok " in its reply.
func (r *remoteFake) callRaw(cmd string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, err := io.WriteString(r.stdin, cmd+"\n"); err != nil {
		return "", fmt.Errorf("scenario: fake %s: %w", firstWord(cmd), err)
	}
	if !r.lines.Scan() {
		return "", fmt.Errorf("scenario: fake %s: child gone: %v", firstWord(cmd), r.lines.Err())
	}
	reply := r.lines.Text()
	if rest, ok := strings.CutPrefix(reply, "ok"); ok {
		return strings.TrimPrefix(rest, " "), nil
	}
	return "", fmt.Errorf("scenario: fake %s: %s", firstWord(cmd), strings.TrimPrefix(reply, "err "))
}

func firstWord(s string) string {
	w, _, _ := strings.Cut(s, " ")
	return w
}

func ms(d time.Duration) int64 { return max(d.Milliseconds(), 1) }

// Flood makes the child push n frames of mix to every subscribed socket
// and returns how many it queued.
func (r *remoteFake) Flood(n int, mix fakemeeting.FloodMix, timeout time.Duration) (int64, error) {
	f, err := r.call(fmt.Sprintf("flood %d %s %d", n, mixName(mix), ms(timeout)))
	if err != nil {
		return 0, err
	}
	if len(f) < 1 {
		return 0, errors.New("scenario: fake flood: short reply")
	}
	return strconv.ParseInt(f[0], 10, 64)
}

// DropAll drops every socket and returns the child's clock reading taken
// just before (the wall clock is shared by both processes).
func (r *remoteFake) DropAll() (time.Time, error) {
	f, err := r.call("drop")
	if err != nil {
		return time.Time{}, err
	}
	if len(f) < 1 {
		return time.Time{}, errors.New("scenario: fake drop: short reply")
	}
	ns, err := strconv.ParseInt(f[0], 10, 64)
	return time.Unix(0, ns), err
}

// Stats returns the child fake's counters.
func (r *remoteFake) Stats() (fakemeeting.Stats, error) {
	var st fakemeeting.Stats
	raw, err := r.callRaw("stats")
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal([]byte(raw), &st); err != nil {
		return st, fmt.Errorf("scenario: fake stats: %w", err)
	}
	return st, nil
}

// WaitSubscribed waits until at least n sockets are subscribed.
func (r *remoteFake) WaitSubscribed(n int, timeout time.Duration) error {
	_, err := r.call(fmt.Sprintf("waitsub %d %d", n, ms(timeout)))
	return err
}

// WaitLive waits until exactly n sockets are open.
func (r *remoteFake) WaitLive(n int, timeout time.Duration) error {
	_, err := r.call(fmt.Sprintf("waitlive %d %d", n, ms(timeout)))
	return err
}

// procUsage is a process's resource use at one moment.
type procUsage struct {
	cpu        time.Duration
	rss        int64
	goroutines int
}

// Usage returns the child's CPU time, RSS and goroutine count.
func (r *remoteFake) Usage() (procUsage, error) {
	f, err := r.call("usage")
	if err != nil {
		return procUsage{}, err
	}
	if len(f) < 3 {
		return procUsage{}, errors.New("scenario: fake usage: short reply")
	}
	cpu, _ := strconv.ParseInt(f[0], 10, 64)
	rss, _ := strconv.ParseInt(f[1], 10, 64)
	g, _ := strconv.Atoi(f[2])
	return procUsage{cpu: time.Duration(cpu), rss: rss, goroutines: g}, nil
}

// Close ends the child: stdin is closed, which makes it close the fake and
// exit; a child that does not exit within 10 s is killed. It always reaps
// the child.
func (r *remoteFake) Close() error {
	r.mu.Lock()
	r.stdin.Close()
	r.mu.Unlock()
	t := time.NewTimer(10 * time.Second)
	defer t.Stop()
	select {
	case <-r.exited:
	case <-t.C:
		_ = r.cmd.Process.Kill()
		<-r.exited
		return errors.New("scenario: fake did not exit within 10s; killed")
	}
	if r.err != nil {
		return fmt.Errorf("scenario: fake exit: %w", r.err)
	}
	return nil
}
