package demo

import (
	"context"
	"slices"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestPlayRunsTheWholeScript(t *testing.T) {
	srv, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var steps []string
	if err := Play(ctx, srv, 1000, func(what string) { steps = append(steps, what) }); err != nil {
		t.Fatal(err)
	}
	if len(steps) != len(script(ctx)) || steps[len(steps)-1] != "the meeting ends" {
		t.Fatalf("played %d of %d steps, last %q", len(steps), len(script(ctx)), steps[len(steps)-1])
	}
	v := srv.Meeting().View()
	if v.State != "Destroyed" || v.Locked || v.Recording {
		t.Fatalf("final view %+v: want ended, unlocked, not recording", v)
	}
	var pids []string
	for pid := range v.Participants {
		pids = append(pids, pid)
	}
	slices.Sort(pids)
	if want := []string{"pid-chen-jie", "pid-li-wei", "pid-zhang-min"}; !slices.Equal(pids, want) {
		t.Fatalf("final roster %v, want %v", pids, want)
	}
	if got := v.Participants["pid-chen-jie"]["NAME"]; got != "Chen Jie (presenting)" {
		t.Fatalf("rename lost: %q", got)
	}
}

func TestPlayStopsOnCancel(t *testing.T) {
	srv, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Play(ctx, srv, 1, nil); err != context.Canceled {
		t.Fatalf("Play = %v, want context.Canceled", err)
	}
	if srv.Meeting().View().State == "Destroyed" {
		t.Fatal("a cancelled demo still ended the meeting")
	}
}
