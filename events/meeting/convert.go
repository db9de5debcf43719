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
	}
}
