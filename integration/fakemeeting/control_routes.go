package fakemeeting

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// kind is the JSON type a body key must have (REST reference §5, key
// types from the vendor's SDK models).
type kind int

const (
	kInt     kind = iota // a JSON integer
	kSwitch              // a JSON integer, 0 or 1
	kString              // a JSON string
	kBool                // true or false
	kStrings             // an array of strings, at least one
	kObjects             // an array of objects, at least one, each per key.items
)

type bodyKey struct {
	name     string
	kind     kind
	required bool
	items    []bodyKey // kObjects: the keys of each object
}

// controlRoute is one action: the vendor's method, path, query and body
// shape, and what it does to the meeting.
type controlRoute struct {
	op     string
	method string
	path   string   // below PathControl
	query  []string // required query keys besides conferenceID
	body   []bodyKey
	// noBody: the action takes none; empty, "{}" and null are accepted.
	noBody bool
	apply  func(s *Server, c *controlCall, now time.Time) (any, error)
}

func findRoute(path string) *controlRoute {
	for i := range controlRoutes {
		if controlRoutes[i].path == path {
			return &controlRoutes[i]
		}
	}
	return nil
}

var inviteAttendee = []bodyKey{
	{name: "name", kind: kString, required: true},
	{name: "phone", kind: kString, required: true},
	{name: "type", kind: kString, required: true},
	{name: "userUUID", kind: kString}, {name: "accountId", kind: kString}, {name: "role", kind: kInt},
	{name: "phone2", kind: kString}, {name: "phone3", kind: kString},
	{name: "email", kind: kString}, {name: "sms", kind: kString},
	{name: "deptUUID", kind: kString}, {name: "deptName", kind: kString},
}

// controlRoutes is REST reference §1's table for the actions the fake
// serves.
var controlRoutes = []controlRoute{
	{op: "ShowRealTimeInfoOfMeeting", method: http.MethodGet, path: "/realTimeInfo", noBody: true, apply: (*Server).realTimeInfo},
	{op: "InviteParticipant", method: http.MethodPost, path: "/participants",
		body: []bodyKey{{name: "attendees", kind: kObjects, required: true, items: inviteAttendee}}, apply: (*Server).invite},
	{op: "HangUp", method: http.MethodPost, path: "/participants/delete",
		body: []bodyKey{{name: "bulkHangUpParticipants", kind: kStrings, required: true}}, apply: (*Server).hangUp},
	{op: "SetRole", method: http.MethodPut, path: "/participants/role", query: []string{"participantID"},
		body: []bodyKey{{name: "applyChair", kind: kSwitch, required: true}, {name: "chairmanPwd", kind: kString}}, apply: (*Server).setRole},
	{op: "MuteParticipant", method: http.MethodPut, path: "/participants/mute", query: []string{"participantID"},
		body: []bodyKey{{name: "isMute", kind: kSwitch, required: true}}, apply: (*Server).muteOne},
	{op: "MuteMeeting", method: http.MethodPut, path: "/mute",
		body: []bodyKey{{name: "isMute", kind: kSwitch, required: true}, {name: "allowUnmuteByOneself", kind: kSwitch}}, apply: (*Server).muteMeeting},
	{op: "Hand", method: http.MethodPut, path: "/participants/hands", query: []string{"participantID"},
		body: []bodyKey{{name: "handsState", kind: kSwitch, required: true}}, apply: (*Server).hand},
	{op: "BatchHand", method: http.MethodPut, path: "/participants/batch/hands",
		body: []bodyKey{{name: "handsState", kind: kSwitch, required: true}, {name: "pids", kind: kStrings, required: true}}, apply: (*Server).batchHand},
	{op: "LockMeeting", method: http.MethodPut, path: "/lock",
		body: []bodyKey{{name: "isLock", kind: kSwitch, required: true}}, apply: (*Server).lockMeeting},
	{op: "ProlongMeeting", method: http.MethodPut, path: "/duration",
		body: []bodyKey{{name: "auto", kind: kSwitch, required: true}, {name: "duration", kind: kInt}}, apply: (*Server).prolong},
	{op: "StopMeeting", method: http.MethodPut, path: "/stop", noBody: true, apply: (*Server).stopMeeting},
	{op: "Record", method: http.MethodPut, path: "/record",
		body: []bodyKey{{name: "isRecord", kind: kSwitch, required: true}}, apply: (*Server).record},
	{op: "RenameParticipant", method: http.MethodPut, path: "/participants/name",
		body:  []bodyKey{{name: "participantID", kind: kString}, {name: "number", kind: kString, required: true}, {name: "newName", kind: kString, required: true}},
		apply: (*Server).rename},
	{op: "SetCohost", method: http.MethodPut, path: "/participants/cohost", query: []string{"participantID"},
		body: []bodyKey{{name: "isCohost", kind: kSwitch, required: true}}, apply: (*Server).setCohost},
	{op: "AllowWaitingParticipant", method: http.MethodPut, path: "/allowWaitingParticipant",
		body: []bodyKey{{name: "participantID", kind: kString}, {name: "allowAll", kind: kBool}}, apply: (*Server).admit},
	{op: "MoveToWaitingRoom", method: http.MethodPut, path: "/moveToWaitingRoom",
		body: []bodyKey{{name: "participantID", kind: kString, required: true}}, apply: (*Server).moveToWaiting},
	{op: "BatchMoveToWaitingRoom", method: http.MethodPut, path: "/batchMoveToWaitingRoom",
		body: []bodyKey{{name: "batchParticipants", kind: kStrings, required: true}}, apply: (*Server).batchMoveToWaiting},
}

// decodeCall checks the query and body of a request against route, the
// way a strict server would: required keys present, every key of the
// documented type, switches 0 or 1, no undocumented keys.
func decodeCall(route *controlRoute, q url.Values, raw []byte) (*controlCall, error) {
	c := &controlCall{route: route, query: q}
	for _, k := range route.query {
		if strings.TrimSpace(q.Get(k)) == "" {
			return nil, refuse(CodeBadRequest, "%s is required in the query", k)
		}
	}
	trimmed := bytes.TrimSpace(raw)
	if route.noBody {
		if len(trimmed) > 0 && string(trimmed) != "{}" && string(trimmed) != "null" {
			return nil, refuse(CodeBadRequest, "this operation takes no body")
		}
		return c, nil
	}
	if len(trimmed) == 0 {
		return nil, refuse(CodeBodyEmpty, "REQUEST_BODY_EMPTY")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	if err := dec.Decode(&c.body); err != nil || dec.More() || c.body == nil {
		return nil, refuse(CodeBadRequest, "the body is not a JSON object")
	}
	if err := checkKeys(route.body, c.body, ""); err != nil {
		return nil, err
	}
	return c, nil
}

func checkKeys(keys []bodyKey, obj map[string]any, prefix string) error {
	known := map[string]bool{}
	for _, k := range keys {
		known[k.name] = true
		v, ok := obj[k.name]
		if !ok || v == nil {
			if k.required {
				return refuse(CodeBadRequest, "%s%s is required", prefix, k.name)
			}
			delete(obj, k.name)
			continue
		}
		if err := checkValue(k, v, prefix+k.name); err != nil {
			return err
		}
	}
	for name := range obj {
		if !known[name] {
			return refuse(CodeBadRequest, "%s%s is not a parameter of this operation", prefix, name)
		}
	}
	return nil
}

// checkValue checks that v has k's kind; path names it in the refusal.
func checkValue(k bodyKey, v any, path string) error {
	switch k.kind {
	case kInt, kSwitch:
		return checkInt(k, v, path)
	case kStrings:
		return checkStrings(v, path)
	case kObjects:
		return checkObjects(k, v, path)
	case kString:
		if _, ok := v.(string); !ok {
			return refuse(CodeBadRequest, "%s must be a string", path)
		}
	case kBool:
		if _, ok := v.(bool); !ok {
			return refuse(CodeBadRequest, "%s must be a boolean", path)
		}
	}
	return nil
}

func checkInt(k bodyKey, v any, path string) error {
	n, ok := v.(json.Number)
	i, err := n.Int64()
	if !ok || err != nil {
		return refuse(CodeBadRequest, "%s must be an integer", path)
	}
	if k.kind == kSwitch && i != 0 && i != 1 {
		return refuse(CodeSwitchOutOfRange, "%s must be 0 or 1", path)
	}
	return nil
}

func checkStrings(v any, path string) error {
	xs, ok := v.([]any)
	if !ok || len(xs) == 0 {
		return refuse(CodeBadRequest, "%s must be a non-empty array of strings", path)
	}
	for _, x := range xs {
		if s, ok := x.(string); !ok || s == "" {
			return refuse(CodeBadRequest, "%s must be a non-empty array of strings", path)
		}
	}
	return nil
}

func checkObjects(k bodyKey, v any, path string) error {
	xs, ok := v.([]any)
	if !ok || len(xs) == 0 {
		return refuse(CodeBadRequest, "%s must be a non-empty array of objects", path)
	}
	for i, x := range xs {
		obj, ok := x.(map[string]any)
		if !ok {
			return refuse(CodeBadRequest, "%s[%d] must be an object", path, i)
		}
		if err := checkKeys(k.items, obj, path+"[]."); err != nil {
			return err
		}
	}
	return nil
}
