package meeting_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/confwatch/confwatch/events"
	"github.com/confwatch/confwatch/events/meeting"
)

// The vendor sample frames live with the decoder, in events/testdata.
const sampleDir = "../testdata"

func decodeSample(t *testing.T, name string) *events.Push {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(sampleDir, name))
	if err != nil {
		t.Fatal(err)
	}
	p, err := events.Decode(b)
	if err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return p
}

const (
	liWei  = "q7m2xk9c4tz1w8d5r0yb6n3hv2pe7sfa"
	room3F = "f2n8ra5kz0c1v7yq4wx9m3dt6ub8hgle"
)

var sampleCases = []struct {
	name        string
	frames      []string
	wantChanges []string
	check       func(t *testing.T, s *meeting.Snapshot, st meeting.Stats)
}{
	{
		name:   "basic info",
		frames: []string{"ConfBasicInfoNotify.json"},
		check: func(t *testing.T, s *meeting.Snapshot, _ meeting.Stats) {
			want := meeting.Basic{
				DisplayID: "986112045", StartTime: time.UnixMilli(1736150400000),
				ScheduledStartTime: time.UnixMilli(1736150400000), Owner: "Li Wei",
				OwnerID: "8a5c1f0e3b7d4c2a9e6f1b0d7c3a5e21", Media: 2, ConfMode: "RTC",
			}
			eq(t, "title", s.Title, "Platform team weekly sync")
			eq(t, "conference", s.ConferenceID, "986112045")
			if !s.Basic.StartTime.Equal(want.StartTime) {
				t.Errorf("start = %v, want %v", s.Basic.StartTime, want.StartTime)
			}
			want.StartTime, want.ScheduledStartTime = s.Basic.StartTime, s.Basic.ScheduledStartTime
			eq(t, "basic", s.Basic, want)
			eq(t, "version", s.Versions[events.ActionConfBasicInfo], meeting.TypeVersion{Mode: events.ModeFull, Version: 1736153012386})
		},
	},
	{
		name:   "dynamic info",
		frames: []string{"ConfDynamicInfoNotify.json"},
		check: func(t *testing.T, s *meeting.Snapshot, _ meeting.Stats) {
			eq(t, "state", s.Status.State, "Created")
			eq(t, "mode", s.Status.Mode, "FREE")
			eq(t, "flags", [5]bool{s.Status.Locked, s.Status.Recording, s.Status.MuteAll, s.Status.CanUnmute, s.Status.LockSharing},
				[5]bool{false, false, true, true, false})
			eq(t, "panes", [3]int{s.Status.PicNum, s.Status.PartViewNum, s.Status.MaxPartViewNum}, [3]int{4, 0, 8})
			eq(t, "ended", s.Status.Ended(), false)
		},
	},
	{
		name:        "dynamic info then destroyed",
		frames:      []string{"ConfDynamicInfoNotify.json", "ConfDynamicInfoNotify.destroyed.json"},
		wantChanges: []string{"MeetingEnded"},
		check: func(t *testing.T, s *meeting.Snapshot, _ meeting.Stats) {
			eq(t, "ended", s.Status.Ended(), true)
		},
	},
	{
		name:   "participants full",
		frames: []string{"ParticipantsNotify.full.json"},
		check: func(t *testing.T, s *meeting.Snapshot, _ meeting.Stats) {
			eq(t, "roster", roster(s), []string{liWei + "=Li Wei/host/", room3F + "=Meeting Room 3F/ordinary/M"})
			p, _ := s.Participant(liWei)
			eq(t, "join", p.JoinTime, time.UnixMilli(1736150461234))
			eq(t, "login", p.LoginType, "Desktop")
			eq(t, "video", p.Video, true)
			eq(t, "info", p.Info["ACCOUNT"], "liwei")
		},
	},
	{
		name:        "participants full then incremental",
		frames:      []string{"ParticipantsNotify.full.json", "ParticipantsNotify.incremental.json"},
		wantChanges: []string{"ParticipantLeft " + room3F, "HandRaised " + liWei},
		check: func(t *testing.T, s *meeting.Snapshot, _ meeting.Stats) {
			eq(t, "roster", roster(s), []string{liWei + "=Li Wei/host/H"})
			p, _ := s.Participant(liWei)
			eq(t, "merged info keeps the rest", p.Info["ACCOUNT"], "liwei")
			if _, ok := s.Participant(room3F); ok {
				t.Error("Meeting Room 3F is still there")
			}
			eq(t, "version", s.Versions[events.ActionParticipants], meeting.TypeVersion{Mode: events.ModeDelta, Version: 57})
		},
	},
	{
		name:   "attendees",
		frames: []string{"AttendeesNotify.json"},
		check: func(t *testing.T, s *meeting.Snapshot, _ meeting.Stats) {
			eq(t, "count", len(s.Attendees), 2)
			a, b := s.Attendees[0], s.Attendees[1]
			eq(t, "first", [4]string{a.Name, a.Role, a.Email, a.Key}, [4]string{"Li Wei", "host", "li.wei@example.com", "8a5c1f0e3b7d4c2a9e6f1b0d7c3a5e21"})
			eq(t, "second", [3]string{b.Name, b.Role, b.ParticipantID}, [3]string{"Zhang Min", "ordinary", ""})
			eq(t, "mute on join", b.MuteOnJoin, true)
		},
	},
	{
		name:   "speakers after participants",
		frames: []string{"ParticipantsNotify.full.json", "SpeakerChangeNotify.json"},
		check: func(t *testing.T, s *meeting.Snapshot, _ meeting.Stats) {
			eq(t, "speakers", s.Speakers, []meeting.Speaker{
				{PID: liWei, Name: "Li Wei", Volume: 62},
				{PID: "j5w1ez7p0qk3r9c8v2bn6yx4mt1dsa0h", Name: "Zhang Min", Volume: 18},
			})
			eq(t, "roster", roster(s), []string{liWei + "=Li Wei/host/T", room3F + "=Meeting Room 3F/ordinary/M"})
		},
	},
	{
		name:   "net condition",
		frames: []string{"NetConditionNotify.json"},
		check: func(t *testing.T, s *meeting.Snapshot, _ meeting.Stats) {
			n, ok := s.NetConditions[liWei]
			eq(t, "present", ok, true)
			eq(t, "values", [4]string{n.NetInfo, n.Delay, n.AudioCodecType, n.VideoCodecType}, [4]string{"good", "41", "AACLD", "H264HP"})
			eq(t, "bandwidth", n.Bandwidth, int64(61440))
			eq(t, "version", s.Versions[events.ActionNetCondition], meeting.TypeVersion{Mode: events.ModeDelta, Version: 212})
		},
	},
	{
		name:   "invite results",
		frames: []string{"InviteResultNotify.json"},
		check: func(t *testing.T, s *meeting.Snapshot, _ meeting.Stats) {
			at := time.UnixMilli(1736153318122)
			eq(t, "count", len(s.InviteResults), 2)
			for i, want := range []meeting.InviteResult{
				{CallNumber: "+99111283746509012", Code: "0", At: at},
				{CallNumber: "+99111283746505678", Code: "11076010", At: at},
			} {
				got := s.InviteResults[i]
				if got.CallNumber != want.CallNumber || got.Code != want.Code || !got.At.Equal(want.At) {
					t.Errorf("result %d = %+v, want %+v", i, got, want)
				}
			}
		},
	},
	{
		name:   "waiting list",
		frames: []string{"WaitingListNotify.json"},
		check: func(t *testing.T, s *meeting.Snapshot, _ meeting.Stats) {
			eq(t, "count", len(s.WaitingRoom), 1)
			w := s.WaitingRoom[0]
			eq(t, "member", [3]string{w.PID, w.Name, w.LoginType}, [3]string{"c81d4e7a0f3b11f0a1b2c3d4e5f60718", "Guest Wang", "Mobile"})
			eq(t, "flags", [2]bool{w.Anonymous, w.Admitted}, [2]bool{true, false})
		},
	},
	{
		name: "vendor-like frames",
		frames: []string{"ConfBasicInfoNotify.vendorlike.json", "ConfDynamicInfoNotify.vendorlike.json",
			"AttendeesNotify.vendorlike.json", "WaitingListNotify.vendorlike.json",
			"RealTimeSubtitleNotify.vendorlike.json", "InterpreterGroupNotify.vendorlike.json"},
		check: func(t *testing.T, s *meeting.Snapshot, st meeting.Stats) {
			eq(t, "stats", st, meeting.Stats{Applied: 6})
			b := s.Basic
			eq(t, "basic sample-only", [9]any{b.AudienceCallInRestriction, b.AIRecType, b.BignumMultiPic, b.PartView,
				b.SimultaneousInterpretation, b.SupportCohost, b.SupportClientRecord, b.InviteShare, b.PortalCapabilities},
				[9]any{3, 1, true, false, true, true, false, true, "1,3,5"})
			eq(t, "basic", [3]any{b.CallInRestriction, b.Webinar, b.SupportWaitingRoom}, [3]any{2, true, true})
			st2 := s.Status
			eq(t, "viewer fields", [5]any{st2.WaitingRoom, st2.CallInRestriction, st2.AudienceCount, st2.Paused, st2.Subtitles},
				[5]any{true, 2, 360, true, true})
			eq(t, "audience", [6]any{st2.AudienceCountReal, st2.AudienceCountMultiple, st2.AllowAudience,
				st2.AudienceCallInRestriction, st2.AudienceVideoLayout, st2.ShowAudienceMode},
				[6]any{120, 3, true, 3, "speaker", 1})
			eq(t, "recording", [4]any{st2.AIRecording, st2.ClientRecState, st2.ClientRecMode, st2.SimultaneousInterpretation},
				[4]any{true, 0, 1, true})
			eq(t, "hidden phone", [2]bool{s.Attendees[0].HidePhone, s.Attendees[1].HidePhone}, [2]bool{true, false})
			eq(t, "waiting room (the removal applied)", len(s.WaitingRoom), 1)
			eq(t, "captions", s.Captions, map[string][]meeting.Caption{liWei: {{
				ID: "sub-000057", Text: "我们先看一下发布清单。",
				Texts: []meeting.CaptionText{
					{Lang: "Original", Text: "我们先看一下发布清单。"},
					{Lang: "English", Text: "Let's look at the release checklist first."},
				},
				At:    time.UnixMilli(1614913828780),
				Begin: 1528680 * time.Millisecond, End: 1531920 * time.Millisecond,
			}}})
			eq(t, "groups", s.InterpreterGroups, []meeting.InterpreterGroup{
				{ID: "1", Name: "ZH-EN", FirstLanguage: "zh", SecondLanguage: "en", Type: "MANUAL",
					Interpreters: []meeting.Interpreter{{ID: "int-0001", Name: "Chen Jie", UserID: "5b2e8c1d7f3a4e6b9c0d2f4a6b8c0e1f",
						LoginAccount: "chen.jie", CallNumber: "+99111283746503456", Type: "MANUAL"}}},
				{ID: "2", Name: "ZH-JA", FirstLanguage: "zh", SecondLanguage: "ja", Type: "AI",
					Interpreters: []meeting.Interpreter{{ID: "int-0002", Name: "AI interpreter", Type: "AI", DigitalName: "Xiao Hua"}}},
			})
		},
	},
	{
		name:   "a caption",
		frames: []string{"ParticipantsNotify.full.json", "RealTimeSubtitleNotify.json"},
		check: func(t *testing.T, s *meeting.Snapshot, st meeting.Stats) {
			eq(t, "stats", st, meeting.Stats{Applied: 2})
			c := s.Captions[liWei]
			if len(c) != 1 {
				t.Fatalf("captions %+v", s.Captions)
			}
			eq(t, "caption", [5]any{c[0].Name, c[0].Text, c[0].ID, c[0].Begin, c[0].End},
				[5]any{"Li Wei", "Let's move on to the release checklist.", "sub-000018", 3064445 * time.Millisecond, 3067545 * time.Millisecond})
			eq(t, "version", s.Versions[events.ActionRealTimeSubtitle], meeting.TypeVersion{Mode: events.ModeDelta, Version: 18})
		},
	},
}

func TestSampleFrames(t *testing.T) {
	for _, tc := range sampleCases {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			st := meeting.New(meeting.Config{OnChange: rec.on})
			for _, f := range tc.frames {
				apply(st, decodeSample(t, f))
			}
			got := brief(rec.take())
			if !slices.Equal(got, tc.wantChanges) {
				t.Errorf("changes = %q, want %q", got, tc.wantChanges)
			}
			tc.check(t, st.Snapshot(), st.Stats())
		})
	}
}

// TestSampleFramesAllCovered makes sure a sample frame added to testdata
// gets a case above.
func TestSampleFramesAllCovered(t *testing.T) {
	covered := map[string]bool{}
	for _, tc := range sampleCases {
		for _, f := range tc.frames {
			covered[f] = true
		}
	}
	names, err := filepath.Glob(filepath.Join(sampleDir, "*.json"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no sample frames: %v", err)
	}
	for _, n := range names {
		base := filepath.Base(n)
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := events.Decode(b); err != nil {
			t.Errorf("decode %s: %v", base, err)
			continue
		}
		if !covered[base] {
			t.Errorf("sample %s has no case in TestSampleFrames", base)
		}
	}
}
