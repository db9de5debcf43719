package control

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// ParticipantID is a participant's (or waiting-room member's) pid, as the
// pushes (ParticipantsNotify, WaitingListNotify) and RealTimeInfo carry it.
type ParticipantID string

const pathPrefix = "/v1/mmc/control/conferences"

// spec is one vendor operation (REST reference §1).
type spec struct {
	op     string // what the action does, for errors and logs
	vendor string // the SDK operation name
	method string
	path   string // below pathPrefix
	read   bool   // changes nothing: sent even in a dry run
	// repeatable: sending it twice has the effect of sending it once, so a
	// server failure (5xx) is retried once. Every action is retried after
	// a refused token or throttling, which the server answers without
	// acting.
	repeatable bool
}

var (
	specInfo       = &spec{"read real-time info", "ShowRealTimeInfoOfMeeting", http.MethodGet, "/realTimeInfo", true, true}
	specInvite     = &spec{"invite", "InviteParticipant", http.MethodPost, "/participants", false, false}
	specHangUp     = &spec{"hang up", "HangUp", http.MethodPost, "/participants/delete", false, false}
	specRole       = &spec{"set host", "SetRole", http.MethodPut, "/participants/role", false, true}
	specMute       = &spec{"mute participant", "MuteParticipant", http.MethodPut, "/participants/mute", false, true}
	specMuteAll    = &spec{"mute meeting", "MuteMeeting", http.MethodPut, "/mute", false, true}
	specHand       = &spec{"set hand", "Hand", http.MethodPut, "/participants/hands", false, true}
	specBatchHand  = &spec{"set hands", "BatchHand", http.MethodPut, "/participants/batch/hands", false, true}
	specLock       = &spec{"lock meeting", "LockMeeting", http.MethodPut, "/lock", false, true}
	specProlong    = &spec{"extend meeting", "ProlongMeeting", http.MethodPut, "/duration", false, false}
	specStop       = &spec{"end meeting", "StopMeeting", http.MethodPut, "/stop", false, false}
	specRecord     = &spec{"record", "Record", http.MethodPut, "/record", false, true}
	specRename     = &spec{"rename", "RenameParticipant", http.MethodPut, "/participants/name", false, true}
	specCohost     = &spec{"set co-host", "SetCohost", http.MethodPut, "/participants/cohost", false, true}
	specAdmit      = &spec{"admit", "AllowWaitingParticipant", http.MethodPut, "/allowWaitingParticipant", false, false}
	specMove       = &spec{"move to the waiting room", "MoveToWaitingRoom", http.MethodPut, "/moveToWaitingRoom", false, false}
	specBatchMove  = &spec{"move to the waiting room", "BatchMoveToWaitingRoom", http.MethodPut, "/batchMoveToWaitingRoom", false, false}
	errNoTargets   = errors.New("no participant given")
	errEmptyTarget = errors.New("empty participant ID")
)

// switch01 is the vendor's integer switch. It is never omitted, so that 0
// goes on the wire as {"isMute":0} (REST reference §2.1).
func switch01(on bool) int {
	if on {
		return 1
	}
	return 0
}

func pidQuery(id ParticipantID) url.Values { return url.Values{"participantID": {string(id)}} }

// targets checks ids and drops repeats, keeping the order.
func targets(sp *spec, ids []ParticipantID) ([]string, error) {
	if len(ids) == 0 {
		return nil, fmt.Errorf("control: %s: %w", sp.op, errNoTargets)
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		s := string(id)
		if strings.TrimSpace(s) == "" || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return nil, fmt.Errorf("control: %s: %w", sp.op, errEmptyTarget)
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

func (cl *Client) one(ctx context.Context, sp *spec, id ParticipantID, body any) error {
	if _, err := targets(sp, []ParticipantID{id}); err != nil {
		return err
	}
	_, err := cl.do(ctx, call{spec: sp, query: pidQuery(id), body: body})
	return err
}

// Mute mutes (true) or unmutes one participant (MuteParticipant). An
// unmute may only ask the participant's client to unmute (REST reference
// §5.6, UNCONFIRMED): watch the pushes for the outcome. Repeatable.
func (cl *Client) Mute(ctx context.Context, id ParticipantID, muted bool) error {
	return cl.one(ctx, specMute, id, map[string]int{"isMute": switch01(muted)})
}

// MuteAll mutes (true) or unmutes everyone but the host (MuteMeeting).
// allowSelfUnmute says whether guests may unmute themselves while muted;
// it is sent only when muting. Repeatable.
func (cl *Client) MuteAll(ctx context.Context, muted, allowSelfUnmute bool) error {
	body := map[string]int{"isMute": switch01(muted)}
	if muted {
		body["allowUnmuteByOneself"] = switch01(allowSelfUnmute)
	}
	_, err := cl.do(ctx, call{spec: specMuteAll, body: body})
	return err
}

// Lock locks (true) or unlocks the meeting (LockMeeting): while locked,
// guests cannot join on their own. Repeatable.
func (cl *Client) Lock(ctx context.Context, locked bool) error {
	_, err := cl.do(ctx, call{spec: specLock, body: map[string]int{"isLock": switch01(locked)}})
	return err
}

// Record starts (true) or stops cloud recording (Record). Repeatable.
func (cl *Client) Record(ctx context.Context, on bool) error {
	_, err := cl.do(ctx, call{spec: specRecord, body: map[string]int{"isRecord": switch01(on)}})
	return err
}

// SetHands raises (true) or lowers the hands of the given participants:
// one is a Hand call, several one BatchHand call. The host's hand cannot
// be set. Repeatable.
func (cl *Client) SetHands(ctx context.Context, raised bool, ids ...ParticipantID) error {
	pids, err := targets(specBatchHand, ids)
	if err != nil {
		return err
	}
	if len(pids) == 1 {
		return cl.one(ctx, specHand, ParticipantID(pids[0]), map[string]int{"handsState": switch01(raised)})
	}
	_, err = cl.do(ctx, call{spec: specBatchHand, body: struct {
		HandsState int      `json:"handsState"`
		PIDs       []string `json:"pids"`
	}{switch01(raised), pids}})
	return err
}

// SetAllHands raises (true) or lowers the hands of every participant but
// the host whose hand is not already so, as RealTimeInfo reports them,
// and returns whose hands it set (none: no SetHands call is made).
func (cl *Client) SetAllHands(ctx context.Context, raised bool) ([]ParticipantID, error) {
	info, err := cl.RealTimeInfo(ctx)
	if err != nil {
		return nil, err
	}
	var ids []ParticipantID
	for _, p := range info.Participants {
		if p.ID != info.Host && p.HandRaised != raised {
			ids = append(ids, p.ID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return ids, cl.SetHands(ctx, raised, ids...)
}

// Rename changes an online participant's display name
// (RenameParticipant). The vendor also wants the participant's number,
// so Rename reads RealTimeInfo first to learn it. Repeatable.
func (cl *Client) Rename(ctx context.Context, id ParticipantID, name string) error {
	if _, err := targets(specRename, []ParticipantID{id}); err != nil {
		return err
	}
	if strings.TrimSpace(name) == "" {
		return fmt.Errorf("control: %s: empty name", specRename.op)
	}
	info, err := cl.RealTimeInfo(ctx)
	if err != nil {
		return err
	}
	p, ok := info.Participant(id)
	if !ok {
		return fmt.Errorf("control: %s: %s is not in the meeting's real-time info", specRename.op, id)
	}
	_, err = cl.do(ctx, call{spec: specRename, body: map[string]string{
		"participantID": string(id), "number": p.Phone, "newName": name,
	}})
	return err
}

// Admit lets one waiting-room member in (AllowWaitingParticipant). Not
// retried after a server failure: a repeat for someone already admitted
// is an error (token.ErrParticipantNotFound).
func (cl *Client) Admit(ctx context.Context, id ParticipantID) error {
	if _, err := targets(specAdmit, []ParticipantID{id}); err != nil {
		return err
	}
	_, err := cl.do(ctx, call{spec: specAdmit, body: map[string]string{"participantID": string(id)}})
	return err
}

// AdmitAll lets everyone in the waiting room in (AllowWaitingParticipant
// with allowAll). Not retried after a server failure, like Admit.
func (cl *Client) AdmitAll(ctx context.Context) error {
	_, err := cl.do(ctx, call{spec: specAdmit, body: map[string]bool{"allowAll": true}})
	return err
}

// MoveToWaitingRoom sends participants to the waiting room: one is a
// MoveToWaitingRoom call, several one BatchMoveToWaitingRoom call. Not
// retried after a server failure: a repeat finds them gone.
func (cl *Client) MoveToWaitingRoom(ctx context.Context, ids ...ParticipantID) error {
	pids, err := targets(specBatchMove, ids)
	if err != nil {
		return err
	}
	if len(pids) == 1 {
		_, err = cl.do(ctx, call{spec: specMove, body: map[string]string{"participantID": pids[0]}})
		return err
	}
	_, err = cl.do(ctx, call{spec: specBatchMove, body: map[string][]string{"batchParticipants": pids}})
	return err
}

// HangUp disconnects participants (HangUp); they stay on the attendee
// list. Not retried after a server failure: a repeat finds them gone.
func (cl *Client) HangUp(ctx context.Context, ids ...ParticipantID) error {
	pids, err := targets(specHangUp, ids)
	if err != nil {
		return err
	}
	_, err = cl.do(ctx, call{spec: specHangUp, body: map[string][]string{"bulkHangUpParticipants": pids}})
	return err
}

// SetHost makes a participant the host (SetRole, applyChair 1); the
// previous host's role goes with it. The control token is a host's, so
// no chairmanPwd is sent (REST reference §5.5: what the vendor requires
// of a host token is UNCONFIRMED). Repeatable.
func (cl *Client) SetHost(ctx context.Context, id ParticipantID) error {
	return cl.one(ctx, specRole, id, map[string]int{"applyChair": 1})
}

// ReleaseHost gives up the host role of a participant (SetRole,
// applyChair 0). Repeatable.
func (cl *Client) ReleaseHost(ctx context.Context, id ParticipantID) error {
	return cl.one(ctx, specRole, id, map[string]int{"applyChair": 0})
}

// SetCohost makes a guest co-host (true) or revokes it (SetCohost).
// Repeatable.
func (cl *Client) SetCohost(ctx context.Context, id ParticipantID, cohost bool) error {
	return cl.one(ctx, specCohost, id, map[string]int{"isCohost": switch01(cohost)})
}

// Extend extends the meeting once by d, rounded up to whole minutes
// (ProlongMeeting, auto 0). Not retried after a server failure: each call
// adds d.
func (cl *Client) Extend(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("control: %s: duration %v is not positive", specProlong.op, d)
	}
	mins := int((d + time.Minute - 1) / time.Minute)
	_, err := cl.do(ctx, call{spec: specProlong, body: map[string]int{"auto": 0, "duration": mins}})
	return err
}

// End ends the meeting for everyone (StopMeeting); the push channel
// reports the Destroyed state, then closes. A meeting already ended gives
// an error matching token.ErrMeetingEnded. Not retried after a server
// failure: a repeat would say "ended".
func (cl *Client) End(ctx context.Context) error {
	_, err := cl.do(ctx, call{spec: specStop})
	return err
}

// Invitee is someone Invite calls.
type Invitee struct {
	// Name is the display name, at most 96 characters. Required.
	Name string
	// Phone is a SIP number (calls the person's client) or a mobile number
	// (a phone call, when the enterprise has PSTN). Required.
	Phone string
	// Type is the vendor's terminal type: normal (soft client, when
	// empty), terminal, outside, mobile, ideahub, board, hwvision.
	Type string
	// Host joins the person as host (role 1).
	Host bool
	// AccountID and UserUUID identify a Huawei Cloud Meeting user; may be
	// empty.
	AccountID, UserUUID string
}

type inviteWire struct {
	Name      string `json:"name"`
	Phone     string `json:"phone"`
	Type      string `json:"type"`
	Role      *int   `json:"role,omitempty"`
	AccountID string `json:"accountId,omitempty"`
	UserUUID  string `json:"userUUID,omitempty"`
}

// Invite calls people into the meeting (InviteParticipant); each call's
// outcome arrives as InviteResultNotify. Not retried after a server
// failure: a repeat dials again.
func (cl *Client) Invite(ctx context.Context, people ...Invitee) error {
	if len(people) == 0 {
		return fmt.Errorf("control: %s: nobody to invite", specInvite.op)
	}
	list := make([]inviteWire, 0, len(people))
	for _, p := range people {
		if strings.TrimSpace(p.Name) == "" || strings.TrimSpace(p.Phone) == "" {
			return fmt.Errorf("control: %s: an invitee needs a name and a phone number", specInvite.op)
		}
		w := inviteWire{Name: p.Name, Phone: p.Phone, Type: p.Type, AccountID: p.AccountID, UserUUID: p.UserUUID}
		if w.Type == "" {
			w.Type = "normal"
		}
		if p.Host {
			one := 1
			w.Role = &one
		}
		list = append(list, w)
	}
	_, err := cl.do(ctx, call{spec: specInvite, body: map[string][]inviteWire{"attendees": list}})
	return err
}
