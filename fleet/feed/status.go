package feed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/confwatch/confwatch/fleet"
	"github.com/confwatch/confwatch/internal/record"
)

// Status is one meeting as the fleet sees it.
type Status struct {
	Conference, Title, State, Owner string // State: the meeting's status as meeting.Snapshot tells it, or "ended"
	Participants                    int
	LastEvent                       time.Time // the newest record on the stream for it
}

// Meetings lists every meeting the fleet watches or has state for, sorted
// by conference. State is "ended" when the meeting's last status record
// says so; empty when no picture is stored yet.
func Meetings(ctx context.Context, js jetstream.JetStream) ([]Status, error) {
	if js == nil {
		return nil, errors.New("feed: Meetings: nil JetStream")
	}
	confs := map[string]bool{}
	for _, b := range []string{fleet.BucketDesired, fleet.BucketState, fleet.BucketLeases} {
		if err := listKeys(ctx, js, b, confs); err != nil {
			return nil, err
		}
	}
	stream, err := js.Stream(ctx, fleet.StreamEvents)
	if err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, fmt.Errorf("feed: read the stream %s: %w", fleet.StreamEvents, err)
	}
	out := make([]Status, 0, len(confs))
	for c := range confs {
		st, err := statusOf(ctx, js, stream, c)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b Status) int { return compareIDs(a.Conference, b.Conference) })
	return out, nil
}

// compareIDs orders meeting IDs as numbers: shorter first, then by digits.
func compareIDs(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// listKeys adds the keys of bucket to into; a bucket not made yet has none.
func listKeys(ctx context.Context, js jetstream.JetStream, bucket string, into map[string]bool) error {
	kv, err := js.KeyValue(ctx, bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("feed: read the bucket %s: %w", bucket, err)
	}
	l, err := kv.ListKeys(ctx)
	if err != nil {
		return fmt.Errorf("feed: list the bucket %s: %w", bucket, err)
	}
	defer l.Stop()
	for k := range l.Keys() {
		if checkConference(k) == nil {
			into[k] = true
		}
	}
	return nil
}

func statusOf(ctx context.Context, js jetstream.JetStream, stream jetstream.Stream, conf string) (Status, error) {
	st := Status{Conference: conf}
	s, err := readState(ctx, js, conf)
	if err != nil {
		return st, err
	}
	if s != nil {
		st.Title, st.State, st.Owner, st.Participants = s.Snapshot.Title, s.Snapshot.Status.State, s.Owner, s.Snapshot.Participants.Len()
	} else if st.Owner, err = readOwner(ctx, js, conf); err != nil {
		return st, err
	}
	if stream == nil {
		return st, nil
	}
	prefix := fleet.SubjectPrefix + "." + conf
	last, err := stream.GetLastMsgForSubject(ctx, prefix+".>")
	switch {
	case errors.Is(err, jetstream.ErrMsgNotFound):
		return st, nil
	case err != nil:
		return st, fmt.Errorf("feed: meeting %s: read its last record: %w", conf, err)
	}
	st.LastEvent = last.Time
	status, err := stream.GetLastMsgForSubject(ctx, prefix+"."+record.KindStatus)
	if err == nil {
		var r wireRecord
		if json.Unmarshal(status.Data, &r) == nil && r.Status == record.StatusEnded {
			st.State = record.StatusEnded
		}
	} else if !errors.Is(err, jetstream.ErrMsgNotFound) {
		return st, fmt.Errorf("feed: meeting %s: read its last status: %w", conf, err)
	}
	return st, nil
}
