package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/confwatch/confwatch/connector"
	"github.com/confwatch/confwatch/integration/fakemeeting"
)

// chromiumPath is where Debian's package chromium installs the browser.
const chromiumPath = "/usr/bin/chromium"

// pageState is what the test reads back from the rendered page: the DOM,
// not the messages, so a rendering bug fails the test.
type pageState struct {
	Banner      string    `json:"banner"`
	BannerState string    `json:"bannerState"`
	Title       string    `json:"title"`
	Locked      bool      `json:"locked"`
	LockedText  string    `json:"lockedText"`
	Recording   bool      `json:"recording"`
	Count       string    `json:"count"`
	Waiting     string    `json:"waiting"`
	CallIn      string    `json:"callIn"`
	Audience    string    `json:"audience"`
	Paused      string    `json:"paused"`
	Images      int       `json:"images"`
	Rows        []pageRow `json:"rows"`
	Captions    []string  `json:"captions"` // "name: text", as shown
}

type pageRow struct {
	PID      string `json:"pid"`
	Name     string `json:"name"`
	Hand     bool   `json:"hand"`
	HandText string `json:"handText"`
	Muted    bool   `json:"muted"`
	Speaking bool   `json:"speaking"`
}

const readPage = `(() => {
  const q = (s) => document.querySelector(s);
  return {
    banner: q("#banner").textContent, bannerState: q("#banner").dataset.state,
    title: q("#title").textContent,
    locked: q("#st-locked").dataset.on === "true", lockedText: q("#st-locked").textContent,
    recording: q("#st-recording").dataset.on === "true",
    count: q("#st-count").textContent,
    waiting: q("#st-waiting").textContent, callIn: q("#st-callin").textContent,
    audience: q("#st-audience").textContent, paused: q("#st-paused").textContent,
    images: document.querySelectorAll("img").length,
    captions: q("#captions").hidden ? [] : [...document.querySelectorAll("#caption-list li")].map((li) =>
      li.querySelector(".who").textContent + ": " + li.querySelector(".said").textContent),
    rows: [...document.querySelectorAll("#roster tbody tr")].map((tr) => ({
      pid: tr.dataset.pid, name: tr.querySelector(".name").textContent,
      hand: tr.dataset.handRaised === "true", handText: tr.children[2].textContent.trim(),
      muted: tr.dataset.muted === "true", speaking: tr.classList.contains("speaking"),
    })),
  };
})()`

func (p pageState) row(pid string) (pageRow, bool) {
	i := slices.IndexFunc(p.Rows, func(r pageRow) bool { return r.PID == pid })
	if i < 0 {
		return pageRow{}, false
	}
	return p.Rows[i], true
}

func (p pageState) names() []string {
	var n []string
	for _, r := range p.Rows {
		n = append(n, r.Name)
	}
	slices.Sort(n)
	return n
}

// browser drives one headless Chromium tab.
type browser struct {
	t       *testing.T
	ctx     context.Context
	dir     string // for screenshots when CONFWATCH_ARTIFACTS is unset
	timings []string
}

// waitFor polls the page until cond holds, then logs and records how long
// it took since start. The limit is generous; the figures are the point.
func (b *browser) waitFor(what string, start time.Time, cond func(pageState) bool) pageState {
	b.t.Helper()
	deadline := time.Now().Add(wait)
	var last pageState
	for {
		st, err := chromedp.Run(b.ctx, chromedp.Evaluate[pageState](readPage))
		if err != nil {
			b.t.Fatalf("%s: reading the page: %v", what, err)
		}
		if cond(st) {
			took := time.Since(start)
			b.t.Logf("%-34s on the page after %v", what, took.Round(time.Millisecond))
			b.timings = append(b.timings, fmt.Sprintf("%s: %v", what, took.Round(time.Millisecond)))
			return st
		}
		last = st
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: not on the page after %v; the page shows %+v", what, wait, last)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// screenshot saves the page as a PNG under $CONFWATCH_ARTIFACTS, or under
// the test's temporary directory, and logs where.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	shot, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100)) // quality 100: PNG
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	dir := os.Getenv("CONFWATCH_ARTIFACTS")
	if dir == "" {
		if b.dir == "" {
			b.dir = b.t.TempDir()
		}
		dir = b.dir
	}
	must(b.t, os.MkdirAll(dir, 0o755))
	path := filepath.Join(dir, name)
	must(b.t, os.WriteFile(path, shot, 0o644))
	b.t.Logf("screenshot: %s", path)
}

// newBrowser starts headless Chromium for t, or skips t without it (fails
// it under CI). The test fails if the page throws; everything stops in
// t's cleanup.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		msg := fmt.Sprintf("the browser test needs Chromium at %s: install the Debian package chromium (apt-get install chromium, or run .ci/ensure-chromium)", chromiumPath)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg) // CI must run it: a skip there would hide a broken page
		}
		t.Skip(msg)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox, // CI runs as root, where Chromium's sandbox cannot start
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true), // containers have a tiny /dev/shm
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1200, 860),
	)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	b := &browser{t: t, ctx: ctx}

	// Start the browser, then collect uncaught exceptions of the page.
	if err := chromedp.Do(ctx); err != nil {
		cancelTab()
		cancelAlloc()
		t.Fatalf("starting Chromium: %v", err)
	}
	consoleCtx, stopConsole := context.WithCancel(ctx)
	var (
		mu         sync.Mutex
		exceptions []string
		consoleWG  sync.WaitGroup
	)
	messages := chromedp.Console(consoleCtx)
	consoleWG.Go(func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() {
				mu.Lock()
				exceptions = append(exceptions, m.String())
				mu.Unlock()
			}
		}
	})
	t.Cleanup(func() {
		stopConsole()
		consoleWG.Wait()
		cancelTab()
		cancelAlloc() // waits for the browser process to exit
		mu.Lock()
		defer mu.Unlock()
		if len(exceptions) > 0 {
			t.Errorf("the page threw: %q", exceptions)
		}
	})
	return b
}

func TestDashboardInChromium(t *testing.T) {
	b := newBrowser(t)
	// A fixed 300 ms backoff: with two refused ws tokens the outage lasts
	// about 0.9 s, so the page has time to show "reconnecting".
	r := startRig(t, fakemeeting.Config{
		Title: "Platform team weekly sync",
		Participants: []fakemeeting.Person{
			{PID: "pid-li-wei", Name: "Li Wei", Role: fakemeeting.RoleHost, Video: true},
			{PID: "pid-room-3f", Name: "Meeting Room 3F", Video: true, Muted: true},
		},
	}, connector.Backoff{Initial: 300 * time.Millisecond, Max: 300 * time.Millisecond, Jitter: connector.NoJitter})
	ctx := b.ctx

	start := time.Now()
	if err := chromedp.Do(ctx, chromedp.Navigate(r.http.URL)); err != nil {
		t.Fatalf("navigate: %v", err)
	}
	st := b.waitFor("initial roster", start, func(p pageState) bool {
		return p.BannerState == "live" && slices.Equal(p.names(), []string{"Li Wei", "Meeting Room 3F"})
	})
	if st.Title != "Platform team weekly sync" || st.Count != "2" || st.Locked ||
		st.Waiting != "Off" || st.CallIn != "Anyone" || st.Audience != "0" || st.Paused != "No" || len(st.Captions) != 0 {
		t.Errorf("initial page: %+v", st)
	}

	step := func(what string, do func() error, cond func(pageState) bool) pageState {
		t.Helper()
		start := time.Now()
		must(t, do())
		return b.waitFor(what, start, cond)
	}
	step("join (Zhang Min)", func() error {
		_, err := r.fake.Meeting().JoinOne(fakemeeting.Person{PID: "pid-zhang-min", Name: "Zhang Min"})
		return err
	}, func(p pageState) bool { _, ok := p.row("pid-zhang-min"); return ok && p.Count == "3" })
	step("hand raise (Zhang Min)", func() error { return r.fake.Meeting().RaiseHand("pid-zhang-min", true) },
		func(p pageState) bool { row, _ := p.row("pid-zhang-min"); return row.Hand && row.HandText == "Raised" })
	step("leave (Meeting Room 3F)", func() error { return r.fake.Meeting().Leave("pid-room-3f") },
		func(p pageState) bool { _, ok := p.row("pid-room-3f"); return !ok && p.Count == "2" })
	step("lock", func() error { return r.fake.Meeting().Lock(true) },
		func(p pageState) bool { return p.Locked && strings.Contains(p.LockedText, "Locked") })
	step("active speaker (Li Wei)", func() error { return r.fake.Meeting().Speakers("pid-li-wei") },
		func(p pageState) bool { row, _ := p.row("pid-li-wei"); return row.Speaking })
	const said = "Li Wei: Let's move on to the release checklist."
	step("caption (Li Wei)", func() error {
		return r.fake.Meeting().Caption("pid-li-wei", "Let's move on to the release checklist.")
	}, func(p pageState) bool { return slices.Equal(p.Captions, []string{said}) })
	step("waiting room on, invited only", func() error {
		must(t, r.fake.Meeting().WaitingRoom(true))
		return r.fake.Meeting().SetCallInRestriction(3)
	}, func(p pageState) bool { return p.Waiting == "On" && p.CallIn == "Invited only" })

	// A name is text, never markup, and so is a caption.
	const evil = `<img src=x onerror="document.title='pwned'">`
	st = step("join with markup in the name", func() error {
		_, err := r.fake.Meeting().JoinOne(fakemeeting.Person{PID: "pid-evil", Name: evil})
		return err
	}, func(p pageState) bool { _, ok := p.row("pid-evil"); return ok })
	if row, _ := st.row("pid-evil"); row.Name != evil || st.Images != 0 {
		t.Errorf("the name %q rendered as %q with %d <img> elements: want the literal text and none", evil, row.Name, st.Images)
	}
	st = step("caption with markup", func() error { return r.fake.Meeting().Caption("pid-evil", evil) },
		func(p pageState) bool { return len(p.Captions) == 2 })
	if want := []string{said, evil + ": " + evil}; !slices.Equal(st.Captions, want) || st.Images != 0 {
		t.Errorf("captions %q with %d <img> elements, want %q and none", st.Captions, st.Images, want)
	}

	// The socket drops; two refused ws tokens keep the session blind for a
	// moment, during which the meeting moves on.
	start = time.Now()
	r.fake.Faults().RefuseWSToken(2, fakemeeting.Refusal{Status: 503})
	r.fake.Faults().DropAll()
	b.waitFor("reconnecting banner", start, func(p pageState) bool {
		return p.BannerState == "reconnecting" && strings.Contains(p.Banner, "Reconnecting")
	})
	b.screenshot("dashboard-reconnecting.png")
	must(t, r.fake.Meeting().Leave("pid-evil"))
	_, err := r.fake.Meeting().JoinOne(fakemeeting.Person{PID: "pid-chen-jie", Name: "Chen Jie", Video: true, Muted: true})
	must(t, err)
	must(t, r.fake.Meeting().RaiseHand("pid-chen-jie", true))
	must(t, r.fake.Meeting().Share("pid-zhang-min", true))
	must(t, r.fake.Meeting().Record(true))
	_, err = r.fake.Meeting().JoinOne(fakemeeting.Person{PID: "pid-viewer", Name: "Viewer", Role: fakemeeting.RoleAudience})
	must(t, err)
	must(t, r.fake.Meeting().Pause(true))
	st = b.waitFor("resynced banner and roster", start, func(p pageState) bool {
		return p.BannerState == "resynced" && strings.Contains(p.Banner, "resynced after") && p.Recording &&
			slices.Equal(p.names(), []string{"Chen Jie", "Li Wei", "Viewer", "Zhang Min"}) &&
			p.Paused == "Paused" && p.Audience == "1"
	})
	// The recovered roster is the fake's own, participant by participant.
	view := r.fake.Meeting().View()
	if len(st.Rows) != len(view.Participants) {
		t.Errorf("page shows %d participants, the meeting has %d", len(st.Rows), len(view.Participants))
	}
	for pid, info := range view.Participants {
		row, ok := st.row(pid)
		if !ok || row.Name != info["NAME"] || row.Hand != (info["HAND"] == "1") || row.Muted != (info["MUTE"] == "1") {
			t.Errorf("participant %s: page %+v, meeting NAME=%q HAND=%q MUTE=%q", pid, row, info["NAME"], info["HAND"], info["MUTE"])
		}
	}
	if !st.Locked || st.Waiting != "On" || st.CallIn != "Invited only" {
		t.Errorf("the lock, waiting room or call-in restriction was lost in the resync: %+v", st)
	}
	// The server repeats the last caption after the new Subscribe: it is
	// not shown twice.
	if want := []string{said, evil + ": " + evil}; !slices.Equal(st.Captions, want) {
		t.Errorf("captions after the resync %q, want %q", st.Captions, want)
	}

	b.screenshot("dashboard-chromium.png")
	t.Logf("latencies: %s", strings.Join(b.timings, "; "))
}
