package main_test

import (
	"io"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/mattn/go-runewidth"

	"github.com/confwatch/confwatch/integration/fakemeeting"
)

// ttyProc is the binary on a pseudo-terminal: stdout and stderr are the
// terminal, as in an interactive shell.
type ttyProc struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	read chan struct{} // closed when the terminal has nothing more to read
	done chan struct{}
	took time.Duration
}

func startTTY(t *testing.T, cols uint16, env []string, args ...string) *ttyProc {
	t.Helper()
	cmd := exec.Command(binary, args...)
	// A C locale: runewidth (in the binary and here) must not take
	// ambiguous characters as wide.
	cmd.Env = append(os.Environ(), append([]string{"LANG=C.UTF-8", "LC_ALL=C.UTF-8", "COLUMNS="}, env...)...)
	began := time.Now()
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: cols, Rows: 40})
	if err != nil {
		t.Fatal(err)
	}
	p := &ttyProc{cmd: cmd, out: newSyncBuffer(), read: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.read)
		io.Copy(p.out, f) // ends with EIO once the process is gone
	}()
	go func() {
		cmd.Wait()
		p.took = time.Since(began)
		close(p.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
		f.Close()
		<-p.read
	})
	return p
}

// exit waits for the process and the last of its output.
func (p *ttyProc) exit(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		t.Fatalf("confwatch did not exit; output:\n%s", p.out.String())
	}
	select {
	case <-p.read:
	case <-time.After(5 * time.Second):
	}
	return p.cmd.ProcessState.ExitCode()
}

// text is the output with the terminal's CRLF made LF.
func (p *ttyProc) text() string { return strings.ReplaceAll(p.out.String(), "\r\n", "\n") }

// resubscribed waits until the fake has accepted n Subscribes in all and
// a socket is subscribed now.
func resubscribed(t *testing.T, f *fakemeeting.Server, n int64) {
	t.Helper()
	if err := f.WaitFor(ctx(t), func(s fakemeeting.Stats) bool { return s.Subscribes-s.SubscribesFailed >= n && s.Subscribed >= 1 }); err != nil {
		t.Fatalf("waiting for Subscribe #%d: %v", n, err)
	}
}

func waitOutput(t *testing.T, what string, out func() string, cond func(string) bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond(out()) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; output:\n%s", what, out())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestDemoOnATerminal is the README's first command as a person runs it:
// on a terminal the demo tells the meeting in words, names people, shows
// the drop and what changed meanwhile, and ends within 20 s.
func TestDemoOnATerminal(t *testing.T) {
	p := startTTY(t, 100, nil, "demo")
	if code := p.exit(t); code != 0 {
		t.Fatalf("exit %d, want 0\n%s", code, p.text())
	}
	out := p.text()
	if p.took > 20*time.Second {
		t.Errorf("the demo took %v at the default speed, want at most 20 s", p.took)
	}
	for _, want := range []string{
		"status   subscribed", "present  2 in the meeting", "Li Wei (host)", "Meeting Room 3F (muted)",
		"Zhang Min joined", "speaking: Li Wei", "Zhang Min raised a hand", "Chen Jie was muted",
		"speaking: Zhang Min, Li Wei", "Chen Jie started sharing", "recording started", "meeting locked",
		"Guest Wang is waiting in the waiting room", "status   disconnected", "status   resubscribed after",
		"Zhang Min raised a hand (while disconnected)", "Chen Jie is now called Chen Jie (presenting)",
		"nobody is speaking", "meeting unlocked", "Meeting Room 3F left", "the meeting ended", "status   ended",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the demo did not show %q", want)
		}
	}
	for _, bad := range []string{`{"time"`, "pid-", "pinfoMap"} {
		if strings.Contains(out, bad) {
			t.Errorf("the demo printed %q on a terminal", bad)
		}
	}
	// The pretty lines tell it in the order it happened.
	order := []string{"Zhang Min joined", "meeting locked", "status   disconnected", "status   resubscribed", "(while disconnected)", "Meeting Room 3F left", "status   ended"}
	last := -1
	for _, s := range order {
		i := strings.Index(out, s)
		if i < last {
			t.Errorf("%q came before what precedes it in %v", s, order)
		}
		last = i
	}
	if t.Failed() {
		t.Logf("took %v; output:\n%s", p.took, out)
	}
}

// ansiSeq matches the escape sequences a terminal program writes.
var ansiSeq = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

// lastFrame is what the final redraw of a live table showed.
func lastFrame(out string) string {
	frames := strings.Split(out, "\x1b[H\x1b[2J")
	return frames[len(frames)-1]
}

// TestStateOnATerminalFitsAndAligns runs `state` on an 80-column terminal
// with CJK names and emoji: every line fits, the columns line up by
// display width, and a log line raised while the table is live shows
// under the table, never inside it.
func TestStateOnATerminalFitsAndAligns(t *testing.T) {
	f := newFake(t, fakemeeting.Config{
		Title: "平台周会 — a title long enough that it cannot possibly fit in one line of eighty columns",
		Participants: []fakemeeting.Person{
			{Name: "张伟", Role: fakemeeting.RoleHost, Hand: true},
			{Name: "Zhang Min", Muted: true},
			{Name: "欧阳娜娜 (会议室 3F，北京总部大楼)", Video: true, Hand: true},
			{Name: "🎉 Party Room", Muted: true},
		},
	})
	p := startTTY(t, 80, []string{"CONFWATCH_HOST_PASSWORD=" + canaryPassword},
		"state", "--conference", f.ConferenceID(), "--api", f.URL(), "--refresh", "50ms")
	if err := f.WaitSubscribed(ctx(t), 1); err != nil {
		t.Fatal(err)
	}
	waitOutput(t, "the table", p.text, func(s string) bool { return strings.Contains(lastFrame(s), "Party Room") })
	f.Faults().DropAll() // a warning is logged while the table is live
	waitOutput(t, "the log under the table", p.text, func(s string) bool { return strings.Contains(lastFrame(s), "disconnected") })
	resubscribed(t, f, 2)
	waitOutput(t, "the table after the drop", p.text, func(s string) bool {
		return strings.Contains(lastFrame(s), "[live]") && strings.Contains(lastFrame(s), "Party Room")
	})
	if err := f.Meeting().End(t.Context()); err != nil {
		t.Fatal(err)
	}
	if code := p.exit(t); code != 0 {
		t.Fatalf("exit %d\n%s", code, p.text())
	}
	out := p.text()
	checkFrames(t, out, 80, "平台周会")
	checkColumns(t, lastFrame(out))
	if after := out[strings.LastIndex(out, "\x1b[2J"):]; !strings.Contains(after, "status   ended") {
		t.Errorf("the end is not told below the table:\n%s", after)
	}
	if t.Failed() {
		t.Logf("the whole output:\n%q", out)
	} else if testing.Verbose() {
		t.Logf("last frame:\n%s", lastFrame(out))
	}
}

// checkFrames: every redraw starts with the title (nothing was written
// into the table between two redraws) and no line is wider than width.
func checkFrames(t *testing.T, out string, width int, title string) {
	t.Helper()
	for i, fr := range strings.Split(out, "\x1b[H\x1b[2J")[1:] {
		if !strings.HasPrefix(fr, title) && !strings.HasPrefix(fr, "connecting") {
			t.Errorf("frame %d does not start with the title:\n%s", i+1, fr)
		}
		for _, l := range strings.Split(ansiSeq.ReplaceAllString(fr, ""), "\n") {
			if w := runewidth.StringWidth(l); w > width {
				t.Errorf("frame %d: a line of %d columns: %q", i+1, w, l)
			}
		}
	}
}

// checkColumns: in the roster of frame, the roles and raised hands start
// at the display column of their header, whatever the names before them;
// the long name is elided and both hands show.
func checkColumns(t *testing.T, frame string) {
	t.Helper()
	table := strings.Split(ansiSeq.ReplaceAllString(frame, ""), "\n")
	header := slices.IndexFunc(table, func(l string) bool { return strings.HasPrefix(l, "NAME") })
	if header < 0 || len(table) < header+5 {
		t.Fatalf("no roster in the frame:\n%s", frame)
	}
	col := func(l, what string) int {
		if i := strings.Index(l, what); i >= 0 {
			return runewidth.StringWidth(l[:i])
		}
		return -1
	}
	want := map[string]int{"host": col(table[header], "ROLE"), "ordinary": col(table[header], "ROLE"), "✋": col(table[header], "HAND")}
	for _, l := range table[header+1 : header+5] {
		for mark, c := range want {
			if got := col(l, mark); got >= 0 && got != c {
				t.Errorf("%q is at column %d, its header at %d: %q", mark, got, c, l)
			}
		}
		if strings.HasPrefix(l, "欧阳娜娜") && !strings.Contains(l, "…") {
			t.Errorf("the long name was not elided: %q", l)
		}
	}
	if n := strings.Count(frame, "✋"); n != 2 {
		t.Errorf("%d raised hands, want 2", n)
	}
}

// TestSignalsExitCodes: SIGINT exits 130, SIGTERM 143, each after a final
// record, with the socket closed.
func TestSignalsExitCodes(t *testing.T) {
	for sig, want := range map[syscall.Signal]int{syscall.SIGINT: 130, syscall.SIGTERM: 143} {
		t.Run(sig.String(), func(t *testing.T) {
			f := newFake(t, fakemeeting.Config{})
			p := start(t, []string{"CONFWATCH_HOST_PASSWORD=" + canaryPassword}, "tail", "--conference", f.ConferenceID(), "--api", f.URL())
			if err := f.WaitSubscribed(ctx(t), 1); err != nil {
				t.Fatal(err)
			}
			p.cmd.Process.Signal(sig)
			if code := p.exit(t); code != want {
				t.Fatalf("exit %d after %v, want %d\n%s", code, sig, want, p.stderr.String())
			}
			ls := lines(t, p.stdout.String())
			end := ls[len(ls)-1]
			if end.Kind != "status" || end.Status != "stopped" || !strings.Contains(end.Reason, "interrupted") || end.ExitCode == nil || *end.ExitCode != want {
				t.Fatalf("last line %+v, want a stopped record of the interrupt with exit code %d", end, want)
			}
			if err := f.WaitLive(ctx(t), 0); err != nil {
				t.Fatalf("socket still open after %v: %v", sig, err)
			}
		})
	}
}
