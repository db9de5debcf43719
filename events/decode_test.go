package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/confwatch/confwatch/internal/wire"
)

func readFrame(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustDecode(t testing.TB, frame []byte) *Push {
	t.Helper()
	p, err := Decode(frame)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return p
}

// mustPush decodes frame and returns the push and its payload as P.
func mustPush[P Payload](t testing.TB, frame []byte) (*Push, P) {
	t.Helper()
	p := mustDecode(t, frame)
	pl, ok := p.Payload.(P)
	if !ok {
		var zero P
		t.Fatalf("Payload is %T, want %T", p.Payload, zero)
	}
	return p, pl
}

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func checkEnvelope(t *testing.T, p *Push, action string, version, createMS int64, msgID string, mode Mode) {
	t.Helper()
	eq(t, "Action", p.Action, action)
	eq(t, "Version", p.Version, version)
	eq(t, "CreateTime", p.CreateTime.UnixMilli(), createMS)
	eq(t, "MsgID", p.MsgID, msgID)
	eq(t, "Mode", p.Mode, mode)
	eq(t, "ConfID", p.ConfID, "986112045")
}

// TestDecodeTestdata decodes every sample frame and checks field values.
func TestDecodeTestdata(t *testing.T) {
	cases := map[string]func(t *testing.T, b []byte){
		"ParticipantsNotify.full.json": func(t *testing.T, b []byte) {
			p, pl := mustPush[*ParticipantsNotify](t, b)
			checkEnvelope(t, p, ActionParticipants, 1736153012397, 1736153012397, "5d0e3a9ccbd011ef9a2f0242ac120003", ModeFull)
			if len(pl.Participants) != 2 {
				t.Fatalf("%d participants, want 2", len(pl.Participants))
			}
			a, r := pl.Participants[0], pl.Participants[1]
			eq(t, "a.PID", a.PID, "q7m2xk9c4tz1w8d5r0yb6n3hv2pe7sfa")
			eq(t, "a.Removed", a.Removed(), false)
			eq(t, "a.Name", a.Info.Name(), "Li Wei")
			eq(t, "a.Role", a.Info.Role(), "host")
			eq(t, "a.HandRaised", a.Info.HandRaised(), false)
			eq(t, "a.Muted", a.Info.Muted(), false)
			eq(t, "a.Video", a.Info.Video(), true)
			eq(t, "a.LoginType", a.Info.LoginType(), "Desktop")
			eq(t, "a.JoinTime", a.Info.JoinTime().UnixMilli(), int64(1736150461234))
			eq(t, "a.RTC_USER_ID", a.Info["RTC_USER_ID"], a.PID)
			eq(t, "a keys", len(a.Info), 22)
			eq(t, "r.Name", r.Info.Name(), "Meeting Room 3F")
			eq(t, "r.Muted", r.Info.Muted(), true)
			eq(t, "r.Role", r.Info.Role(), "ordinary")
			eq(t, "r.Tel", r.Info.Tel(), "+99111283746505678")
		},
		"ParticipantsNotify.incremental.json": func(t *testing.T, b []byte) {
			p, pl := mustPush[*ParticipantsNotify](t, b)
			checkEnvelope(t, p, ActionParticipants, 57, 1736153196565, "6a1f90e4cbd011ef9a2f0242ac120003", ModeDelta)
			if len(pl.Participants) != 2 {
				t.Fatalf("%d participants, want 2", len(pl.Participants))
			}
			a, r := pl.Participants[0], pl.Participants[1]
			eq(t, "a.Removed()", a.Removed(), false)
			eq(t, "a.HandRaised", a.Info.HandRaised(), true)
			eq(t, "a.Has(HAND)", a.Info.Has(KeyHand), true)
			eq(t, "a.Has(MUTE)", a.Info.Has(KeyMute), false)
			eq(t, "a keys", len(a.Info), 1)
			eq(t, "r.PID", r.PID, "f2n8ra5kz0c1v7yq4wx9m3dt6ub8hgle")
			eq(t, "r.Removed", r.Removed(), true)
			eq(t, "r keys", len(r.Info), 0)
		},
		"SpeakerChangeNotify.json": func(t *testing.T, b []byte) {
			p, pl := mustPush[*SpeakerChangeNotify](t, b)
			checkEnvelope(t, p, ActionSpeakerChange, 1736153252860, 1736153252860, "7b93c2d8cbd011ef9a2f0242ac120003", ModeFull)
			if len(pl.Speakers) != 2 {
				t.Fatalf("%d speakers, want 2", len(pl.Speakers))
			}
			eq(t, "s0", pl.Speakers[0], Speaker{PID: "q7m2xk9c4tz1w8d5r0yb6n3hv2pe7sfa", Name: "Li Wei", SpeakingVolume: 62})
			eq(t, "s1", pl.Speakers[1], Speaker{PID: "j5w1ez7p0qk3r9c8v2bn6yx4mt1dsa0h", Name: "Zhang Min", SpeakingVolume: 18})
		},
		"ConfBasicInfoNotify.json": func(t *testing.T, b []byte) {
			p, pl := mustPush[*ConfBasicInfoNotify](t, b)
			checkEnvelope(t, p, ActionConfBasicInfo, 1736153012386, 1736153012386, "5d0c1e6acbd011ef9a2f0242ac120003", ModeFull)
			eq(t, "DisplayID", pl.DisplayID, "986112045")
			eq(t, "Title", pl.Title, "Platform team weekly sync")
			eq(t, "StartTime", pl.StartTime.UnixMilli(), int64(1736150400000))
			eq(t, "ScheduledStartTime", pl.ScheduledStartTime.UnixMilli(), int64(1736150400000))
			eq(t, "Media", pl.Media, 2)
			eq(t, "UserType", pl.UserType, 2)
			eq(t, "Owner", pl.Owner, "Li Wei")
			eq(t, "OwnerID", pl.OwnerID, "8a5c1f0e3b7d4c2a9e6f1b0d7c3a5e21")
			eq(t, "ConfMode", pl.ConfMode, "RTC")
			eq(t, "GuestJoinURI", strings.HasPrefix(pl.GuestJoinURI, "https://meeting.huaweicloud.com/#/j/986112045/"), true)
			if len(pl.Passwords) != 2 {
				t.Fatalf("%d passwords, want 2", len(pl.Passwords))
			}
			eq(t, "chair", pl.Passwords["chair"].Reveal(), "604117")
			eq(t, "general", pl.Passwords["general"].Reveal(), "283950")
			if s := fmt.Sprintf("%v %+v", pl, pl.Passwords); strings.Contains(s, "604117") {
				t.Errorf("password printed: %s", s)
			}
		},
		"ConfDynamicInfoNotify.json": func(t *testing.T, b []byte) {
			p, pl := mustPush[*ConfDynamicInfoNotify](t, b)
			checkEnvelope(t, p, ActionConfDynamicInfo, 1736153012392, 1736153012392, "5d0d2f1bcbd011ef9a2f0242ac120003", ModeFull)
			eq(t, "State", pl.State, "Created")
			eq(t, "Ended", pl.Ended(), false)
			eq(t, "Mode", pl.Mode, "FREE")
			eq(t, "Mute", pl.Mute, 1)
			eq(t, "CanUnmute", pl.CanUnmute, 1)
			eq(t, "PicNum", pl.PicNum, 4)
			eq(t, "MaxPartViewNum", pl.MaxPartViewNum, 8)
			eq(t, "Locked", pl.Locked(), false)
			eq(t, "EndTime", pl.EndTime.UnixMilli(), int64(1736157600000))
			eq(t, "ConfIMGroupID", pl.ConfIMGroupID, "im_986112045_7c1e")
			if pl.MultiPic == nil {
				t.Fatal("MultiPic is nil")
			}
			eq(t, "MultiPic.PicNum", pl.MultiPic.PicNum, 4)
			eq(t, "MultiPic.Period", pl.MultiPic.Period, 10)
			eq(t, "len PicInfos", len(pl.MultiPic.PicInfos), 2)
			eq(t, "PicInfos[1].Index", pl.MultiPic.PicInfos[1].Index, 2)
			eq(t, "PicInfos[1].IDs", strings.Join(pl.MultiPic.PicInfos[1].IDs, ","), "+99111283746505678")
		},
		"ConfDynamicInfoNotify.destroyed.json": func(t *testing.T, b []byte) {
			p, pl := mustPush[*ConfDynamicInfoNotify](t, b)
			checkEnvelope(t, p, ActionConfDynamicInfo, 1736157600812, 1736157600812, "0b7e44d2cbe111ef9a2f0242ac120003", ModeFull)
			eq(t, "State", pl.State, "Destroyed")
			eq(t, "Ended", pl.Ended(), true)
		},
		"AttendeesNotify.json": func(t *testing.T, b []byte) {
			p, pl := mustPush[*AttendeesNotify](t, b)
			checkEnvelope(t, p, ActionAttendees, 1736153012398, 1736153012398, "5d0e5b01cbd011ef9a2f0242ac120003", ModeFull)
			if len(pl.Attendees) != 2 {
				t.Fatalf("%d attendees, want 2", len(pl.Attendees))
			}
			a, z := pl.Attendees[0], pl.Attendees[1]
			eq(t, "a.Name", a.Name, "Li Wei")
			eq(t, "a.Role", a.Role, 1)
			eq(t, "a.Email", a.Email, "li.wei@example.com")
			eq(t, "a.AccountID", a.AccountID, "liwei")
			eq(t, "a.OrgID", a.OrgID, "61037")
			eq(t, "a.IsAutoInvite", a.IsAutoInvite, 1)
			eq(t, "a.DeptName", a.DeptName, "Platform")
			eq(t, "z.Name", z.Name, "Zhang Min")
			eq(t, "z.IsMute", z.IsMute, 1)
			eq(t, "z.ParticipantID", z.ParticipantID, "")
			eq(t, "z.Type", z.Type, "normal")
		},
		"InviteResultNotify.json": func(t *testing.T, b []byte) {
			p, pl := mustPush[*InviteResultNotify](t, b)
			checkEnvelope(t, p, ActionInviteResult, 1736153318122, 1736153318122, "8c2b7fe1cbd011ef9a2f0242ac120003", ModeFull)
			if len(pl.Results) != 2 {
				t.Fatalf("%d results, want 2", len(pl.Results))
			}
			eq(t, "r0", pl.Results[0], InviteResult{CallNumber: "+99111283746509012", Code: "0"})
			eq(t, "r1", pl.Results[1], InviteResult{CallNumber: "+99111283746505678", Code: "11076010"})
		},
		"NetConditionNotify.json": func(t *testing.T, b []byte) {
			p, pl := mustPush[*NetConditionNotify](t, b)
			checkEnvelope(t, p, ActionNetCondition, 212, 1736153343349, "9d4e1a73cbd011ef9a2f0242ac120003", ModeDelta)
			if len(pl.Conditions) != 1 {
				t.Fatalf("%d conditions, want 1", len(pl.Conditions))
			}
			c := pl.Conditions[0]
			eq(t, "NetInfo", c.NetInfo, "good")
			eq(t, "Delay", c.Delay, "41")
			eq(t, "AudioCodecType", c.AudioCodecType, "AACLD")
			eq(t, "VideoCodecType", c.VideoCodecType, "H264HP")
			eq(t, "Bandwidth", c.Bandwidth, int64(61440))
			// The sample-only video and assist-video fields (§5.8).
			eq(t, "video loss and flux", [8]string{c.VideoInLossPacketRate, c.VideoOutLossPacketRate,
				c.AssistVideoInLossPacketRate, c.AssistVideoOutLossPacketRate,
				c.VideoFluxIn, c.VideoFluxOut, c.AssistVideoFluxIn, c.AssistVideoFluxOut},
				[8]string{"12", "0", "0", "0", "8", "11", "0", "0"})
		},
		"RealTimeSubtitleNotify.json": func(t *testing.T, b []byte) {
			p, pl := mustPush[*RealTimeSubtitleNotify](t, b)
			checkEnvelope(t, p, ActionRealTimeSubtitle, 18, 1736153467655, "bf02c9d4cbd011ef9a2f0242ac120003", ModeDelta)
			if len(pl.Msgs) != 1 {
				t.Fatalf("%d msgs, want 1", len(pl.Msgs))
			}
			eq(t, "msg", pl.Msgs[0], SubtitleMsg{Lang: "Original", Text: "Let's move on to the release checklist.", ID: "sub-000018"})
			eq(t, "IsFinal", pl.IsFinal, true)
			eq(t, "Timestamp", pl.Timestamp.UnixMilli(), int64(1736153467645))
			// Offsets from the meeting's start in this frame (protocol
			// §5.10); the reference's example file shows instants there.
			eq(t, "BeginTime", pl.BeginTime, 3064445*time.Millisecond)
			eq(t, "EndTime", pl.EndTime, 3067545*time.Millisecond)
			eq(t, "ParticipantID", pl.ParticipantID, "q7m2xk9c4tz1w8d5r0yb6n3hv2pe7sfa")
		},
		"WaitingListNotify.json": func(t *testing.T, b []byte) {
			p, pl := mustPush[*WaitingListNotify](t, b)
			checkEnvelope(t, p, ActionWaitingList, 3, 1736153415263, "ae61f0b2cbd011ef9a2f0242ac120003", ModeDelta)
			if len(pl.Members) != 1 {
				t.Fatalf("%d members, want 1", len(pl.Members))
			}
			m := pl.Members[0]
			eq(t, "PID", m.PID, "c81d4e7a0f3b11f0a1b2c3d4e5f60718")
			eq(t, "Name", m.Info.Name(), "Guest Wang")
			eq(t, "Anonymous", m.Info.Anonymous(), true)
			eq(t, "LoginType", m.Info.LoginType(), "Mobile")
			eq(t, "WAITINGSTATE", m.Info[KeyWaiting], "0")
			eq(t, "JoinTime", m.Info.JoinTime().UnixMilli(), int64(1736153415245))
		},
	}
	maps.Copy(cases, vendorLikeChecks)
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		name := filepath.Base(f)
		seen[name] = true
		check, ok := cases[name]
		if !ok {
			t.Errorf("testdata/%s has no checks", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			b := readFrame(t, name)
			check(t, b)
			p := mustDecode(t, b)
			if string(p.Raw) != string(b) {
				t.Error("Raw is not the frame")
			}
			checkRoundTrip(t, p)
		})
	}
	for name := range cases {
		if !seen[name] {
			t.Errorf("testdata/%s is missing", name)
		}
	}
}

// TestDecodeVariants covers the vendor's documented inconsistencies.
func TestDecodeVariants(t *testing.T) {
	t.Run("VersionCreateTimeModeAsStrings", func(t *testing.T) {
		p, _ := mustPush[*ParticipantsNotify](t, []byte(
			`{"action":"ParticipantsNotify","version":"57","createTime":"1736153196565","msgID":"m","msgMode":"1","confID":"c","data":[]}`))
		eq(t, "Version", p.Version, 57)
		eq(t, "CreateTime", p.CreateTime, time.UnixMilli(1736153196565))
		eq(t, "Mode", p.Mode, ModeDelta)
	})
	t.Run("ConfIDAsNumber", func(t *testing.T) {
		p, _ := mustPush[*SpeakerChangeNotify](t, []byte(`{"action":"SpeakerChangeNotify","confID":986112045}`))
		eq(t, "ConfID", p.ConfID, "986112045")
	})
	t.Run("PicNumAsString", func(t *testing.T) {
		_, pl := mustPush[*ConfDynamicInfoNotify](t, []byte(
			`{"action":"ConfDynamicInfoNotify","msgMode":0,"picNum":"4","lock":"1","multiPic":{"picNum":"9","period":"10","picInfos":[{"index":"1","id":["a"],"share":"1"}]},"endTime":1736157600000}`))
		eq(t, "PicNum", pl.PicNum, 4)
		eq(t, "Locked", pl.Locked(), true)
		eq(t, "MultiPic.PicNum", pl.MultiPic.PicNum, 9)
		eq(t, "Share", pl.MultiPic.PicInfos[0].Share, 1)
		eq(t, "EndTime (number)", pl.EndTime.UnixMilli(), int64(1736157600000))
	})
	t.Run("IntFieldsAsStrings", func(t *testing.T) {
		_, pl := mustPush[*SpeakerChangeNotify](t, []byte(
			`{"action":"SpeakerChangeNotify","data":[{"pid":"a","speakingVolume":"62"},{"pid":"b","speakingVolume":18.0}]}`))
		eq(t, "vol0", pl.Speakers[0].SpeakingVolume, 62)
		eq(t, "vol1", pl.Speakers[1].SpeakingVolume, 18)
		_, ps := mustPush[*ParticipantsNotify](t, []byte(
			`{"action":"ParticipantsNotify","data":[{"pid":"a","mode":"1"}]}`))
		eq(t, "Removed", ps.Participants[0].Removed(), true)
	})
	t.Run("TimesAsStringsOrNumbers", func(t *testing.T) {
		_, pl := mustPush[*ConfBasicInfoNotify](t, []byte(
			`{"action":"ConfBasicInfoNotify","startTime":1736150400000,"scheduledStartTime":"","webinar":true,"supportWaitingRoom":"1","pwds":[{"role":"chair","pwd":604117}]}`))
		eq(t, "StartTime", pl.StartTime, time.UnixMilli(1736150400000))
		eq(t, "ScheduledStartTime zero", pl.ScheduledStartTime.IsZero(), true)
		eq(t, "Webinar", pl.Webinar, true)
		eq(t, "SupportWaitingRoom", pl.SupportWaitingRoom, true)
		eq(t, "numeric pwd", pl.Passwords["chair"].Reveal(), "604117")
	})
	t.Run("ErrorCodeOrResultCode", func(t *testing.T) {
		_, pl := mustPush[*InviteResultNotify](t, []byte(
			`{"action":"InviteResultNotify","data":[{"callNumber":"1","errorCode":"11111001"},{"callNumber":"2","resultCode":"11076010"},{"callNumber":"3","resultCode":0}]}`))
		eq(t, "errorCode", pl.Results[0].Code, "11111001")
		eq(t, "resultCode", pl.Results[1].Code, "11076010")
		eq(t, "numeric resultCode", pl.Results[2].Code, "0")
	})
	t.Run("SubtitleKeysWithSpaces", func(t *testing.T) {
		p, pl := mustPush[*RealTimeSubtitleNotify](t, []byte(
			`{"action":"RealTimeSubtitleNotify","version":"18","createTime":"1736153467655","msgMode":1,"data":{"msgs ":[{"subtitleLang":"English","translateText":"hello","id ":"sub-1"}],"isFinal ":true,"timestamp ":1736153467645," participantID":"p"}}`))
		eq(t, "Version", p.Version, 18)
		eq(t, "msg", pl.Msgs[0], SubtitleMsg{Lang: "English", Text: "hello", ID: "sub-1"})
		eq(t, "IsFinal", pl.IsFinal, true)
		eq(t, "Timestamp", pl.Timestamp.UnixMilli(), int64(1736153467645))
		eq(t, "ParticipantID", pl.ParticipantID, "p")
	})
	t.Run("OrgIDSpellings", func(t *testing.T) {
		_, pl := mustPush[*AttendeesNotify](t, []byte(
			`{"action":"AttendeesNotify","data":[{"name":"a","orgId":"1"},{"name":"b","orgID":"2"},{"name":"c","orgId":"","orgID":"3"}]}`))
		eq(t, "orgId", pl.Attendees[0].OrgID, "1")
		eq(t, "orgID", pl.Attendees[1].OrgID, "2")
		eq(t, "both", pl.Attendees[2].OrgID, "3")
	})
	t.Run("InterpreterGroupKeys", func(t *testing.T) {
		_, a := mustPush[*InterpreterGroupNotify](t, []byte(
			`{"action":"InterpreterGroupNotify","msgMode":0,"data":[{"groupId":"1","groupName":"ZH-EN","firstLanguage":"zh","secondLanguage":"en","groupType":"MANUAL","interpreters":[{"loginAccount":"chen.jie","userID":"u","callNumber":"+99","name":"Chen Jie","interpreterType":"MANUAL","interpreterId":"i1"}]}]}`))
		if len(a.Groups) != 1 || len(a.Groups[0].Interpreters) != 1 {
			t.Fatalf("groups %+v", a.Groups)
		}
		eq(t, "GroupID (groupId under data)", a.Groups[0].GroupID, "1")
		eq(t, "GroupName", a.Groups[0].GroupName, "ZH-EN")
		eq(t, "Interpreter", a.Groups[0].Interpreters[0], Interpreter{
			LoginAccount: "chen.jie", UserID: "u", CallNumber: "+99", Name: "Chen Jie", InterpreterType: "MANUAL", InterpreterID: "i1"})

		_, b := mustPush[*InterpreterGroupNotify](t, []byte(
			`{"action":"InterpreterGroupNotify","interpreterGroups":[{"groupID":"7","groupType":"AI","interpreters":[{"name":"x","interpreterID":"i2","aiDigitalInfo":{"type":"PUBLIC"}}]}]}`))
		if len(b.Groups) != 1 {
			t.Fatalf("groups %+v", b.Groups)
		}
		eq(t, "GroupID (groupID under interpreterGroups)", b.Groups[0].GroupID, "7")
		eq(t, "GroupType", b.Groups[0].GroupType, "AI")
		eq(t, "InterpreterID", b.Groups[0].Interpreters[0].InterpreterID, "i2")
	})
	t.Run("LoginTypeSpellings", func(t *testing.T) {
		for _, key := range []string{"CLICENT_LOGIN_TYPE", "CLIENT_LOGIN_TYPE", "CLIENT_ LOG IN_TYPE"} {
			_, pl := mustPush[*ParticipantsNotify](t, []byte(
				`{"action":"ParticipantsNotify","msgMode":1,"version":2,"data":[{"pid":"p","mode":0,"pinfoMap":{"`+key+`":"Pad"}}]}`))
			eq(t, key, pl.Participants[0].Info.LoginType(), "Pad")
			eq(t, key+" kept as sent", pl.Participants[0].Info.Has(key), true)
		}
	})
	t.Run("SpeakerChangeWithoutData", func(t *testing.T) {
		for _, frame := range []string{
			`{"action":"SpeakerChangeNotify","version":1736153252860,"createTime":1736153252860,"msgID":"x","msgMode":0,"confID":"986112045"}`,
			`{"action":"SpeakerChangeNotify","version":1736153252860,"msgMode":0,"data":null}`,
			`{"action":"SpeakerChangeNotify","version":1736153252860,"data":[]}`,
		} {
			p, pl := mustPush[*SpeakerChangeNotify](t, []byte(frame))
			eq(t, "Version", p.Version, 1736153252860)
			eq(t, "len(Speakers)", len(pl.Speakers), 0)
		}
	})
	t.Run("ActionNotFirst", func(t *testing.T) {
		p, _ := mustPush[*SpeakerChangeNotify](t, []byte(`{"version":3,"data":[{"pid":"a","x":[1,"}"]}], "action" : "SpeakerChangeNotify"}`))
		eq(t, "Version", p.Version, 3)
	})
	t.Run("EscapedAction", func(t *testing.T) {
		p, _ := mustPush[*SpeakerChangeNotify](t, []byte(`{"\u0061ction":"Speaker\u0043hangeNotify","version":4}`))
		eq(t, "Action", p.Action, ActionSpeakerChange)
		eq(t, "Version", p.Version, 4)
	})
	t.Run("UnknownFieldsIgnored", func(t *testing.T) {
		_, pl := mustPush[*SpeakerChangeNotify](t, []byte(
			`{"action":"SpeakerChangeNotify","extra":{"deep":[1,2,{"x":null}]},"data":[{"pid":"a","name":"A","speakingVolume":5,"new":true}]}`))
		eq(t, "speaker", pl.Speakers[0], Speaker{PID: "a", Name: "A", SpeakingVolume: 5})
	})
}

func TestDecodeUnknownAction(t *testing.T) {
	frame := []byte(`{"action":"CustomMultiPicNotify","version":"7","createTime":1736153012345,"msgID":"m1","msgMode":1,"confID":"986112045","data":{"anything":[1,2,3]}}`)
	p, err := Decode(frame)
	if err != nil {
		t.Fatalf("unknown action is an error: %v", err)
	}
	if p.Payload != nil {
		t.Errorf("Payload = %T, want nil", p.Payload)
	}
	eq(t, "Action", p.Action, "CustomMultiPicNotify")
	eq(t, "Version", p.Version, 7)
	eq(t, "Mode", p.Mode, ModeDelta)
	eq(t, "MsgID", p.MsgID, "m1")
	eq(t, "Raw", string(p.Raw), string(frame))
	if &p.Raw[0] != &frame[0] {
		t.Error("Raw is a copy; Decode documents that it keeps the frame")
	}
}

// TestDecodeControlFrames checks that the connector's own frames pass
// through with their action and nothing decoded: the connector reads them.
func TestDecodeControlFrames(t *testing.T) {
	for _, frame := range []string{
		`{"action":"Subscribe","sequence":"1","version":"not a number","data":{"returnCode":0}}`,
		`{"sequence":"1","action":"HeartBeat"} trailing`,
		`{"\u0061ction":"Heart\u0042eat","sequence":"1"}`,
	} {
		p := mustDecode(t, []byte(frame))
		if p.Action != wire.ActionSubscribe && p.Action != wire.ActionHeartBeat {
			t.Errorf("%s: Action %q", frame, p.Action)
		}
		if p.Payload != nil || p.Version != 0 || p.MsgID != "" || string(p.Raw) != frame {
			t.Errorf("%s: decoded as %s", frame, describe(p))
		}
	}
}

// TestDecodeDoesNotAliasFrame checks that payload values survive the
// caller overwriting the frame (only Raw shares it), for frames small and
// large enough to spread their strings over many chunks.
func TestDecodeDoesNotAliasFrame(t *testing.T) {
	frames := map[string][]byte{
		"full":     readFrame(t, "ParticipantsNotify.full.json"),
		"speakers": readFrame(t, "SpeakerChangeNotify.json"),
		"waiting":  readFrame(t, "WaitingListNotify.json"),
	}
	for name, f := range benchFrames(t) {
		frames[name] = bytes.Clone(f)
	}
	for name, frame := range frames {
		p, err := Decode(frame)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		seen := func() string {
			pl, err := json.Marshal(p.Payload)
			if err != nil {
				t.Fatal(err)
			}
			return fmt.Sprint(p.Action, p.Version, p.MsgID, p.ConfID, p.CreateTime, string(pl))
		}
		before := seen()
		for i := range frame {
			frame[i] = 'x'
		}
		if after := seen(); after != before {
			t.Errorf("%s: overwriting the frame changed the push:\n%.300s\n%.300s", name, before, after)
		}
	}
	_, pl := mustPush[*ParticipantsNotify](t, readFrame(t, "ParticipantsNotify.full.json"))
	eq(t, "PID", pl.Participants[0].PID, "q7m2xk9c4tz1w8d5r0yb6n3hv2pe7sfa")
	eq(t, "Name", pl.Participants[0].Info.Name(), "Li Wei")
}

// TestDecodeAllocs pins the allocations of the high-rate pushes (issue
// #20): a participant delta is the Push with its entries, one block of
// strings and the pinfoMap (two); a speaker change has no map.
func TestDecodeAllocs(t *testing.T) {
	frames := benchFrames(t)
	for _, c := range []struct {
		name string
		max  float64
	}{{"ParticipantsDelta", 4}, {"SpeakerChange", 2}} {
		frame := frames[c.name]
		n := testing.AllocsPerRun(200, func() {
			if _, err := Decode(frame); err != nil {
				t.Fatal(err)
			}
		})
		if n > c.max {
			t.Errorf("%s: %v allocations per decode, want at most %v", c.name, n, c.max)
		}
	}
}

func TestDecodeMalformed(t *testing.T) {
	cases := map[string]string{
		"Empty":                  ``,
		"Spaces":                 `   `,
		"NotJSON":                `hello`,
		"Truncated":              `{"action":"ParticipantsNotify","data":[{"pid":"a"`,
		"TrailingGarbage":        `{"action":"SpeakerChangeNotify","version":1} x`,
		"UnknownTrailingGarbage": `{"action":"CustomNotify","version":1} x`,
		"Array":                  `[{"action":"HeartBeat"}]`,
		"String":                 `"HeartBeat"`,
		"Number":                 `42`,
		"Null":                   `null`,
		"MissingAction":          `{"version":1,"data":[]}`,
		"EmptyAction":            `{"action":"","data":[]}`,
		"ActionNotString":        `{"action":7}`,
		"ActionNull":             `{"action":null}`,
		"ParticipantsDataObject": `{"action":"ParticipantsNotify","data":{"pid":"a"}}`,
		"ParticipantsDataString": `{"action":"ParticipantsNotify","data":"[]"}`,
		"PinfoMapArray":          `{"action":"ParticipantsNotify","data":[{"pid":"a","pinfoMap":["NAME"]}]}`,
		"ModeObject":             `{"action":"ParticipantsNotify","data":[{"pid":"a","mode":{}}]}`,
		"ModeFraction":           `{"action":"ParticipantsNotify","data":[{"pid":"a","mode":0.5}]}`,
		"ModeWord":               `{"action":"ParticipantsNotify","data":[{"pid":"a","mode":"remove"}]}`,
		"SpeakersObject":         `{"action":"SpeakerChangeNotify","data":{"pid":"a"}}`,
		"VersionBool":            `{"action":"SpeakerChangeNotify","version":true}`,
		"VersionOverflow":        `{"action":"SpeakerChangeNotify","version":1e99}`,
		"CreateTimeWord":         `{"action":"CustomNotify","createTime":"yesterday"}`,
		"PicNumWord":             `{"action":"ConfDynamicInfoNotify","picNum":"four"}`,
		"MultiPicArray":          `{"action":"ConfDynamicInfoNotify","multiPic":[]}`,
		"PwdsObject":             `{"action":"ConfBasicInfoNotify","pwds":{"chair":"1"}}`,
		"SubtitleDataArray":      `{"action":"RealTimeSubtitleNotify","data":[]}`,
		"IsFinalWord":            `{"action":"RealTimeSubtitleNotify","data":{"isFinal":"maybe"}}`,
		"InviteDataObject":       `{"action":"InviteResultNotify","data":{"callNumber":"1"}}`,
		"GroupsString":           `{"action":"InterpreterGroupNotify","interpreterGroups":"x"}`,
	}
	for name, frame := range cases {
		t.Run(name, func(t *testing.T) {
			fr, err := Decode([]byte(frame))
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Decode(%q) = %v, %v; want ErrMalformed", frame, fr, err)
			}
			if fr != nil {
				t.Errorf("frame %T returned with the error", fr)
			}
			if !strings.HasPrefix(err.Error(), ErrMalformed.Error()) {
				t.Errorf("error %q does not start with the sentinel text", err)
			}
		})
	}
}

// TestDecodeErrorsDoNotLeak checks that errors name the field but carry
// neither payload values nor long excerpts.
func TestDecodeErrorsDoNotLeak(t *testing.T) {
	secret := "s3cr3t-" + strings.Repeat("p", 200)
	cases := []struct {
		frame, want string
		excerpt     bool // the action itself is the secret: a ≤64-byte excerpt is allowed
	}{
		{`{"action":"ConfBasicInfoNotify","pwds":[{"role":"chair","pwd":{"v":"` + secret + `"}}]}`, "pwds.pwd", false},
		{`{"action":"ParticipantsNotify","data":[{"pid":"a","mode":"` + secret + `"}]}`, "data.mode", false},
		{`{"action":"ParticipantsNotify","data":[{"pid":"a","pinfoMap":{"NAME":["` + secret + `"]}}]}`, "data.pinfoMap", false},
		{`{"action":"` + secret + `","version":"` + secret + `"}`, "version", true},
		{`{"action":"SpeakerChangeNotify","version":` + strings.Repeat("9", 300) + `}`, "version", false},
		{`{"action":"SpeakerChangeNotify","msgID":"` + secret + `"` + secret, "SpeakerChangeNotify", false},
		{`{"action":"` + strings.Repeat(`\u0011`, 100) + `","version":{}}`, "version", true},
	}
	for i, c := range cases {
		_, err := Decode([]byte(c.frame))
		if !errors.Is(err, ErrMalformed) {
			t.Fatalf("case %d: err = %v, want ErrMalformed", i, err)
		}
		msg := err.Error()
		t.Logf("case %d: %s", i, msg)
		if !c.excerpt && strings.Contains(msg, "s3cr3t") {
			t.Errorf("case %d: error leaks a payload value: %s", i, msg)
		}
		if strings.Contains(msg, "99999") || strings.Contains(msg, strings.Repeat("p", wire.MaxExcerpt)) || len(msg) > 200 {
			t.Errorf("case %d: error carries a long excerpt: %s", i, msg)
		}
		if !strings.Contains(msg, c.want) {
			t.Errorf("case %d: error %q does not mention %q", i, msg, c.want)
		}
	}
}

// ---- benchmarks ----

// benchFrames builds the benchmark frames: a participants delta (one hand
// raised), a speaker change, and a 3000-participant full snapshot.
func benchFrames(tb testing.TB) map[string][]byte {
	var sb strings.Builder
	sb.WriteString(`{"action":"ParticipantsNotify","version":1736153012397,"createTime":1736153012397,"msgID":"5d0e3a9ccbd011ef9a2f0242ac120003","msgMode":0,"confID":"986112045","data":[`)
	for i := 0; i < 3000; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		pid := fmt.Sprintf("p%031d", i)
		fmt.Fprintf(&sb, `{"pid":"%s","mode":0,"pinfoMap":{"NAME":"Participant %d","TEL":"+9911128374%07d","ROLE":"0","STATE":"0","HAND":"%d","BROADCAST":"0","ROLLCALL":"0","SHARE":"0","ADDTIME":"%d","MUTE":"%d","VIDEO":"1","M":"1","T":"%d","ANONYMOUS":"0","LOCALREC":"0","CLIENT_LOGIN_TYPE":"Desktop","VIEW_TYPE":"0","ACCOUNT":"user%d","ACCOUNT_ID":"%032x","ORG_ID":"61037","IS_COHOST":"0","RTC_USER_ID":"%s"}}`,
			pid, i, i, i%2, 1736150461234+int64(i), (i/2)%2, i, i, i, pid)
	}
	sb.WriteString(`]}`)
	full := []byte(sb.String())
	return map[string][]byte{
		"ParticipantsDelta":    []byte(`{"action":"ParticipantsNotify","version":57,"createTime":1736153196565,"msgID":"6a1f90e4cbd011ef9a2f0242ac120003","msgMode":1,"confID":"986112045","data":[{"pid":"q7m2xk9c4tz1w8d5r0yb6n3hv2pe7sfa","mode":0,"pinfoMap":{"HAND":"1"}}]}`),
		"SpeakerChange":        []byte(`{"action":"SpeakerChangeNotify","version":1736153252860,"createTime":1736153252860,"msgID":"7b93c2d8cbd011ef9a2f0242ac120003","msgMode":0,"confID":"986112045","data":[{"pid":"q7m2xk9c4tz1w8d5r0yb6n3hv2pe7sfa","name":"Li Wei","speakingVolume":62},{"pid":"j5w1ez7p0qk3r9c8v2bn6yx4mt1dsa0h","name":"Zhang Min","speakingVolume":18}]}`),
		"ParticipantsFull3000": full,
	}
}

// BenchmarkDecode decodes the frames of benchFrames. Each has a /valid
// twin, json.Valid of the same frame: a parse that builds nothing, the
// floor a decoder's time is measured against in the same run.
func BenchmarkDecode(b *testing.B) {
	frames := benchFrames(b)
	for _, name := range []string{"ParticipantsDelta", "SpeakerChange", "ParticipantsFull3000"} {
		frame := frames[name]
		b.Run(name, func(b *testing.B) {
			if _, err := Decode(frame); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(frame)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Decode(frame); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/valid", func(b *testing.B) {
			b.SetBytes(int64(len(frame)))
			b.ReportAllocs()
			for b.Loop() {
				if !json.Valid(frame) {
					b.Fatal("invalid frame")
				}
			}
		})
	}
}

func TestBenchFramesDecode(t *testing.T) {
	frames := benchFrames(t)
	_, pl := mustPush[*ParticipantsNotify](t, frames["ParticipantsFull3000"])
	eq(t, "participants", len(pl.Participants), 3000)
	eq(t, "last name", pl.Participants[2999].Info.Name(), "Participant "+strconv.Itoa(2999))
	eq(t, "hand", pl.Participants[1].Info.HandRaised(), true)
}

// TestFastPath checks that the hot-path parser takes the frames a meeting
// really sends (it must not quietly fall back to encoding/json) and that
// on tricky frames it agrees with the encoding/json reference.
func TestFastPath(t *testing.T) {
	accept := [][]byte{
		readFrame(t, "ParticipantsNotify.full.json"),
		readFrame(t, "ParticipantsNotify.incremental.json"),
		readFrame(t, "SpeakerChangeNotify.json"),
		readFrame(t, "WaitingListNotify.json"),
		readFrame(t, "WaitingListNotify.vendorlike.json"),
		[]byte(`{"action":"ParticipantsNotify","version":"58","createTime":"1736153196565","msgID":"m","msgMode":"1","confID":986112045,"data":[{"pid":"p","mode":"0","pinfoMap":{"NAME":"李伟 \u674e","ROLE":null}}]}`),
		[]byte(`{"action":"SpeakerChangeNotify","msgMode":0}`),
		[]byte(`{"action":"SpeakerChangeNotify","data":null,"extra":{"a":[1,2.5e3,"x\n"]}}`),
		[]byte(`{"action":"ParticipantsNotify","data":[]}`),
	}
	for _, f := range benchFrames(t) {
		accept = append(accept, f)
	}
	for _, frame := range accept {
		var ok bool
		switch lit, _ := wire.FindAction(frame); string(lit) {
		case `"` + ActionSpeakerChange + `"`:
			_, _, ok = fastSpeakers(frame, nil)
		case `"` + ActionWaitingList + `"`:
			_, _, ok = fastWaiting(frame, nil)
		default:
			_, _, ok = fastParticipants(frame, nil)
		}
		if !ok {
			t.Errorf("fast path rejects %.120s", frame)
		}
	}
	tricky := append(accept,
		[]byte(`{"action":"ParticipantsNotify","data":[{"PID":"case-folded key"}]}`),
		[]byte(`{"action":"ParticipantsNotify","data":[{"pid":"a","pinfoMap":{"A":"1"},"pinfoMap":{"B":"2"}}]}`),
		[]byte(`{"action":"ParticipantsNotify","data":[{"pid":"a"}],"data":[{"mode":1}]}`),
		[]byte(`{"action":"ParticipantsNotify","data":[null]}`),
		[]byte(`{"action":"ParticipantsNotify","data":[{"pid":"a","pinfoMap":{"K":"\ud800"}}]}`),
		[]byte(`{"action":"ParticipantsNotify","data":[{"pid":"a\xff"}]}`),
		[]byte(`{"action":"ParticipantsNotify","Data":[{"pid":"a"}]}`),
		[]byte(`{"action":"ParticipantsNotify","ſata":[]}`),
		[]byte(`{"action":"SpeakerChangeNotify","data":[{"pid":"a","speakingVolume":1.5}]}`),
		[]byte(`{"action":"SpeakerChangeNotify","data":[{"pid":"a"}]} `),
		[]byte(`{"action":"SpeakerChangeNotify","data":[{"pid":"a"}]}}`),
		[]byte(`{"action":"SpeakerChangeNotify","data":[{"pid":"a",}]}`),
		[]byte(`{"action":"SpeakerChangeNotify","x":"bad \q escape"}`),
		[]byte(`{"action":"WaitingListNotify","data":[{"pid":"w","DELTYPE":3}]}`),
		[]byte(`{"action":"WaitingListNotify","data":[{"pid":"w","delType":"3","delType":null}]}`),
		[]byte(`{"action":"WaitingListNotify","data":[{"pid":"w","delType":true}]}`),
	)
	for _, frame := range tricky {
		got, err := decode(frame, true)
		want, wantErr := decode(frame, false)
		if fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Errorf("%s: error %v, reference %v", frame, err, wantErr)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: fast %s, reference %s", frame, describe(got), describe(want))
		}
	}
}

// BenchmarkDecodeReference decodes the BenchmarkDecode frames on the
// encoding/json path alone, for comparison.
func BenchmarkDecodeReference(b *testing.B) {
	frames := benchFrames(b)
	for _, name := range []string{"ParticipantsDelta", "SpeakerChange", "ParticipantsFull3000"} {
		frame := frames[name]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(frame)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := decode(frame, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestFastPathMapHintBounded checks that one huge pinfoMap does not make
// every later entry of the frame allocate a huge map.
func TestFastPathMapHintBounded(t *testing.T) {
	var sb strings.Builder
	sb.WriteString(`{"action":"ParticipantsNotify","data":[{"pid":"big","pinfoMap":{`)
	for i := 0; i < 20000; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `"K%d":"1"`, i)
	}
	sb.WriteString(`}}`)
	for i := 0; i < 5000; i++ {
		sb.WriteString(`,{"pinfoMap":{}}`)
	}
	sb.WriteString(`]}`)
	frame := []byte(sb.String())
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, pl := mustPush[*ParticipantsNotify](t, frame)
	runtime.ReadMemStats(&after)
	eq(t, "entries", len(pl.Participants), 5001)
	if n := after.TotalAlloc - before.TotalAlloc; n > 64<<20 {
		t.Errorf("decoding a %d-byte frame allocated %d MB", len(frame), n>>20)
	}
}
