package events

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/confwatch/confwatch/secret"
)

// Fidelity: every field the vendor's sample frames carry has a typed home.
// The *.vendorlike.json frames in testdata are written from the protocol
// reference with every field it names for their action, the sample-only
// ones included, keys spelled exactly as the reference spells them (and
// its quirks kept: "orgID" in attendees, "interpreterGroups"/"groupID",
// keys with trailing spaces in captions).

// same fails t unless got and want are deeply equal.
func same[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\ngot  %+v\nwant %+v", what, got, want)
	}
}

// vendorLikeChecks are TestDecodeTestdata's checks of the vendor-like
// frames.
var vendorLikeChecks = map[string]func(t *testing.T, b []byte){
	"ConfBasicInfoNotify.vendorlike.json": func(t *testing.T, b []byte) {
		_, pl := mustPush[*ConfBasicInfoNotify](t, b)
		same(t, "payload", *pl, ConfBasicInfoNotify{
			DisplayID: "986112045", Title: "Platform team all-hands",
			StartTime: time.UnixMilli(1736150400000),
			Passwords: map[string]secret.Secret{"chair": secret.New("604117"), "general": secret.New("283950")},
			RecType:   2, Media: 2, Owner: "Li Wei", OwnerID: "8a5c1f0e3b7d4c2a9e6f1b0d7c3a5e21", UserType: 2,
			SupportWatermark: 1, ScheduledStartTime: time.UnixMilli(1736150400000),
			GuestJoinURI:      "https://meeting.huaweicloud.com/#/j/986112045/3f9c0a7e51b24d8e96a1c07b5e2d4f8a91c3e5b7d0f2a4c6",
			CallInRestriction: 2, ConfMode: "RTC", RealTimeSubtitle: 1, OrgID: "61037",
			SupportWaitingRoom: true, Webinar: true,
			AIRecType: 1, AudienceCallInRestriction: 3, BignumMultiPicSwitch: true, PartViewSwitch: false,
			SimultaneousInterpretation: 1, SupportCohost: 1, SupportClientRecord: 0, InviteShareSwitch: true,
			ConfPortalCapabilities: "1,3,5",
		})
	},
	"ConfDynamicInfoNotify.vendorlike.json": func(t *testing.T, b []byte) {
		_, pl := mustPush[*ConfDynamicInfoNotify](t, b)
		same(t, "payload", *pl, ConfDynamicInfoNotify{
			EndTime: time.UnixMilli(1736157600000), Mode: "FREE", State: "Created",
			Mute: 1, CanUnmute: 1, PicNum: 4, MaxPartViewNum: 8, RecState: 1,
			MultiPic:      &MultiPic{PicNum: 4, Period: 10, PicInfos: []PicInfo{{Index: 1, IDs: []string{"+99111283746501234"}}}},
			ConfIMGroupID: "im_986112045_7c1e", RecOccurred: 1, RealTimeSubtitle: 1,
			AIRecState: 1, CallInRestriction: 2, AudienceCallInRestriction: 3,
			AudienceTotalCount: 360, AudienceCountReal: 120, AudienceCountMultiple: 3,
			SimultaneousInterpretation: 1, LanChannels: []json.RawMessage{},
			AllowAudience: true, Pause: true, AudienceVideoLayout: "speaker",
			ClientRecMode: 1, WaitingRoomState: 1, ShowAudienceMode: 1,
		})
	},
	"AttendeesNotify.vendorlike.json": func(t *testing.T, b []byte) {
		_, pl := mustPush[*AttendeesNotify](t, b)
		same(t, "attendees", pl.Attendees, []Attendee{{
			UserUUID: "8a5c1f0e3b7d4c2a9e6f1b0d7c3a5e21", ParticipantID: "q7m2xk9c4tz1w8d5r0yb6n3hv2pe7sfa",
			Phone: "+99111283746501234", Name: "Li Wei", AccountID: "liwei", Role: 1,
			Email: "li.wei@example.com", SMS: "+8613800000000", IsAutoInvite: 1, Type: "normal",
			DeptUUID: "ff8080817a2b3c4d017a2b3c4d5e0001", DeptName: "Platform", OrgID: "61037",
			ThirdAccount: "liwei", HidePhone: true,
		}, {
			Phone: "+99111283746505678", Name: "Meeting Room 3F", IsMute: 1, IsAutoInvite: 1,
			Type: "terminal", Address: "Building 3, floor 3", OrgID: "61037", IsNotOverlayPidName: true,
		}})
	},
	"WaitingListNotify.vendorlike.json": func(t *testing.T, b []byte) {
		p, pl := mustPush[*WaitingListNotify](t, b)
		checkEnvelope(t, p, ActionWaitingList, 1, 1736153415263, "ae61f0b2cbd011ef9a2f0242ac120004", ModeDelta)
		if len(pl.Members) != 2 {
			t.Fatalf("%d members, want 2", len(pl.Members))
		}
		w, gone := pl.Members[0], pl.Members[1]
		eq(t, "w.DelType", w.DelType, 0)
		eq(t, "w.Name", w.Info.Name(), "Guest Wang")
		eq(t, "w.LoginType (sample's spelling)", w.Info.LoginType(), "Mobile")
		eq(t, "w.TEL sent empty", w.Info.Has(KeyTel), true)
		eq(t, "gone.Removed", gone.Removed(), true)
		eq(t, "gone.DelType", gone.DelType, 2)
		eq(t, "gone keys", len(gone.Info), 0)
	},
	"RealTimeSubtitleNotify.vendorlike.json": func(t *testing.T, b []byte) {
		p, pl := mustPush[*RealTimeSubtitleNotify](t, b)
		checkEnvelope(t, p, ActionRealTimeSubtitle, 57, 1614913828785, "3b8e1f60d1a211eb8c2f0242ac110004", ModeDelta)
		same(t, "payload", *pl, RealTimeSubtitleNotify{
			Msgs: []SubtitleMsg{
				{Lang: "Original", Text: "我们先看一下发布清单。", ID: "sub-000057"},
				{Lang: "English", Text: "Let's look at the release checklist first.", ID: "sub-000057"},
			},
			IsFinal:   true,
			Timestamp: time.UnixMilli(1614913828780),
			// Offsets, not 1970-01-01T00:25:28.68Z.
			BeginTime:     25*time.Minute + 28680*time.Millisecond,
			EndTime:       25*time.Minute + 31920*time.Millisecond,
			ParticipantID: "q7m2xk9c4tz1w8d5r0yb6n3hv2pe7sfa",
		})
	},
	"InterpreterGroupNotify.vendorlike.json": func(t *testing.T, b []byte) {
		_, pl := mustPush[*InterpreterGroupNotify](t, b)
		same(t, "groups", pl.Groups, []InterpreterGroup{{
			GroupID: "1", GroupName: "ZH-EN", FirstLanguage: "zh", SecondLanguage: "en", GroupType: "MANUAL",
			Interpreters: []Interpreter{{
				LoginAccount: "chen.jie", UserID: "5b2e8c1d7f3a4e6b9c0d2f4a6b8c0e1f", CallNumber: "+99111283746503456",
				Name: "Chen Jie", InterpreterType: "MANUAL", InterpreterID: "int-0001",
			}},
		}, {
			GroupID: "2", GroupName: "ZH-JA", FirstLanguage: "zh", SecondLanguage: "ja", GroupType: "AI",
			Interpreters: []Interpreter{{
				Name: "AI interpreter", InterpreterType: "AI", InterpreterID: "int-0002",
				AIDigitalInfo: &AIDigitalInfo{
					Type: "PUBLIC", DigitalAccount: "dh-public-07", DigitalName: "Xiao Hua",
					PresenterAccount: "presenter07", PresenterRealNameAccount: "presenter07.real",
					PresenterName: "Hua Presenter", PresenterUserID: "7c1e9d3b5a2f4e6d8b0c1a3e5f7d9b2c",
					LocalConfID: "986112045-ai",
				},
			}},
		}})
	},
}

// TestDecodeSubtitleOffsets: beginTime and endTime are millisecond offsets
// (protocol §5.10), whatever their form; timestamp stays an instant.
func TestDecodeSubtitleOffsets(t *testing.T) {
	cases := []struct {
		name       string
		data       string
		begin, end time.Duration
		ts         time.Time
	}{
		{"vendor sample values", `"timestamp":1614913828780,"beginTime":1528680,"endTime":1531920`,
			1528680 * time.Millisecond, 1531920 * time.Millisecond, time.UnixMilli(1614913828780)},
		{"zero offset is an offset", `"beginTime":0,"endTime":840`, 0, 840 * time.Millisecond, time.Time{}},
		{"offsets as strings", `"timestamp":"1614913828780","beginTime":"1528680","endTime":" 1531920 "`,
			1528680 * time.Millisecond, 1531920 * time.Millisecond, time.UnixMilli(1614913828780)},
		{"null and absent", `"beginTime":null`, 0, 0, time.Time{}},
		{"keys with spaces", `"beginTime ":12,"endTime ":34`, 12 * time.Millisecond, 34 * time.Millisecond, time.Time{}},
		{"largest offset a Duration holds", `"beginTime":9223372036854`, 9223372036854 * time.Millisecond, 0, time.Time{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, pl := mustPush[*RealTimeSubtitleNotify](t, []byte(
				`{"action":"RealTimeSubtitleNotify","version":"1","createTime":"1614913828785","msgMode":1,"data":{`+c.data+`}}`))
			eq(t, "BeginTime", pl.BeginTime, c.begin)
			eq(t, "EndTime", pl.EndTime, c.end)
			eq(t, "Timestamp", pl.Timestamp, c.ts)
		})
	}
	for name, data := range map[string]string{
		"beyond a Duration": `"beginTime":9223372036855`,
		"fraction":          `"endTime":1.5`,
		"word":              `"beginTime":"soon"`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Decode([]byte(`{"action":"RealTimeSubtitleNotify","data":{` + data + `}}`))
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("err = %v, want ErrMalformed", err)
			}
		})
	}
}

// TestSubtitleJSON: a caption payload marshals its offsets in the
// vendor's ms, as it received them, not as a Duration's nanoseconds.
func TestSubtitleJSON(t *testing.T) {
	_, pl := mustPush[*RealTimeSubtitleNotify](t, readFrame(t, "RealTimeSubtitleNotify.vendorlike.json"))
	for _, v := range []any{pl, *pl} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		same(t, "offsets", [2]any{m["beginTime"], m["endTime"]}, [2]any{1528680.0, 1531920.0})
		same(t, "timestamp", m["timestamp"], any("2021-03-05T03:10:28.78Z"))
		same(t, "participantID", m["participantID"], any("q7m2xk9c4tz1w8d5r0yb6n3hv2pe7sfa"))
		if _, ok := m["msgs"].([]any); !ok || m["isFinal"] != true {
			t.Errorf("fields lost: %s", b)
		}
	}
}

// TestDecodeSampleOnlyLeniency: the sample-only fields take the leniency
// of the rest of the decoding: numbers as strings, booleans as 0/1 or
// strings, and (for the fields whose type no table states) a boolean
// where the sample has an integer.
func TestDecodeSampleOnlyLeniency(t *testing.T) {
	t.Run("ConfBasicInfoNotify", func(t *testing.T) {
		_, pl := mustPush[*ConfBasicInfoNotify](t, []byte(`{"action":"ConfBasicInfoNotify",
			"aiRecType":"1","audienceCallInRestriction":"3","bignumMultiPicSwitch":1,"partViewSwitch":"true",
			"simultaneousInterpretation":true,"supportCohost":"1","supportClientRecord":false,
			"inviteShareSwitch":"1","confPortalCapabilities":135}`))
		got := [...]any{pl.AIRecType, pl.AudienceCallInRestriction, pl.BignumMultiPicSwitch, pl.PartViewSwitch,
			pl.SimultaneousInterpretation, pl.SupportCohost, pl.SupportClientRecord, pl.InviteShareSwitch, pl.ConfPortalCapabilities}
		same(t, "fields", got, [...]any{1, 3, true, true, 1, 1, 0, true, "135"})
	})
	t.Run("ConfDynamicInfoNotify", func(t *testing.T) {
		_, pl := mustPush[*ConfDynamicInfoNotify](t, []byte(`{"action":"ConfDynamicInfoNotify",
			"aiRecState":"1","enableShareSetting":true,"callInRestriction":"3","audienceCallInRestriction":2,
			"audienceTotalCount":"1200","simultaneousInterpretation":"true","allowAudience":"1","pause":1,
			"audienceVideoLayout":2,"clientRecState":" 1 ","clientRecMode":"0","waitingRoomState":true,
			"showAudienceMode":"2","audienceCountMultiple":"10","audienceCountReal":"120",
			"lanChannels":[ {"lan" : "zh", "channel":1}, "en", null ]}`))
		got := [...]any{pl.AIRecState, pl.EnableShareSetting, pl.CallInRestriction, pl.AudienceCallInRestriction,
			pl.AudienceTotalCount, pl.SimultaneousInterpretation, pl.AllowAudience, pl.Pause, pl.AudienceVideoLayout,
			pl.ClientRecState, pl.ClientRecMode, pl.WaitingRoomState, pl.ShowAudienceMode,
			pl.AudienceCountMultiple, pl.AudienceCountReal}
		same(t, "fields", got, [...]any{1, 1, 3, 2, 1200, 1, true, true, "2", 1, 0, 1, 2, 10, 120})
		same(t, "lanChannels, kept as compact JSON", pl.LanChannels,
			[]json.RawMessage{json.RawMessage(`{"lan":"zh","channel":1}`), json.RawMessage(`"en"`), json.RawMessage(`null`)})
	})
	t.Run("AttendeesNotify", func(t *testing.T) {
		_, pl := mustPush[*AttendeesNotify](t, []byte(`{"action":"AttendeesNotify","data":[
			{"name":"a","hidePhone":"1","isNotOverlayPidName":0},{"name":"b","hidePhone":false,"isNotOverlayPidName":"true"}]}`))
		same(t, "flags", [...]bool{pl.Attendees[0].HidePhone, pl.Attendees[0].IsNotOverlayPidName,
			pl.Attendees[1].HidePhone, pl.Attendees[1].IsNotOverlayPidName}, [...]bool{true, false, false, true})
	})
	t.Run("NetConditionNotify", func(t *testing.T) {
		_, pl := mustPush[*NetConditionNotify](t, []byte(`{"action":"NetConditionNotify","data":[{"participantID":"p",
			"videoInLossPacketRate":12,"videoOutLossPacketRate":"3","assistVideoInLossPacketRate":0,"assistVideoOutLossPacketRate":"1",
			"videoFluxIn":8,"videoFluxOut":"11","assistVideoFluxIn":"2","assistVideoFluxOut":5}]}`))
		c := pl.Conditions[0]
		same(t, "fields", [...]string{c.VideoInLossPacketRate, c.VideoOutLossPacketRate, c.AssistVideoInLossPacketRate,
			c.AssistVideoOutLossPacketRate, c.VideoFluxIn, c.VideoFluxOut, c.AssistVideoFluxIn, c.AssistVideoFluxOut},
			[...]string{"12", "3", "0", "1", "8", "11", "2", "5"})
	})
	t.Run("WaitingListNotify", func(t *testing.T) {
		for _, frame := range []string{
			`{"action":"WaitingListNotify","data":[{"pid":"w","mode":1,"delType":"2","pinfoMap":{}}]}`, // slow path
			`{"action":"WaitingListNotify","data":[{"pid":"w","mode":1,"delType":2.0,"pinfoMap":{}}]}`, // fast path
			`{"action":"WaitingListNotify","data":[{"pid":"w","mode":1,"DelType":2,"pinfoMap":null}]}`, // case-folded key
		} {
			_, pl := mustPush[*WaitingListNotify](t, []byte(frame))
			eq(t, frame, pl.Members[0].DelType, 2)
			eq(t, frame+" removed", pl.Members[0].Removed(), true)
		}
	})
	t.Run("AIDigitalInfo", func(t *testing.T) {
		_, pl := mustPush[*InterpreterGroupNotify](t, []byte(`{"action":"InterpreterGroupNotify","data":[{"groupId":"1",
			"interpreters":[{"name":"a","aiDigitalInfo":{"type":"LOCAL","localConfID":986112045,"presenterUserId":"u"}},{"name":"b","aiDigitalInfo":null}]}]}`))
		its := pl.Groups[0].Interpreters
		same(t, "info", its[0].AIDigitalInfo, &AIDigitalInfo{Type: "LOCAL", LocalConfID: "986112045", PresenterUserID: "u"})
		same(t, "null info", its[1].AIDigitalInfo, (*AIDigitalInfo)(nil))
	})
	for name, frame := range map[string]string{
		"PauseWord":            `{"action":"ConfDynamicInfoNotify","pause":"maybe"}`,
		"AudienceCountObject":  `{"action":"ConfDynamicInfoNotify","audienceTotalCount":{}}`,
		"LanChannelsObject":    `{"action":"ConfDynamicInfoNotify","lanChannels":{"zh":1}}`,
		"SwitchWord":           `{"action":"ConfBasicInfoNotify","supportCohost":"yes"}`,
		"HidePhoneArray":       `{"action":"AttendeesNotify","data":[{"hidePhone":[]}]}`,
		"DelTypeWord":          `{"action":"WaitingListNotify","data":[{"pid":"w","delType":"x"}]}`,
		"AIDigitalInfoString":  `{"action":"InterpreterGroupNotify","data":[{"interpreters":[{"aiDigitalInfo":"x"}]}]}`,
		"VideoFluxInBoolean":   `{"action":"NetConditionNotify","data":[{"videoFluxIn":true}]}`,
		"SimultaneousInArray":  `{"action":"ConfBasicInfoNotify","simultaneousInterpretation":[1]}`,
		"ClientRecModeDecimal": `{"action":"ConfDynamicInfoNotify","clientRecMode":0.5}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Decode([]byte(frame)); !errors.Is(err, ErrMalformed) {
				t.Errorf("Decode(%s) = %v, want ErrMalformed", frame, err)
			}
		})
	}
}
