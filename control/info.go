package control

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/confwatch/confwatch/token"
)

// Info is the meeting's real-time state as ShowRealTimeInfoOfMeeting
// reports it: who is online, who was invited, who hosts. Use it to find a
// participant's ID by name, or to reconcile after a gap in the pushes.
type Info struct {
	// Participants are the online sites: in the meeting, being called or
	// joining, in the server's order.
	Participants []Participant `json:"participants"`
	// Attendees are the people invited, at scheduling or since, whether
	// online or not.
	Attendees []Attendee `json:"attendees"`
	// Host is the host's ID (confInfo.chairID), or "" when nobody hosts.
	Host ParticipantID `json:"host"`
	// Cohosts are the co-hosts' IDs.
	Cohosts []ParticipantID `json:"cohosts"`
}

// Participant is one online site of Info.
type Participant struct {
	ID    ParticipantID `json:"id"`
	Name  string        `json:"name"`
	Phone string        `json:"phone,omitempty"`
	// State is 0 in the meeting, 1 being called, 2 joining.
	State      int  `json:"state"`
	Video      bool `json:"video"`
	Muted      bool `json:"muted"`
	HandRaised bool `json:"handRaised"`
}

// Attendee is one invited person of Info.
type Attendee struct {
	AccountID string `json:"accountId,omitempty"`
	UserUUID  string `json:"userUuid,omitempty"`
	Name      string `json:"name"`
	Phone     string `json:"phone,omitempty"`
}

// Participant returns the online participant with the given ID.
func (i *Info) Participant(id ParticipantID) (Participant, bool) {
	for _, p := range i.Participants {
		if p.ID == id {
			return p, true
		}
	}
	return Participant{}, false
}

// Named returns the online participants whose name is name, ignoring case
// and surrounding spaces; more than one means the name is ambiguous.
func (i *Info) Named(name string) []Participant {
	var out []Participant
	want := strings.TrimSpace(name)
	for _, p := range i.Participants {
		if strings.EqualFold(strings.TrimSpace(p.Name), want) {
			out = append(out, p)
		}
	}
	return out
}

// RealTimeInfo reads the meeting's real-time state
// (ShowRealTimeInfoOfMeeting). It changes nothing, so it is sent in dry
// runs too. Repeatable.
func (cl *Client) RealTimeInfo(ctx context.Context) (*Info, error) {
	body, err := cl.do(ctx, call{spec: specInfo})
	if err != nil {
		return nil, err
	}
	info, err := decodeInfo(body)
	if err != nil {
		return nil, fmt.Errorf("control: %s: %w: %w", specInfo.op, token.ErrBadResponse, err)
	}
	return info, nil
}

// infoWire is §5.1's answer, decoded leniently: ints may come as strings
// and the other way round (the vendor's tables and samples disagree
// elsewhere), keys match without case, and the object may sit under
// "data" as gateways sometimes wrap it.
type infoWire struct {
	Attendees []struct {
		AccountID lenient `json:"accountID"`
		UserUUID  lenient `json:"userUUID"`
		Name      lenient `json:"name"`
		Phone     lenient `json:"phone"`
	} `json:"attendees"`
	Participants []struct {
		PID   lenient `json:"pid"`
		Name  lenient `json:"name"`
		Phone lenient `json:"phone"`
		State lenient `json:"state"`
		Video lenient `json:"video"`
		Mute  lenient `json:"mute"`
		Hand  lenient `json:"hand"`
	} `json:"participants"`
	ConfInfo struct {
		ChairID lenient   `json:"chairID"`
		CoHosts []lenient `json:"coHosts"`
	} `json:"confInfo"`
}

func decodeInfo(body []byte) (*Info, error) {
	b := bytes.TrimSpace(body)
	if len(b) == 0 || b[0] != '{' {
		return nil, fmt.Errorf("the answer is not a JSON object (%d bytes)", len(b))
	}
	var env struct {
		Data *infoWire `json:"data"`
		infoWire
	}
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, err
	}
	w := env.infoWire
	if env.Data != nil && len(w.Participants) == 0 && len(w.Attendees) == 0 {
		w = *env.Data
	}
	info := &Info{
		Host:         ParticipantID(w.ConfInfo.ChairID),
		Participants: []Participant{}, Attendees: []Attendee{}, Cohosts: []ParticipantID{},
	}
	for _, c := range w.ConfInfo.CoHosts {
		if c != "" {
			info.Cohosts = append(info.Cohosts, ParticipantID(c))
		}
	}
	for _, p := range w.Participants {
		if p.PID == "" {
			continue // nothing can act on a participant without an ID
		}
		state, _ := strconv.Atoi(string(p.State))
		info.Participants = append(info.Participants, Participant{
			ID: ParticipantID(p.PID), Name: string(p.Name), Phone: string(p.Phone), State: state,
			Video: p.Video.on(), Muted: p.Mute.on(), HandRaised: p.Hand.on(),
		})
	}
	for _, a := range w.Attendees {
		info.Attendees = append(info.Attendees, Attendee{
			AccountID: string(a.AccountID), UserUUID: string(a.UserUUID), Name: string(a.Name), Phone: string(a.Phone),
		})
	}
	return info, nil
}

// lenient decodes a JSON string, number or boolean as its text; null is
// "".
type lenient string

func (l *lenient) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*l = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*l = lenient(strings.TrimSpace(s))
	case b[0] == '{' || b[0] == '[':
		return fmt.Errorf("want a string or a number, got %c…", b[0])
	default:
		*l = lenient(b)
	}
	return nil
}

// on reads a 0/1 switch: "1", 1 and true are on.
func (l lenient) on() bool { return l == "1" || l == "true" }
