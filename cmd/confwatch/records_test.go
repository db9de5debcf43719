package main_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/confwatch/confwatch/integration/fakemeeting"
)

// last is the final line of a run's stdout.
func last(t *testing.T, p *proc) Line {
	t.Helper()
	ls := lines(t, p.stdout.String())
	if len(ls) == 0 {
		t.Fatalf("stdout is empty; stderr:\n%s", p.stderr.String())
	}
	return ls[len(ls)-1]
}

// announced waits until the tail's stdout says it subscribed: the fake
// counts a Subscribe when it answers, but only the client's own line shows
// the reply arrived.
func announced(t *testing.T, p *proc) {
	t.Helper()
	waitOutput(t, "the subscribed status", p.stdout.String, func(s string) bool {
		return strings.Contains(s, `"status":"subscribed"`) || strings.Contains(s, "status   subscribed")
	})
}

// wantFinal checks the last line of p's stdout: status, exit code, and
// that the reason holds reason.
func wantFinal(t *testing.T, p *proc, status string, code int, reason string) Line {
	t.Helper()
	l := last(t, p)
	if l.Kind != "status" || l.Status != status || l.ExitCode == nil || *l.ExitCode != code || !strings.Contains(l.Reason, reason) {
		t.Fatalf("last line %+v, want status %s, exit code %d, a reason with %q", l, status, code, reason)
	}
	return l
}

// TestFinalRecords: every way a run ends leaves a last NDJSON line that
// says so, with the exit code.
func TestFinalRecords(t *testing.T) {
	pw := []string{"CONFWATCH_HOST_PASSWORD=" + canaryPassword}
	t.Run("ended", func(t *testing.T) {
		f := newFake(t, fakemeeting.Config{})
		p := start(t, pw, "tail", "--conference", f.ConferenceID(), "--api", f.URL())
		announced(t, p)
		f.Meeting().End(t.Context())
		if code := p.exit(t); code != 0 {
			t.Fatalf("exit %d", code)
		}
		if l := wantFinal(t, p, "ended", 0, ""); l.Reason != "" || l.Class != "" {
			t.Fatalf("an end with a reason or class: %+v", l)
		}
	})
	t.Run("credentials rejected", func(t *testing.T) {
		f := newFake(t, fakemeeting.Config{})
		p := start(t, []string{"CONFWATCH_HOST_PASSWORD=wrong-password"}, "tail", "--conference", f.ConferenceID(), "--api", f.URL())
		p.exit(t)
		if l := wantFinal(t, p, "stopped", 3, "credentials rejected"); l.Class != "stop" {
			t.Fatalf("class %q, want stop", l.Class)
		}
	})
	t.Run("configuration error", func(t *testing.T) {
		p := start(t, nil, "tail", "--conference", "986112045", "--password-file", filepath.Join(t.TempDir(), "missing"))
		p.exit(t)
		wantFinal(t, p, "stopped", 2, "no such file")
	})
	t.Run("pretty", func(t *testing.T) {
		f := newFake(t, fakemeeting.Config{})
		p := start(t, pw, "tail", "--conference", f.ConferenceID(), "--api", f.URL(), "--format", "pretty")
		announced(t, p)
		f.Meeting().End(t.Context())
		p.exit(t)
		out := strings.Split(strings.TrimSpace(p.stdout.String()), "\n")
		if !strings.HasSuffix(out[len(out)-1], "status   ended") {
			t.Fatalf("pretty output does not end with the end:\n%s", p.stdout.String())
		}
	})
}

// TestStatusInOrder: the status lines on stdout and the log lines on
// stderr tell a drop in the order it happened, and "subscribed" only for
// the first link.
func TestStatusInOrder(t *testing.T) {
	f := newFake(t, fakemeeting.Config{})
	p := start(t, []string{"CONFWATCH_HOST_PASSWORD=" + canaryPassword}, "tail", "--conference", f.ConferenceID(), "--api", f.URL(), "--log-format", "json")
	announced(t, p)
	f.Faults().DropAll()
	resubscribed(t, f, 2)
	waitOutput(t, "resubscribed", p.stdout.String, func(s string) bool { return strings.Contains(s, `"resubscribed"`) })
	f.Meeting().End(t.Context())
	p.exit(t)
	var statuses []string
	for _, l := range lines(t, p.stdout.String()) {
		if l.Kind == "status" {
			statuses = append(statuses, l.Status)
		}
	}
	if got, want := strings.Join(statuses, ","), "subscribed,disconnected,resubscribed,ended"; got != want {
		t.Fatalf("stdout statuses %s, want %s", got, want)
	}
	var logs []string
	for _, l := range strings.Split(strings.TrimSpace(p.stderr.String()), "\n") {
		var rec struct{ Msg string }
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("stderr line is not JSON: %q", l)
		}
		for _, m := range []string{"subscribed", "disconnected", "reconnecting in", "resubscribed after"} {
			if strings.HasPrefix(rec.Msg, m) {
				logs = append(logs, m)
			}
		}
	}
	if got, want := strings.Join(logs, ","), "subscribed,disconnected,reconnecting in,resubscribed after"; got != want {
		t.Fatalf("stderr tells %s, want %s:\n%s", got, want, p.stderr.String())
	}
}

// TestJoinLinksRedacted: the guest join link (with the meeting key in it)
// is printed REDACTED in the raw payload, as the meeting state omits it.
func TestJoinLinksRedacted(t *testing.T) {
	f := newFake(t, fakemeeting.Config{})
	p := start(t, []string{"CONFWATCH_HOST_PASSWORD=" + canaryPassword}, "tail", "--conference", f.ConferenceID(), "--api", f.URL(), "--events", "ConfBasicInfoNotify")
	waitOutput(t, "the basic info", p.stdout.String, func(s string) bool { return strings.Contains(s, "ConfBasicInfoNotify") })
	f.Meeting().End(t.Context())
	p.exit(t)
	seen := false
	for _, l := range lines(t, p.stdout.String()) {
		if l.Action != "ConfBasicInfoNotify" {
			continue
		}
		var basic struct {
			GuestJoinURI string `json:"guestJoinUri"`
			Title        string `json:"title"`
		}
		if err := json.Unmarshal(l.Payload, &basic); err != nil {
			t.Fatal(err)
		}
		if basic.GuestJoinURI != "REDACTED" || basic.Title == "" {
			t.Fatalf("guestJoinUri %q (title %q), want REDACTED and the rest intact", basic.GuestJoinURI, basic.Title)
		}
		seen = true
	}
	if !seen || strings.Contains(p.stdout.String(), "/#/j/") {
		t.Fatalf("seen=%t; the join link shows:\n%s", seen, p.stdout.String())
	}
}

// TestPeopleByName: semantic output names the speakers (speakerNames, with
// the PIDs kept in speakers) and first says who is already there; pretty
// output names them too.
func TestPeopleByName(t *testing.T) {
	for _, format := range []string{"json", "pretty"} {
		t.Run(format, func(t *testing.T) {
			f := newFake(t, fakemeeting.Config{Participants: []fakemeeting.Person{{PID: "pid-li-wei", Name: "Li Wei", Role: fakemeeting.RoleHost}}})
			p := start(t, []string{"CONFWATCH_HOST_PASSWORD=" + canaryPassword}, "tail", "--conference", f.ConferenceID(), "--api", f.URL(), "--semantic", "--format", format)
			waitOutput(t, "who is present", p.stdout.String, func(s string) bool { return strings.Contains(s, "Li Wei") })
			if err := f.Meeting().Speakers("pid-li-wei"); err != nil {
				t.Fatal(err)
			}
			waitOutput(t, "the speaker", p.stdout.String, func(s string) bool { return strings.Contains(s, "peak") })
			p.cmd.Process.Signal(os.Interrupt)
			p.exit(t)
			out := p.stdout.String()
			if format == "pretty" {
				if !strings.Contains(out, "present  1 in the meeting") || !strings.Contains(out, "speaking: Li Wei") || strings.Contains(out, "pid-li-wei") {
					t.Fatalf("pretty output does not name people:\n%s", out)
				}
				return
			}
			var present, spoke bool
			for _, l := range lines(t, out) {
				if l.Change == nil {
					continue
				}
				switch l.Change.Kind {
				case "ParticipantPresent":
					present = l.Change.Name == "Li Wei" && l.Change.PID == "pid-li-wei"
				case "SpeakersChanged":
					spoke = strings.Join(l.Change.SpeakerNames, ",") == "Li Wei" && strings.Join(l.Change.Speakers, ",") == "pid-li-wei"
				}
			}
			if !present || !spoke {
				t.Fatalf("present=%t speakers named=%t in\n%s", present, spoke, out)
			}
		})
	}
}

// TestDemoEverySpeed: at --speed 100 the whole script plays, the drop and
// the blind hand-raise included, and the run ends on "ended".
func TestDemoEverySpeed(t *testing.T) {
	p := start(t, nil, "demo", "--speed", "100", "--semantic")
	if code := p.exit(t); code != 0 {
		t.Fatalf("exit %d\n%s", code, p.stderr.String())
	}
	var kinds []string
	var blindHand, ended bool
	for _, l := range lines(t, p.stdout.String()) {
		switch {
		case l.Change != nil:
			kinds = append(kinds, l.Change.Kind)
			blindHand = blindHand || l.Change.Kind == "HandRaised" && l.Change.Inferred
		case l.Kind == "status":
			kinds = append(kinds, l.Status)
			ended = l.Status == "ended"
		}
	}
	got := strings.Join(kinds, ",")
	for _, want := range []string{"disconnected,resubscribed", "ParticipantRenamed", "RecordingStopped", "MeetingUnlocked", "ParticipantLeft", "MeetingEnded"} {
		if !strings.Contains(got, want) {
			t.Errorf("the demo at --speed 100 lacks %s: %s", want, got)
		}
	}
	if !blindHand || !ended {
		t.Errorf("blind hand-raise %t, last record ended %t: %s", blindHand, ended, got)
	}
	if strings.Contains(p.stderr.String(), `"length":8`) {
		t.Errorf("the demo's length is logged in nanoseconds:\n%s", p.stderr.String())
	}
}
