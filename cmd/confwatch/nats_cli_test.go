package main_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/integration/fakemeeting"
)

// applyAll sets the rig's meetings as the fleet's desired set.
func (r *fleetRig) applyAll(natsArgs ...string) {
	r.t.Helper()
	args := append([]string{"fleet", "apply", "-f", r.meetingsFile(), "--nats", r.ns.ClientURL()}, natsArgs...)
	apply := start(r.t, nil, args...)
	if code := apply.exit(r.t); code != 0 {
		r.t.Fatalf("apply exited %d: %s", code, apply.stderr.String())
	}
}

// transport is a line without what depends on the socket it came through:
// times, the version, message ID and payload times of the full snapshots
// a socket gets when it subscribes, an outage's length.
func transport(l Line) string {
	switch {
	case l.Kind == "push" && l.Mode == "full":
		return fmt.Sprintf("push %s full %s", l.Action, l.Payload)
	case l.Kind == "push":
		return fmt.Sprintf("push %s delta v%d %s %s", l.Action, l.Version, l.MsgID, l.Payload)
	case l.Kind == "status":
		code := -1
		if l.ExitCode != nil {
			code = *l.ExitCode
		}
		return fmt.Sprintf("status %s %s exit %d", l.Status, l.Reason, code)
	}
	b, _ := json.Marshal(l)
	return string(b)
}

// TestTailNATSMatchesDirect: tail --nats prints what a direct tail of the
// same meeting prints, but for what depends on the socket, ends with the
// same ended record and exit 0; tail --nats --since, run after the end,
// replays exactly what the first printed.
func TestTailNATSMatchesDirect(t *testing.T) {
	r := newFleetRig(t, 1)
	id := r.svc.ConferenceIDs()[0]
	r.applyAll()
	r.worker("w1")
	m := r.svc.Meeting(id)
	poll(t, 20*time.Second, "the worker subscribed", func() bool { return m.Stats().Subscribed == 1 })
	direct := start(t, []string{"CONFWATCH_HOST_PASSWORD=" + r.svc.HostPassword(id)}, "tail", "--conference", id, "--api", r.svc.URL())
	viaNATS := start(t, nil, "tail", "--conference", id, "--nats", r.ns.ClientURL(), "--since", "1h")
	poll(t, 20*time.Second, "the direct tail subscribed", func() bool { return m.Stats().Subscribed == 2 })
	// Wait for the feed to have caught up: its lines end with the
	// worker's first snapshots.
	poll(t, 20*time.Second, "tail --nats printing", func() bool { return strings.Count(viaNATS.stdout.String(), "\n") >= 3 })

	pid, err := m.Meeting().JoinOne(fakemeeting.Person{Name: "Wang Fang"})
	if err != nil {
		t.Fatal(err)
	}
	steps := []func() error{
		func() error { return m.Meeting().RaiseHand(pid, true) },
		func() error { return m.Meeting().Lock(true) },
		func() error { return m.Meeting().Speakers(pid) },
		func() error { return m.Meeting().Leave(pid) },
		func() error { return m.Meeting().End(t.Context()) },
	}
	for _, s := range steps {
		if err := s(); err != nil {
			t.Fatal(err)
		}
	}
	for name, p := range map[string]*proc{"direct": direct, "--nats": viaNATS} {
		if code := p.exit(t); code != 0 {
			t.Fatalf("tail %s exited %d after the end, want 0\nstderr:\n%s", name, code, p.stderr.String())
		}
	}
	d, n := lines(t, direct.stdout.String()), lines(t, viaNATS.stdout.String())
	var dn, nn []string
	for _, l := range d {
		dn = append(dn, transport(l))
	}
	for _, l := range n {
		nn = append(nn, transport(l))
	}
	if !slices.Equal(dn, nn) {
		t.Errorf("tail --nats differs from tail:\n--nats %s\ndirect %s", strings.Join(nn, "\n       "), strings.Join(dn, "\n       "))
	}
	if last := n[len(n)-1]; last.Status != "ended" || last.ExitCode == nil || *last.ExitCode != 0 {
		t.Errorf("last line %+v, want the ended record", last)
	}

	replay := start(t, nil, "tail", "--conference", id, "--nats", r.ns.ClientURL(), "--since", "1h")
	if code := replay.exit(t); code != 0 {
		t.Fatalf("replay exited %d\nstderr:\n%s", code, replay.stderr.String())
	}
	got, want := strings.Split(strings.TrimSpace(replay.stdout.String()), "\n"), strings.Split(strings.TrimSpace(viaNATS.stdout.String()), "\n")
	if len(got) != len(want) || !slices.Equal(got[:len(got)-1], want[:len(want)-1]) {
		t.Errorf("replay after the end differs:\nreplay %s\nlive   %s", strings.Join(got, "\n       "), strings.Join(want, "\n       "))
	}
}

// TestStateNATS: state --nats --once prints the stored picture and exits
// 0; state --nats follows the meeting to its end, exit 0 and the ended
// record, its last picture the one the owner stored.
func TestStateNATS(t *testing.T) {
	r := newFleetRig(t, 1)
	id := r.svc.ConferenceIDs()[0]
	r.applyAll()
	r.worker("w1")
	m := r.svc.Meeting(id)
	poll(t, 20*time.Second, "the worker subscribed", func() bool { return m.Stats().Subscribed == 1 })
	pid, err := m.Meeting().JoinOne(fakemeeting.Person{Name: "Wang Fang"})
	if err != nil {
		t.Fatal(err)
	}
	poll(t, 10*time.Second, "the join stored", func() bool {
		s, ok := r.state(id)
		return ok && participantsOf(s)[pid] != nil
	})
	once := start(t, nil, "state", "--conference", id, "--nats", r.ns.ClientURL(), "--once", "--format", "json")
	if code := once.exit(t); code != 0 {
		t.Fatalf("state --once exited %d\nstderr:\n%s", code, once.stderr.String())
	}
	ls := lines(t, once.stdout.String())
	if len(ls) != 2 || ls[0].Kind != "snapshot" || !strings.Contains(string(ls[0].Snapshot), "Wang Fang") || ls[1].ExitCode == nil || *ls[1].ExitCode != 0 {
		t.Fatalf("state --once printed %s", once.stdout.String())
	}

	follow := start(t, nil, "state", "--conference", id, "--nats", r.ns.ClientURL(), "--format", "json", "--refresh", "10ms")
	poll(t, 10*time.Second, "state --nats printing", func() bool { return strings.Contains(follow.stdout.String(), "snapshot") })
	if err := m.Meeting().RaiseHand(pid, true); err != nil {
		t.Fatal(err)
	}
	if err := m.Meeting().End(t.Context()); err != nil {
		t.Fatal(err)
	}
	if code := follow.exit(t); code != 0 {
		t.Fatalf("state --nats exited %d\nstderr:\n%s", code, follow.stderr.String())
	}
	ls = lines(t, follow.stdout.String())
	last, pic := ls[len(ls)-1], ls[len(ls)-2]
	if last.Status != "ended" || pic.Kind != "snapshot" {
		t.Fatalf("state --nats ended with %s", follow.stdout.String())
	}
	var stored map[string]any
	poll(t, 10*time.Second, "the stored end", func() bool {
		s, ok := r.state(id)
		stored = s
		return ok && strings.Contains(fmt.Sprint(s["status"]), "Destroyed")
	})
	var printed map[string]any
	if err := json.Unmarshal(pic.Snapshot, &printed); err != nil {
		t.Fatal(err)
	}
	if a, b := fmt.Sprint(printed), fmt.Sprint(stored); a != b {
		t.Errorf("last picture differs from the stored one:\nprinted %s\nstored  %s", a, b)
	}
}

// TestNATSFlagRefusals: --nats with meeting credentials or socket flags,
// and --since without --nats, are usage errors; an unreachable NATS
// exits 1 with a hint and a stopped record.
func TestNATSFlagRefusals(t *testing.T) {
	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte("x\n"), 0o600)
	for _, args := range [][]string{
		{"tail", "--conference", "1", "--nats", "nats://127.0.0.1:4222", "--password-file", pw},
		{"state", "--conference", "1", "--nats", "nats://127.0.0.1:4222", "--api", "http://x"},
		{"tail", "--conference", "1", "--since", "5m", "--password-file", pw},
		{"tail", "--conference", "1", "--nats", "nats://127.0.0.1:4222", "--since", "-5m"},
		{"tail", "--conference", "1", "--nats", "nats://127.0.0.1:4222", "--nats-user", "reader"},
		{"fleet", "status", "--nats-cert", "c.pem"},
	} {
		p := start(t, nil, args...)
		if code := p.exit(t); code != 2 {
			t.Errorf("%q: exit %d, want 2\nstderr: %s", args, code, p.stderr.String())
		}
	}
	p := start(t, nil, "tail", "--conference", "1", "--nats", "nats://127.0.0.1:1")
	if code := p.exit(t); code != 1 {
		t.Errorf("unreachable NATS: exit %d, want 1", code)
	}
	ls := lines(t, p.stdout.String())
	if len(ls) != 1 || ls[0].Status != "stopped" || !strings.Contains(ls[0].Reason, "nothing answers at nats://127.0.0.1:1") {
		t.Errorf("unreachable NATS printed %s", p.stdout.String())
	}
}

// TestFleetStatus: fleet status lists the meetings with their owner,
// title, state and last event, as JSON lines off a terminal.
func TestFleetStatus(t *testing.T) {
	r := newFleetRig(t, 2)
	r.applyAll()
	r.worker("w1")
	poll(t, 20*time.Second, "both stored", func() bool {
		for _, id := range r.svc.ConferenceIDs() {
			if _, ok := r.state(id); !ok {
				return false
			}
		}
		return true
	})
	owners := r.owners()
	p := start(t, nil, "fleet", "status", "--nats", r.ns.ClientURL())
	if code := p.exit(t); code != 0 {
		t.Fatalf("fleet status exited %d: %s", code, p.stderr.String())
	}
	var got []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(p.stdout.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		got = append(got, m)
	}
	ids := r.svc.ConferenceIDs()
	if len(got) != len(ids) {
		t.Fatalf("fleet status printed %s", p.stdout.String())
	}
	for i, m := range got {
		if m["conference"] != ids[i] || m["owner"] != owners[ids[i]] || m["state"] != "Created" || m["title"] == "" || m["lastEvent"] == nil {
			t.Errorf("line %d: %v (owner %s)", i, m, owners[ids[i]])
		}
	}
	table := start(t, nil, "fleet", "status", "--nats", r.ns.ClientURL(), "--format", "pretty")
	if code := table.exit(t); code != 0 {
		t.Fatalf("fleet status --format pretty exited %d: %s", code, table.stderr.String())
	}
	rows := strings.Split(strings.TrimSpace(table.stdout.String()), "\n")
	if len(rows) != 1+len(ids) || !strings.HasPrefix(rows[0], "CONFERENCE") {
		t.Fatalf("table:\n%s", table.stdout.String())
	}
	for i, id := range ids {
		if f := strings.Fields(rows[1+i]); f[0] != id || !slices.Contains(f, owners[id]) || !slices.Contains(f, "Created") {
			t.Errorf("row %q, want %s owned by %s", rows[1+i], id, owners[id])
		}
	}
}

// TestTailNATSSemanticMidMeeting: tail --nats --semantic started in the
// middle of a meeting tells who is there, from the stored picture, then
// the changes, as a direct tail --semantic started at the same time does.
func TestTailNATSSemanticMidMeeting(t *testing.T) {
	r := newFleetRig(t, 1)
	id := r.svc.ConferenceIDs()[0]
	r.applyAll()
	r.worker("w1")
	m := r.svc.Meeting(id)
	poll(t, 20*time.Second, "the worker subscribed", func() bool { return m.Stats().Subscribed == 1 })
	pid, err := m.Meeting().JoinOne(fakemeeting.Person{Name: "Wang Fang"})
	if err != nil {
		t.Fatal(err)
	}
	poll(t, 10*time.Second, "the join stored", func() bool {
		s, ok := r.state(id)
		return ok && participantsOf(s)[pid] != nil
	})
	direct := start(t, []string{"CONFWATCH_HOST_PASSWORD=" + r.svc.HostPassword(id)}, "tail", "--conference", id, "--api", r.svc.URL(), "--semantic")
	viaNATS := start(t, nil, "tail", "--conference", id, "--nats", r.ns.ClientURL(), "--semantic")
	poll(t, 20*time.Second, "both telling who is there", func() bool {
		return m.Stats().Subscribed == 2 && strings.Count(viaNATS.stdout.String(), "ParticipantPresent") == 3 &&
			strings.Count(direct.stdout.String(), "ParticipantPresent") == 3
	})
	if err := m.Meeting().RaiseHand(pid, true); err != nil {
		t.Fatal(err)
	}
	if err := m.Meeting().Lock(true); err != nil {
		t.Fatal(err)
	}
	if err := m.Meeting().End(t.Context()); err != nil {
		t.Fatal(err)
	}
	said := func(p *proc) []string {
		if code := p.exit(t); code != 0 {
			t.Fatalf("exit %d\nstderr: %s", code, p.stderr.String())
		}
		var out []string
		for _, l := range lines(t, p.stdout.String()) {
			switch l.Kind {
			case "change":
				out = append(out, l.Change.Kind+" "+l.Change.PID+" "+l.Change.Name)
			case "status":
				if l.Status != "subscribed" {
					out = append(out, l.Status)
				}
			}
		}
		return out
	}
	if d, n := said(direct), said(viaNATS); !slices.Equal(d, n) {
		t.Errorf("tail --nats --semantic told\n  %s\ndirect told\n  %s", strings.Join(n, "\n  "), strings.Join(d, "\n  "))
	}
}
