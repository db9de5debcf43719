package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/confwatch/confwatch/control"
)

// ctlAction is one verb of confwatch control.
type ctlAction struct {
	targets targetKind
	// run acts on ids (resolved from the flags) and says what it did.
	run func(ctx context.Context, c *control.Client, f *controlFlags, ids []control.ParticipantID) (string, error)
}

func one(ids []control.ParticipantID) control.ParticipantID { return ids[0] }

func done(what string, err error) (string, error) { return what, err }

var ctlActions = map[string]ctlAction{
	"mute": {oneTarget, func(ctx context.Context, c *control.Client, _ *controlFlags, ids []control.ParticipantID) (string, error) {
		return done("muted "+string(one(ids)), c.Mute(ctx, one(ids), true))
	}},
	"unmute": {oneTarget, func(ctx context.Context, c *control.Client, _ *controlFlags, ids []control.ParticipantID) (string, error) {
		return done("unmuted "+string(one(ids)), c.Mute(ctx, one(ids), false))
	}},
	"mute-all": {noTarget, func(ctx context.Context, c *control.Client, f *controlFlags, _ []control.ParticipantID) (string, error) {
		return done(fmt.Sprintf("muted everyone but the host (self-unmute allowed: %v)", f.allowUnmute), c.MuteAll(ctx, true, f.allowUnmute))
	}},
	"unmute-all": {noTarget, func(ctx context.Context, c *control.Client, _ *controlFlags, _ []control.ParticipantID) (string, error) {
		return done("unmuted everyone", c.MuteAll(ctx, false, true))
	}},
	"lock": {noTarget, func(ctx context.Context, c *control.Client, _ *controlFlags, _ []control.ParticipantID) (string, error) {
		return done("locked the meeting", c.Lock(ctx, true))
	}},
	"unlock": {noTarget, func(ctx context.Context, c *control.Client, _ *controlFlags, _ []control.ParticipantID) (string, error) {
		return done("unlocked the meeting", c.Lock(ctx, false))
	}},
	"record-start": {noTarget, func(ctx context.Context, c *control.Client, _ *controlFlags, _ []control.ParticipantID) (string, error) {
		return done("started recording", c.Record(ctx, true))
	}},
	"record-stop": {noTarget, func(ctx context.Context, c *control.Client, _ *controlFlags, _ []control.ParticipantID) (string, error) {
		return done("stopped recording", c.Record(ctx, false))
	}},
	"rename": {oneTarget, func(ctx context.Context, c *control.Client, f *controlFlags, ids []control.ParticipantID) (string, error) {
		return done(fmt.Sprintf("renamed %s to %q", one(ids), f.to), c.Rename(ctx, one(ids), f.to))
	}},
	"admit": {waitingOne, func(ctx context.Context, c *control.Client, f *controlFlags, ids []control.ParticipantID) (string, error) {
		if f.all {
			return done("admitted everyone waiting", c.AdmitAll(ctx))
		}
		return done("admitted "+string(one(ids)), c.Admit(ctx, one(ids)))
	}},
	"waiting-room": {manyTargets, func(ctx context.Context, c *control.Client, _ *controlFlags, ids []control.ParticipantID) (string, error) {
		return done("moved to the waiting room: "+joinIDs(ids), c.MoveToWaitingRoom(ctx, ids...))
	}},
	"raise-hand": {handTargets, hands(true)},
	"lower-hand": {handTargets, hands(false)},
	"hang-up": {manyTargets, func(ctx context.Context, c *control.Client, _ *controlFlags, ids []control.ParticipantID) (string, error) {
		return done("hung up: "+joinIDs(ids), c.HangUp(ctx, ids...))
	}},
	"invite": {noTarget, func(ctx context.Context, c *control.Client, f *controlFlags, _ []control.ParticipantID) (string, error) {
		inv := control.Invitee{Name: f.inviteName, Phone: f.phone, Type: f.typ, Host: f.asHost}
		return done(fmt.Sprintf("invited %q", f.inviteName), c.Invite(ctx, inv))
	}},
	"set-host": {oneTarget, func(ctx context.Context, c *control.Client, _ *controlFlags, ids []control.ParticipantID) (string, error) {
		return done("made "+string(one(ids))+" host", c.SetHost(ctx, one(ids)))
	}},
	"release-host": {oneTarget, func(ctx context.Context, c *control.Client, _ *controlFlags, ids []control.ParticipantID) (string, error) {
		return done("released the host role of "+string(one(ids)), c.ReleaseHost(ctx, one(ids)))
	}},
	"cohost": {oneTarget, func(ctx context.Context, c *control.Client, _ *controlFlags, ids []control.ParticipantID) (string, error) {
		return done("made "+string(one(ids))+" co-host", c.SetCohost(ctx, one(ids), true))
	}},
	"uncohost": {oneTarget, func(ctx context.Context, c *control.Client, _ *controlFlags, ids []control.ParticipantID) (string, error) {
		return done("revoked co-host of "+string(one(ids)), c.SetCohost(ctx, one(ids), false))
	}},
	"extend": {noTarget, func(ctx context.Context, c *control.Client, f *controlFlags, _ []control.ParticipantID) (string, error) {
		return done("extended the meeting by "+f.by.String(), c.Extend(ctx, f.by))
	}},
	"end": {noTarget, func(ctx context.Context, c *control.Client, _ *controlFlags, _ []control.ParticipantID) (string, error) {
		return done("ended the meeting", c.End(ctx))
	}},
	"info": {noTarget, func(ctx context.Context, c *control.Client, _ *controlFlags, _ []control.ParticipantID) (string, error) {
		info, err := c.RealTimeInfo(ctx)
		if err != nil {
			return "", err
		}
		b, err := json.Marshal(info)
		return string(b), err
	}},
}

func hands(raised bool) func(context.Context, *control.Client, *controlFlags, []control.ParticipantID) (string, error) {
	verb := map[bool]string{true: "raised", false: "lowered"}[raised]
	return func(ctx context.Context, c *control.Client, f *controlFlags, ids []control.ParticipantID) (string, error) {
		if f.all {
			set, err := c.SetAllHands(ctx, raised)
			if len(set) == 0 && err == nil {
				return "no hand to set", nil
			}
			return done(verb+" the hands of "+joinIDs(set), err)
		}
		return done(verb+" the hands of "+joinIDs(ids), c.SetHands(ctx, raised, ids...))
	}
}

func joinIDs(ids []control.ParticipantID) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = string(id)
	}
	return strings.Join(s, ", ")
}

func actionNames() string {
	names := make([]string, 0, len(ctlActions))
	for n := range ctlActions {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}
