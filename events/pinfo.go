package events

import (
	"strconv"
	"time"
)

// pinfoMap keys sent by the vendor.
const (
	KeyName      = "NAME"
	KeyTel       = "TEL"
	KeyRole      = "ROLE"
	KeyState     = "STATE"
	KeyHand      = "HAND"
	KeyBroadcast = "BROADCAST"
	KeyRollCall  = "ROLLCALL"
	KeyShare     = "SHARE"
	KeyAddTime   = "ADDTIME"
	KeyMute      = "MUTE"
	KeyVideo     = "VIDEO"
	KeyAnonymous = "ANONYMOUS"
	KeyLocalRec  = "LOCALREC"
	KeyViewType  = "VIEW_TYPE"
	KeyWaiting   = "WAITINGSTATE"
	// KeyLoginType is the documented (misspelled) login-type key. The vendor
	// also sends "CLIENT_LOGIN_TYPE" and "CLIENT_ LOG IN_TYPE"; LoginType
	// reads all three.
	KeyLoginType = "CLICENT_LOGIN_TYPE"
)

var loginTypeKeys = [...]string{KeyLoginType, "CLIENT_LOGIN_TYPE", "CLIENT_ LOG IN_TYPE"}

// PInfo is a participant's pinfoMap: the raw string map as sent, with typed
// accessors. In a delta it holds only the keys that changed; use Has to
// tell "not sent" from "sent as false".
//
// A PInfo inside a decoded Push is shared and must not be modified; Merge
// returns a new map.
type PInfo map[string]string

// Has reports whether key was sent.
func (m PInfo) Has(key string) bool { _, ok := m[key]; return ok }

// Name returns NAME.
func (m PInfo) Name() string { return m[KeyName] }

// Tel returns TEL.
func (m PInfo) Tel() string { return m[KeyTel] }

// Role names ROLE: "ordinary" (0), "host" (1) or "audience" (2, a
// webinar's audience); the raw value when it is none of those, and "" when
// ROLE was not sent.
func (m PInfo) Role() string {
	raw, ok := m[KeyRole]
	if !ok {
		return ""
	}
	switch raw {
	case "0":
		return "ordinary"
	case "1":
		return "host"
	case "2":
		return "audience"
	}
	return raw
}

// HandRaised reports HAND == "1".
func (m PInfo) HandRaised() bool { return m[KeyHand] == "1" }

// Muted reports MUTE == "1".
func (m PInfo) Muted() bool { return m[KeyMute] == "1" }

// Sharing reports SHARE == "1".
func (m PInfo) Sharing() bool { return m[KeyShare] == "1" }

// Video reports VIDEO == "1".
func (m PInfo) Video() bool { return m[KeyVideo] == "1" }

// Anonymous reports ANONYMOUS == "1".
func (m PInfo) Anonymous() bool { return m[KeyAnonymous] == "1" }

// Broadcast reports BROADCAST == "1".
func (m PInfo) Broadcast() bool { return m[KeyBroadcast] == "1" }

// RollCall reports ROLLCALL == "1" (the participant has the floor).
func (m PInfo) RollCall() bool { return m[KeyRollCall] == "1" }

// JoinTime returns ADDTIME (epoch ms) as a time, or the zero time.
func (m PInfo) JoinTime() time.Time {
	ms, err := strconv.ParseInt(m[KeyAddTime], 10, 64)
	if err != nil || ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// LoginType returns the client type (Desktop, Mobile, Pad, OtherType) from
// whichever spelling of the login-type key was sent.
func (m PInfo) LoginType() string {
	for _, k := range loginTypeKeys {
		if v, ok := m[k]; ok {
			return v
		}
	}
	return ""
}

// Merge returns a new map holding m's keys overwritten by delta's.
func (m PInfo) Merge(delta PInfo) PInfo {
	out := make(PInfo, len(m)+len(delta))
	for k, v := range m {
		out[k] = v
	}
	for k, v := range delta {
		out[k] = v
	}
	return out
}
