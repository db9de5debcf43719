package connector

// SubtitleControl turns live captions on or off (the ConfControl action of
// type REALTIMESUBTITLE), sent with Session.SendSubtitleControl, which adds
// the meeting's ID and control token. Any meeting member may turn them on;
// once on, they stop only when the meeting ends. No reply is documented.
type SubtitleControl struct {
	// On starts captions (isSubtitle 1); false stops them (0).
	On bool
	// SubtitleType 0, the default, captions the two loudest speakers; the
	// vendor's named-speaker type needs SpeakerIDs.
	SubtitleType int
	// SISProperty names the ASR model, e.g. "chinese_16k_general" (the
	// default when empty) or "chinese_16k_trial".
	SISProperty string
	// SpeakerIDs are up to 4 participant pids.
	SpeakerIDs []string
}
