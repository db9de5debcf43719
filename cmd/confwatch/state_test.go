package main_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/integration/fakemeeting"
)

// TestStateOnceWithEvents: --once returns as soon as the subscribed types
// are in, also when they are not the ones a full picture needs.
func TestStateOnceWithEvents(t *testing.T) {
	f := newFake(t, fakemeeting.Config{})
	for _, format := range []string{"pretty", "json"} {
		t.Run(format, func(t *testing.T) {
			began := time.Now()
			p := start(t, []string{"CONFWATCH_HOST_PASSWORD=" + canaryPassword}, "state", "--conference", f.ConferenceID(), "--api", f.URL(),
				"--once", "--events", "SpeakerChangeNotify", "--format", format)
			if code := p.exit(t); code != 0 {
				t.Fatalf("exit %d\n%s", code, p.stderr.String())
			}
			if took := time.Since(began); took > 10*time.Second {
				t.Errorf("--once took %v", took)
			}
			out := p.stdout.String()
			if format == "pretty" {
				if !strings.Contains(out, "speaking: nobody") || !strings.Contains(out, "status   stopped: the picture is complete") {
					t.Fatalf("output:\n%s", out)
				}
			} else {
				ls := lines(t, out)
				if len(ls) != 2 || ls[0].Kind != "snapshot" || ls[1].Status != "stopped" || *ls[1].ExitCode != 0 {
					t.Fatalf("want one snapshot and the stopped record, got:\n%s", out)
				}
			}
			if strings.Contains(p.stderr.String(), "interrupted") {
				t.Errorf("a normal --once says it was interrupted:\n%s", p.stderr.String())
			}
		})
	}
}

// TestStateJSON: --format json prints the picture as one object per
// change, without the guest join link, and ends with the final record.
func TestStateJSON(t *testing.T) {
	f := newFake(t, fakemeeting.Config{Participants: []fakemeeting.Person{{Name: "Li Wei"}}})
	p := start(t, []string{"CONFWATCH_HOST_PASSWORD=" + canaryPassword}, "state", "--conference", f.ConferenceID(), "--api", f.URL(),
		"--format", "json", "--refresh", "20ms")
	waitOutput(t, "the first snapshot", p.stdout.String, func(s string) bool { return strings.Contains(s, "Li Wei") })
	if _, err := f.Meeting().JoinOne(fakemeeting.Person{Name: "Wang Fang"}); err != nil {
		t.Fatal(err)
	}
	waitOutput(t, "a snapshot with the newcomer", p.stdout.String, func(s string) bool { return strings.Contains(s, "Wang Fang") })
	if err := f.Meeting().End(t.Context()); err != nil {
		t.Fatal(err)
	}
	if code := p.exit(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	ls := lines(t, p.stdout.String())
	var counts []int
	for _, l := range ls[:len(ls)-1] {
		if l.Kind != "snapshot" {
			t.Fatalf("a %q line in state's json: %+v", l.Kind, l)
		}
		var s struct {
			Participants []struct{ Name string } `json:"participants"`
		}
		if err := json.Unmarshal(l.Snapshot, &s); err != nil {
			t.Fatal(err)
		}
		counts = append(counts, len(s.Participants))
	}
	if len(counts) < 2 || counts[len(counts)-1] != 2 {
		t.Fatalf("participants per snapshot %v, want the picture to grow to 2", counts)
	}
	if ls[len(ls)-1].Status != "ended" || strings.Contains(p.stdout.String(), "guestJoinUri") {
		t.Fatalf("last line %+v; stdout:\n%s", ls[len(ls)-1], p.stdout.String())
	}
}

// TestStateSemanticRefused: state has no --semantic: it says where that
// is, with exit 2, and its help does not list it.
func TestStateSemanticRefused(t *testing.T) {
	p := start(t, []string{"CONFWATCH_HOST_PASSWORD=x"}, "state", "--conference", "1", "--semantic")
	if code := p.exit(t); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if !strings.Contains(p.stderr.String(), "unknown flag --semantic") || !strings.Contains(p.stderr.String(), "tail --semantic") {
		t.Fatalf("stderr:\n%s", p.stderr.String())
	}
	h := start(t, nil, "state", "--help")
	h.exit(t)
	if help := h.stderr.String(); strings.Contains(help, "--semantic") || !strings.Contains(help, "--format") {
		t.Fatalf("state's help:\n%s", help)
	}
}
