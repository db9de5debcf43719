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
	"slices"
	"testing"
	"time"
)

// FuzzDecode checks that Decode never panics, that its errors wrap
// ErrMalformed, that the fast paths agree with the encoding/json reference,
// and that every frame it accepts round-trips: re-encoding the decoded
// known fields canonically and decoding that again gives the same value.
// Its corpus is testdata/fuzz/FuzzDecode; internal/wire's FuzzControl
// covers the Subscribe reply and HeartBeat echo.
func FuzzDecode(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed frames: %v", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range variantSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		orig := append([]byte(nil), frame...)
		fr, err := Decode(frame)
		if string(frame) != string(orig) {
			t.Fatal("Decode modified its input")
		}
		// The fast path must agree with the encoding/json reference.
		ref, refErr := decode(frame, false)
		if (err == nil) != (refErr == nil) || (err != nil && err.Error() != refErr.Error()) {
			t.Fatalf("fast path error %v, reference error %v", err, refErr)
		}
		if err == nil && !reflect.DeepEqual(fr, ref) {
			t.Fatalf("fast path and reference differ\nfast: %s\nref:  %s", describe(fr), describe(ref))
		}
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			if fr != nil {
				t.Fatalf("non-nil frame with error %v", err)
			}
			if n := len(err.Error()); n > 200 {
				t.Fatalf("error is %d bytes long: %q", n, err)
			}
			return
		}
		if &fr.Raw[0] != &frame[0] {
			t.Fatal("Push.Raw is not the frame")
		}
		checkRoundTrip(t, fr)
	})
}

// variantSeeds are short frames exercising the lenient paths.
var variantSeeds = []string{
	`{"action":"RealTimeSubtitleNotify","version":"18","createTime":"1736153467655","msgMode":"1","data":{"msgs ":[{"subtitleLang":"Original","translateText":"hi","id ":"1"}],"isFinal ":"true","timestamp ":"1736153467645"}}`,
	`{"action":"Subscribe","sequence":"1","data":{"returnCode":"0","returnDesc ":"SUCCESS"}}`,
	`{"action":"Subscribe","sequence":"1","data":"{\"returnCode\":0}"}`,
	`{"action":"HeartBeat","sequence":"000000000000000001736153072345"}`,
	`{"action":"SpeakerChangeNotify","version":1,"msgMode":0}`,
	`{"action":"SpeakerChangeNotify","data":null}`,
	`{"action":"ConfDynamicInfoNotify","picNum":"4","endTime":1736157600000,"multiPic":{"picNum":"4","picInfos":[{"index":"1","id":[12345]}]}}`,
	`{"action":"InviteResultNotify","data":[{"callNumber":"1","errorCode":"11111001"},{"callNumber":2,"resultCode":0}]}`,
	`{"action":"AttendeesNotify","data":[{"name":"a","orgID":"1"},{"name":"b","orgId":"2","role":"1"}]}`,
	`{"action":"InterpreterGroupNotify","interpreterGroups":[{"groupID":"1","interpreters":[{"interpreterId":"x"}]}]}`,
	`{"action":"InterpreterGroupNotify","data":[{"groupId":"2"}]}`,
	`{"action":"ParticipantsNotify","msgMode":1,"version":2,"data":[{"pid":"p","mode":"1","pinfoMap":{"CLIENT_ LOG IN_TYPE":"Pad"}}]}`,
	`{"action":"ParticipantsNotify","data":[{"pid":"a\u00e9","mode":null,"pinfoMap":{"NAME":"\u674e\u4f1f","K\n":null,"HAND":"1"},"pinfoMap":{"MUTE":"1"}},{"PID":"b"}],"x":[{"y":"\""}]}`,
	`{"action":"ParticipantsNotify","data":[null,{"pid":"b","pinfoMap":null}],"data":[]}`,
	`{"action":"ParticipantsNotify","version":1e3,"createTime":"1736153196565","msgID":7,"data":[{"pid":"名","pinfoMap":{"名":"李伟"}}]}`,
	`{"action":"WaitingListNotify","data":[{"pid":"w","mode":0,"delType":1,"pinfoMap":{"WAITINGSTATE":"0","NAME":"Guest"}}]}`,
	`{"action":"SpeakerChangeNotify","data":[{"pid":"a","name":"A","speakingVolume":"62"},{"pid":"b","Name":"B"}]}`,
	`{"action":"ConfBasicInfoNotify","pwds":[{"role":"chair","pwd":604117}],"webinar":"1","supportWaitingRoom":true}`,
	`{"action":"NetConditionNotify","data":[{"participantID":"p","delay":41,"bandwidth":"61440"}]}`,
	`{"action":"CustomMultiPicNotify","version":3,"data":{"x":1}}`,
	// Sample-only fields (protocol §5.3–§5.12) in their lenient forms.
	`{"action":"ConfDynamicInfoNotify","pause":"1","waitingRoomState":true,"audienceTotalCount":"360","lanChannels":[{"a" : "<b>"},"zh",null,[1]]}`,
	`{"action":"ConfBasicInfoNotify","aiRecType":"1","supportCohost":true,"partViewSwitch":0,"confPortalCapabilities":135}`,
	`{"action":"RealTimeSubtitleNotify","data":{"beginTime":"1528680","endTime":0,"timestamp":1614913828780}}`,
	`{"action":"WaitingListNotify","data":[{"pid":"w","mode":1,"delType":"2","pinfoMap":{}}]}`,
	`{"action":"InterpreterGroupNotify","data":[{"interpreters":[{"aiDigitalInfo":{"type":"AI","localConfID":1}}]}]}`,
	`{"sequence":"1", "action" :"HeartBeat"}`,
	`{"\u0061ction":"HeartBeat"}`,
	`[1,2]`,
	`{"version":1}`,
	`not json`,
}

// checkRoundTrip re-encodes fr canonically, decodes the result and
// compares. Push.Raw is left out of the comparison (it is the frame);
// secrets compare by value because canonical re-encodes them with Reveal.
func checkRoundTrip(t *testing.T, fr *Push) {
	t.Helper()
	b, err := canonicalJSON(fr)
	if err != nil {
		t.Fatalf("canonical encode: %v", err)
	}
	again, err := Decode(b)
	if err != nil {
		t.Fatalf("canonical frame does not decode: %v\n%s", err, b)
	}
	if !reflect.DeepEqual(withoutRaw(fr), withoutRaw(again)) {
		t.Fatalf("round trip changed the frame\nfirst:  %#v\nsecond: %#v\ncanonical: %s",
			describe(fr), describe(again), b)
	}
}

// withoutRaw is p without its frame: Raw and the frame's length.
func withoutRaw(p *Push) *Push {
	c := *p
	c.Raw, c.frameLen = nil, 0
	return &c
}

// describe renders a frame for a failure message, payload included.
func describe(p *Push) string {
	if p == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%+v payload=%+v", p.Action+" "+p.Mode.String()+" "+p.MsgID+" "+p.ConfID+" "+fmt.Sprint(p.Version, p.CreateTime), p.Payload)
}

// ms renders a time as the wire's epoch ms (0 for the zero time).
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// canonicalJSON encodes the known fields of a decoded push in the
// documented wire form (the table's types, the samples' key spellings).
func canonicalJSON(f *Push) ([]byte, error) {
	type obj = map[string]any
	m := obj{
		"action":     f.Action,
		"version":    f.Version,
		"createTime": ms(f.CreateTime),
		"msgID":      f.MsgID,
		"msgMode":    int(f.Mode),
		"confID":     f.ConfID,
	}
	switch p := f.Payload.(type) {
	case nil:
	case *ParticipantsNotify:
		m["data"] = canonSlice(p.Participants, func(x Participant) any {
			return obj{"pid": x.PID, "mode": x.Mode, "pinfoMap": map[string]string(x.Info)}
		})
	case *WaitingListNotify:
		m["data"] = canonSlice(p.Members, func(x Participant) any {
			return obj{"pid": x.PID, "mode": x.Mode, "pinfoMap": map[string]string(x.Info), "delType": x.DelType}
		})
	case *SpeakerChangeNotify:
		m["data"] = canonSlice(p.Speakers, func(x Speaker) any {
			return obj{"pid": x.PID, "name": x.Name, "speakingVolume": x.SpeakingVolume}
		})
	case *ConfBasicInfoNotify:
		m["displayID"] = p.DisplayID
		m["title"] = p.Title
		m["startTime"] = fmt.Sprint(ms(p.StartTime))
		if p.Passwords != nil {
			pwds := []any{}
			for _, role := range slices.Sorted(maps.Keys(p.Passwords)) {
				pwds = append(pwds, obj{"role": role, "pwd": p.Passwords[role].Reveal()})
			}
			m["pwds"] = pwds
		}
		m["recType"] = p.RecType
		m["media"] = p.Media
		m["owner"] = p.Owner
		m["ownerID"] = p.OwnerID
		m["userType"] = p.UserType
		m["supportWatermark"] = p.SupportWatermark
		m["scheduledStartTime"] = fmt.Sprint(ms(p.ScheduledStartTime))
		m["guestJoinUri"] = p.GuestJoinURI
		m["callInRestriction"] = p.CallInRestriction
		m["confMode"] = p.ConfMode
		m["realTimeSubtitle"] = p.RealTimeSubtitle
		m["orgID"] = p.OrgID
		m["supportWaitingRoom"] = p.SupportWaitingRoom
		m["webinar"] = p.Webinar
		m["aiRecType"] = p.AIRecType
		m["audienceCallInRestriction"] = p.AudienceCallInRestriction
		m["bignumMultiPicSwitch"] = p.BignumMultiPicSwitch
		m["partViewSwitch"] = p.PartViewSwitch
		m["simultaneousInterpretation"] = p.SimultaneousInterpretation
		m["supportCohost"] = p.SupportCohost
		m["supportClientRecord"] = p.SupportClientRecord
		m["inviteShareSwitch"] = p.InviteShareSwitch
		m["confPortalCapabilities"] = p.ConfPortalCapabilities
	case *ConfDynamicInfoNotify:
		m["endTime"] = fmt.Sprint(ms(p.EndTime))
		m["mode"] = p.Mode
		m["state"] = p.State
		m["vas"] = p.VAS
		m["lock"] = p.Lock
		m["mute"] = p.Mute
		m["lockSharing"] = p.LockSharing
		m["canUnmute"] = p.CanUnmute
		m["chairView"] = p.ChairView
		m["picNum"] = fmt.Sprint(p.PicNum) // a string, as the table says
		m["partViewNum"] = p.PartViewNum
		m["maxPartViewNum"] = p.MaxPartViewNum
		m["recState"] = p.RecState
		if p.MultiPic != nil {
			m["multiPic"] = obj{
				"picNum": p.MultiPic.PicNum,
				"period": p.MultiPic.Period,
				"picInfos": canonSlice(p.MultiPic.PicInfos, func(x PicInfo) any {
					return obj{"index": x.Index, "id": x.IDs, "share": x.Share}
				}),
			}
		}
		m["confIMGroupId"] = p.ConfIMGroupID
		m["forbiddenChat"] = p.ForbiddenChat
		m["recOccurred"] = p.RecOccurred
		m["realTimeSubtitle"] = p.RealTimeSubtitle
		m["aiRecState"] = p.AIRecState
		m["enableShareSetting"] = p.EnableShareSetting
		m["callInRestriction"] = p.CallInRestriction
		m["audienceCallInRestriction"] = p.AudienceCallInRestriction
		m["audienceTotalCount"] = p.AudienceTotalCount
		m["simultaneousInterpretation"] = p.SimultaneousInterpretation
		m["lanChannels"] = p.LanChannels // nil encodes as null, kept nil
		m["allowAudience"] = p.AllowAudience
		m["pause"] = p.Pause
		m["audienceVideoLayout"] = p.AudienceVideoLayout
		m["clientRecState"] = p.ClientRecState
		m["clientRecMode"] = p.ClientRecMode
		m["waitingRoomState"] = p.WaitingRoomState
		m["showAudienceMode"] = p.ShowAudienceMode
		m["audienceCountMultiple"] = p.AudienceCountMultiple
		m["audienceCountReal"] = p.AudienceCountReal
	case *AttendeesNotify:
		m["data"] = canonSlice(p.Attendees, func(x Attendee) any {
			return obj{
				"userUUID": x.UserUUID, "participantID": x.ParticipantID, "mode": x.Mode,
				"phone": x.Phone, "name": x.Name, "accountId": x.AccountID, "role": x.Role,
				"email": x.Email, "sms": x.SMS, "isMute": x.IsMute, "isAutoInvite": x.IsAutoInvite,
				"type": x.Type, "address": x.Address, "deptUUID": x.DeptUUID,
				"deptName": x.DeptName, "orgId": x.OrgID, "thirdAccount": x.ThirdAccount,
				"hidePhone": x.HidePhone, "isNotOverlayPidName": x.IsNotOverlayPidName,
			}
		})
	case *NetConditionNotify:
		m["data"] = canonSlice(p.Conditions, func(x NetCondition) any {
			return obj{
				"participantID": x.ParticipantID, "mode": x.Mode, "netInfo": x.NetInfo,
				"delay": x.Delay, "jitter": x.Jitter, "outJitter": x.OutJitter,
				"audioCodecType": x.AudioCodecType, "videoCodecType": x.VideoCodecType,
				"fluxIn": x.FluxIn, "fluxOut": x.FluxOut, "lostPacketRate": x.LostPacketRate,
				"audioOutLossPacketRate": x.AudioOutLossPacketRate, "bandwidth": x.Bandwidth,
				"videoInLossPacketRate": x.VideoInLossPacketRate, "videoOutLossPacketRate": x.VideoOutLossPacketRate,
				"assistVideoInLossPacketRate":  x.AssistVideoInLossPacketRate,
				"assistVideoOutLossPacketRate": x.AssistVideoOutLossPacketRate,
				"videoFluxIn":                  x.VideoFluxIn, "videoFluxOut": x.VideoFluxOut,
				"assistVideoFluxIn": x.AssistVideoFluxIn, "assistVideoFluxOut": x.AssistVideoFluxOut,
			}
		})
	case *InviteResultNotify:
		m["data"] = canonSlice(p.Results, func(x InviteResult) any {
			return obj{"callNumber": x.CallNumber, "resultCode": x.Code}
		})
	case *RealTimeSubtitleNotify:
		m["version"] = fmt.Sprint(f.Version) // strings, as the page says
		m["createTime"] = fmt.Sprint(ms(f.CreateTime))
		m["data"] = obj{
			"msgs": canonSlice(p.Msgs, func(x SubtitleMsg) any {
				return obj{"subtitleLang": x.Lang, "translateText": x.Text, "id": x.ID}
			}),
			"isFinal":       p.IsFinal,
			"timestamp":     ms(p.Timestamp),
			"beginTime":     p.BeginTime.Milliseconds(), // offsets, in ms
			"endTime":       p.EndTime.Milliseconds(),
			"participantID": p.ParticipantID,
		}
	case *InterpreterGroupNotify:
		m["data"] = canonSlice(p.Groups, func(x InterpreterGroup) any {
			return obj{
				"groupId": x.GroupID, "groupName": x.GroupName,
				"firstLanguage": x.FirstLanguage, "secondLanguage": x.SecondLanguage,
				"groupType": x.GroupType,
				"interpreters": canonSlice(x.Interpreters, func(y Interpreter) any {
					return obj{
						"loginAccount": y.LoginAccount, "userID": y.UserID,
						"callNumber": y.CallNumber, "name": y.Name,
						"interpreterType": y.InterpreterType, "interpreterId": y.InterpreterID,
						"aiDigitalInfo": canonDigital(y.AIDigitalInfo),
					}
				}),
			}
		})
	default:
		return nil, fmt.Errorf("unexpected payload %T", p)
	}
	// Without HTML escaping: lanChannels' raw elements would otherwise come
	// back with "<" as "\u003c", and compare unequal.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func canonDigital(d *AIDigitalInfo) any {
	if d == nil {
		return nil
	}
	return map[string]any{
		"type": d.Type, "digitalAccount": d.DigitalAccount, "digitalName": d.DigitalName,
		"presenterAccount": d.PresenterAccount, "presenterRealNameAccount": d.PresenterRealNameAccount,
		"presenterName": d.PresenterName, "presenterUserID": d.PresenterUserID, "localConfId": d.LocalConfID,
	}
}

// canonSlice maps s, keeping nil as JSON null and empty as [] so that
// nil-ness survives the round trip.
func canonSlice[T any](s []T, f func(T) any) any {
	if s == nil {
		return nil
	}
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = f(x)
	}
	return out
}
