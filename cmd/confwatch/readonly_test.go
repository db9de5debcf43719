package main_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/confwatch/confwatch/fleet"
	"github.com/confwatch/confwatch/integration/fakemeeting"
	"github.com/confwatch/confwatch/internal/demo"
)

// readerPermissions are the read-only consumer's, as the README gives
// them: the JetStream API calls that read the stream and the buckets, and
// the inboxes their answers come to. Nothing that publishes a record or
// writes a bucket.
var readerPermissions = &server.Permissions{
	Publish:   &server.SubjectPermission{Allow: readerPublish()},
	Subscribe: &server.SubjectPermission{Allow: []string{"_INBOX.>", "confwatch.>"}},
}

func readerPublish() []string {
	allow := []string{
		"$JS.API.INFO",
		"$JS.API.STREAM.INFO.CONFWATCH",
		"$JS.API.STREAM.MSG.GET.CONFWATCH",
		"$JS.API.CONSUMER.CREATE.CONFWATCH.>",
		"$JS.API.CONSUMER.MSG.NEXT.CONFWATCH.>",
		"$JS.API.CONSUMER.INFO.CONFWATCH.>",
		"$JS.API.CONSUMER.DELETE.CONFWATCH.>",
	}
	for _, b := range []string{"KV_confwatch-state", "KV_confwatch-desired", "KV_confwatch-leases"} {
		allow = append(allow,
			"$JS.API.STREAM.INFO."+b,
			"$JS.API.DIRECT.GET."+b+".>",
			"$JS.API.CONSUMER.CREATE."+b+".>",
			"$JS.API.CONSUMER.INFO."+b+".>",
			"$JS.API.CONSUMER.DELETE."+b+".>",
			"$JS.FC."+b+".>",
		)
	}
	return allow
}

// TestReadOnlyNATSUser: a NATS user with only the reader's permissions
// runs tail --nats, state --nats and fleet status, and can neither publish
// a record nor write a bucket.
func TestReadOnlyNATSUser(t *testing.T) {
	dir := t.TempDir()
	ns, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true, StoreDir: filepath.Join(dir, "js"),
		NoSigs: true, NoLog: true, MaxPayload: fleet.DefaultMaxPayload,
		Users: []*server.User{
			{Username: "admin", Password: "admin-pw"},
			{Username: "reader", Password: "reader-pw", Permissions: readerPermissions},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	url := ns.ClientURL()
	admin, reader := filepath.Join(dir, "admin.pw"), filepath.Join(dir, "reader.pw")
	os.WriteFile(admin, []byte("admin-pw\n"), 0o600)
	os.WriteFile(reader, []byte("reader-pw\n"), 0o600)
	asAdmin := []string{"--nats", url, "--nats-user", "admin", "--nats-password-file", admin}
	asReader := []string{"--nats", url, "--nats-user", "reader", "--nats-password-file", reader}

	svc, err := demo.NewService(demo.ServiceConfig{Meetings: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	id := svc.ConferenceIDs()[0]
	r := &fleetRig{t: t, svc: svc, dir: dir}
	apply := start(t, nil, append([]string{"fleet", "apply", "-f", r.meetingsFile()}, asAdmin...)...)
	if code := apply.exit(t); code != 0 {
		t.Fatalf("apply exited %d: %s", code, apply.stderr.String())
	}
	start(t, nil, append([]string{"fleet", "--api", svc.URL(), "--name", "w1", "--lease", processLease.String(), "--log-format", "json"}, asAdmin...)...)
	m := svc.Meeting(id)
	poll(t, 20*time.Second, "the worker subscribed", func() bool { return m.Stats().Subscribed == 1 })
	pid, err := m.Meeting().JoinOne(fakemeeting.Person{Name: "Wang Fang"})
	if err != nil {
		t.Fatal(err)
	}

	nc, err := nats.Connect(url, nats.UserInfo("reader", "reader-pw"), nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	poll(t, 10*time.Second, "the join stored", func() bool {
		kv, err := js.KeyValue(t.Context(), fleet.BucketState)
		if err != nil {
			return false
		}
		e, err := kv.Get(t.Context(), id)
		return err == nil && strings.Contains(string(e.Value()), pid)
	})

	state := start(t, nil, append([]string{"state", "--conference", id, "--once", "--format", "json"}, asReader...)...)
	if code := state.exit(t); code != 0 || !strings.Contains(state.stdout.String(), "Wang Fang") {
		t.Fatalf("state --nats as the reader: exit %d\n%s\nstderr: %s", code, state.stdout.String(), state.stderr.String())
	}
	status := start(t, nil, append([]string{"fleet", "status"}, asReader...)...)
	if code := status.exit(t); code != 0 || !strings.Contains(status.stdout.String(), `"owner":"w1-`) {
		t.Fatalf("fleet status as the reader: exit %d\n%s\nstderr: %s", code, status.stdout.String(), status.stderr.String())
	}
	tail := start(t, nil, append([]string{"tail", "--conference", id, "--since", "1h"}, asReader...)...)
	poll(t, 10*time.Second, "tail --nats as the reader printing the join", func() bool { return strings.Contains(tail.stdout.String(), "Wang Fang") })
	if err := m.Meeting().End(t.Context()); err != nil {
		t.Fatal(err)
	}
	if code := tail.exit(t); code != 0 || !strings.Contains(tail.stdout.String(), `"status":"ended"`) {
		t.Fatalf("tail --nats as the reader: exit %d\n%s\nstderr: %s", code, tail.stdout.String(), tail.stderr.String())
	}

	// The reader cannot write: no record, no bucket value, no stream change.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	stream, err := js.Stream(ctx, fleet.StreamEvents)
	if err != nil {
		t.Fatal(err)
	}
	before, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(ctx, 2*time.Second)
	defer wcancel()
	if _, err := js.Publish(wctx, fleet.SubjectPrefix+"."+id+".status", []byte(`{"kind":"status","status":"ended"}`)); err == nil {
		t.Error("the reader published a record")
	}
	kv, err := js.KeyValue(ctx, fleet.BucketState)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(wctx, id, []byte(`{}`)); err == nil {
		t.Error("the reader wrote the state bucket")
	}
	if err := js.DeleteStream(wctx, fleet.StreamEvents); err == nil {
		t.Error("the reader deleted the stream")
	}
	if _, err := js.CreateKeyValue(wctx, jetstream.KeyValueConfig{Bucket: "confwatch-x"}); err == nil {
		t.Error("the reader made a bucket")
	}
	after, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after.State.LastSeq != before.State.LastSeq {
		t.Errorf("the stream went from record %d to %d", before.State.LastSeq, after.State.LastSeq)
	}
	if e, err := kv.Get(ctx, id); err != nil || string(e.Value()) == `{}` {
		t.Errorf("state after the reader's write: %v", err)
	}
}
