package meeting

import "github.com/confwatch/confwatch/events"

// This file turns vendor payloads into the Snapshot's types.

func basicOf(n *events.ConfBasicInfoNotify) Basic {
	return Basic{
		DisplayID:          n.DisplayID,
		StartTime:          n.StartTime,
		ScheduledStartTime: n.ScheduledStartTime,
		Owner:              n.Owner,
		OwnerID:            n.OwnerID,
		Media:              n.Media,
		RecType:            n.RecType,
		ConfMode:           n.ConfMode,
		CallInRestriction:  n.CallInRestriction,
		SupportWaitingRoom: n.SupportWaitingRoom,
		Webinar:            n.Webinar,
		Subtitles:          n.RealTimeSubtitle != 0,

		AudienceCallInRestriction:  n.AudienceCallInRestriction,
		AIRecType:                  n.AIRecType,
		BignumMultiPic:             n.BignumMultiPicSwitch,
		PartView:                   n.PartViewSwitch,
		SimultaneousInterpretation: n.SimultaneousInterpretation != 0,
		SupportCohost:              n.SupportCohost != 0,
		SupportClientRecord:        n.SupportClientRecord != 0,
		InviteShare:                n.InviteShareSwitch,
		PortalCapabilities:         n.ConfPortalCapabilities,
	}
}

func statusOf(n *events.ConfDynamicInfoNotify) Status {
	return Status{
		State:          n.State,
		Mode:           n.Mode,
		Locked:         n.Locked(),
		Recording:      n.Recording(),
		MuteAll:        n.Mute != 0,
		CanUnmute:      n.CanUnmute != 0,
		LockSharing:    n.LockSharing != 0,
		VoiceSwitching: n.VAS != 0,
		ChairView:      n.ChairView != 0,
		ForbiddenChat:  n.ForbiddenChat != 0,
		RecOccurred:    n.RecOccurred != 0,
		Subtitles:      n.RealTimeSubtitle != 0,
		PicNum:         n.PicNum,
		PartViewNum:    n.PartViewNum,
		MaxPartViewNum: n.MaxPartViewNum,
		EndTime:        n.EndTime,

		CallInRestriction:          n.CallInRestriction,
		WaitingRoom:                n.WaitingRoomState != 0,
		Paused:                     n.Pause,
		AudienceCount:              n.AudienceTotalCount,
		AudienceCountReal:          n.AudienceCountReal,
		AudienceCountMultiple:      n.AudienceCountMultiple,
		AllowAudience:              n.AllowAudience,
		AudienceCallInRestriction:  n.AudienceCallInRestriction,
		AudienceVideoLayout:        n.AudienceVideoLayout,
		ShowAudienceMode:           n.ShowAudienceMode,
		SimultaneousInterpretation: n.SimultaneousInterpretation != 0,
		AIRecording:                n.AIRecState != 0,
		ClientRecState:             n.ClientRecState,
		ClientRecMode:              n.ClientRecMode,
		EnableShareSetting:         n.EnableShareSetting,
	}
}

// attendeeKey picks the field that identifies an attendee across deltas:
// participantID is empty for people who have not joined, and the UUID is
// missing for outside numbers.
func attendeeKey(e events.Attendee) string {
	for _, k := range [...]string{e.UserUUID, e.ParticipantID, e.Phone, e.Name} {
		if k != "" {
			return k
		}
	}
	return ""
}

func attendeeOf(e events.Attendee) Attendee {
	role := "ordinary"
	if e.Role == 1 {
		role = "host"
	}
	return Attendee{
		Key:           attendeeKey(e),
		UserUUID:      e.UserUUID,
		ParticipantID: e.ParticipantID,
		Name:          e.Name,
		Phone:         e.Phone,
		AccountID:     e.AccountID,
		Email:         e.Email,
		Role:          role,
		Type:          e.Type,
		DeptName:      e.DeptName,
		MuteOnJoin:    e.IsMute != 0,
		AutoInvite:    e.IsAutoInvite != 0,
		HidePhone:     e.HidePhone,
	}
}

func waitingOf(pid string, info events.PInfo) *WaitingMember {
	if info == nil {
		info = events.PInfo{}
	}
	return &WaitingMember{
		PID:       pid,
		Name:      info.Name(),
		JoinTime:  info.JoinTime(),
		Anonymous: info.Anonymous(),
		LoginType: info.LoginType(),
		Admitted:  info[events.KeyWaiting] == "1",
		Info:      info,
	}
}

func netOf(e events.NetCondition) NetCondition {
	return NetCondition{
		NetInfo:                e.NetInfo,
		Delay:                  e.Delay,
		Jitter:                 e.Jitter,
		OutJitter:              e.OutJitter,
		AudioCodecType:         e.AudioCodecType,
		VideoCodecType:         e.VideoCodecType,
		FluxIn:                 e.FluxIn,
		FluxOut:                e.FluxOut,
		LostPacketRate:         e.LostPacketRate,
		AudioOutLossPacketRate: e.AudioOutLossPacketRate,
		Bandwidth:              e.Bandwidth,

		VideoInLossPacketRate:        e.VideoInLossPacketRate,
		VideoOutLossPacketRate:       e.VideoOutLossPacketRate,
		AssistVideoInLossPacketRate:  e.AssistVideoInLossPacketRate,
		AssistVideoOutLossPacketRate: e.AssistVideoOutLossPacketRate,
		VideoFluxIn:                  e.VideoFluxIn,
		VideoFluxOut:                 e.VideoFluxOut,
		AssistVideoFluxIn:            e.AssistVideoFluxIn,
		AssistVideoFluxOut:           e.AssistVideoFluxOut,
	}
}

func groupsOf(n *events.InterpreterGroupNotify) []InterpreterGroup {
	out := make([]InterpreterGroup, 0, len(n.Groups))
	for _, g := range n.Groups {
		its := make([]Interpreter, 0, len(g.Interpreters))
		for _, i := range g.Interpreters {
			it := Interpreter{
				ID: i.InterpreterID, Name: i.Name, UserID: i.UserID, LoginAccount: i.LoginAccount,
				CallNumber: i.CallNumber, Type: i.InterpreterType,
			}
			if i.AIDigitalInfo != nil {
				it.DigitalName = i.AIDigitalInfo.DigitalName
			}
			its = append(its, it)
		}
		out = append(out, InterpreterGroup{
			ID: g.GroupID, Name: g.GroupName, FirstLanguage: g.FirstLanguage,
			SecondLanguage: g.SecondLanguage, Type: g.GroupType, Interpreters: its,
		})
	}
	return out
}
